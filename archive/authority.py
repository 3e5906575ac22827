"""A maker's authority record as curators keep it: life dates, nationality, a biography in
English and Chinese, and identifiers in Wikidata and the Getty ULAN. Every change is audited."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from archive.catalogue import record_audit
from archive.models import Maker

AUTHORITY_FIELDS = (
    "name_zh",
    "born",
    "died",
    "active_from",
    "active_to",
    "nationality",
    "place",
    "biography_en",
    "biography_zh",
    "wikidata_id",
    "ulan_id",
)
WIKIDATA = re.compile(r"^Q[1-9]\d{0,11}$")
ULAN = re.compile(r"^5\d{8}$")
YEARS = ("born", "died", "active_from", "active_to")


class AuthorityError(ValueError):
    """An authority record that cannot be saved; ``field`` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_authority(values: dict[str, Any]) -> None:
    """Raise ``AuthorityError`` for a malformed identifier or an impossible pair of years."""
    if values.get("wikidata_id") and not WIKIDATA.match(values["wikidata_id"]):
        raise AuthorityError("wikidata_id", "a Wikidata identifier looks like Q12345")
    if values.get("ulan_id") and not ULAN.match(values["ulan_id"]):
        raise AuthorityError("ulan_id", "a ULAN identifier has nine digits and starts with 5")
    for first, last in (("born", "died"), ("active_from", "active_to")):
        low, high = values.get(first), values.get(last)
        if low is not None and high is not None and low > high:
            raise AuthorityError(last, "the later year comes before the earlier one")


def update_authority(
    session: Session,
    maker: Maker,
    values: dict[str, Any],
    *,
    actor: str,
    user_id: int | None = None,
) -> bool:
    """Apply the authority fields in ``values`` to ``maker``; audited. False when unchanged."""
    check_authority(values)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in AUTHORITY_FIELDS:
        if name not in values:
            continue
        new = values[name] if values[name] not in ("",) else None
        if getattr(maker, name) != new:
            before[name], after[name] = getattr(maker, name), new
            setattr(maker, name, new)
    if not after:
        return False
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="update",
        entity_type="maker",
        entity_id=maker.id,
        before=before,
        after=after,
    )
    return True
