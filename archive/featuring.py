"""Curators feature wares and collections on the home page; each change is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from archive.catalogue import record_audit
from archive.models import Collection, Ware


def set_featured(
    session: Session,
    item: Ware | Collection,
    featured: bool,
    *,
    actor: str,
    user_id: int | None = None,
) -> bool:
    """Feature (or stop featuring) a ware or collection; False when nothing changed."""
    if item.featured == featured:
        return False
    item.featured = featured
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="feature" if featured else "unfeature",
        entity_type="ware" if isinstance(item, Ware) else "collection",
        entity_id=item.id,
        before={"featured": not featured},
        after={"featured": featured},
    )
    return True
