"""Roles in a scope: who may do what to which wares.

Every account has its own role (``User.role``): an admin or curator is one *everywhere*, a
partner belongs to their institution. Grants add roles in one scope: curator of an institution
or of one collection, partner of another institution, or admin of an institution (who may then
invite people into it). An account's role for a ware is the highest that applies to it.

``Permissions`` is that knowledge for one account, loaded once per request; ``may`` answers
"may this account do X to this ware", and ``ware_condition`` says the same to SQL, so a list
shows exactly the wares a route would accept.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session

from archive.account_tables import Grant
from archive.catalogue import record_audit
from archive.models import (
    Collection,
    Institution,
    Role,
    User,
    Ware,
    WareStatus,
)

# How much each role may do: a higher rank includes everything below it.
RANK = {Role.PARTNER: 1, Role.CURATOR: 2, Role.ADMIN: 3}


class GrantError(ValueError):
    """A grant that cannot be given or taken back; the message says why."""


class Action(enum.StrEnum):
    """What an account may ask to do to a ware."""

    SEE = "see"
    # Create wares in an institution, or upload a spreadsheet of them (as submissions).
    CONTRIBUTE = "contribute"
    # Change a ware's record or photographs, delete or restore it (a published ware: curators).
    EDIT = "edit"
    # Publish, unpublish, decide a review, act on it in a batch.
    PUBLISH = "publish"
    # Invite people and give roles.
    MANAGE_ACCOUNTS = "manage_accounts"


# The least rank each action needs (EDIT of a published ware needs PUBLISH's).
NEEDS = {
    Action.SEE: RANK[Role.PARTNER],
    Action.CONTRIBUTE: RANK[Role.PARTNER],
    Action.EDIT: RANK[Role.PARTNER],
    Action.PUBLISH: RANK[Role.CURATOR],
    Action.MANAGE_ACCOUNTS: RANK[Role.ADMIN],
}


@dataclass(frozen=True)
class Permissions:
    """One account's roles: everywhere, per institution and per collection (as ranks)."""

    everywhere: int = 0
    institutions: dict[int, int] = field(default_factory=dict)
    collections: dict[int, int] = field(default_factory=dict)

    def rank_in(self, institution_id: int | None, collection_id: int | None = None) -> int:
        """The highest rank that applies in an institution (and, if given, a collection)."""
        return max(
            self.everywhere,
            self.institutions.get(institution_id, 0) if institution_id is not None else 0,
            self.collections.get(collection_id, 0) if collection_id is not None else 0,
        )

    def rank_for(self, ware: Ware) -> int:
        return self.rank_in(ware.institution_id, ware.collection_id)

    def anywhere(self, action: Action) -> bool:
        """Whether this account may do ``action`` to some ware (routes ask before the ware)."""
        need = NEEDS[action]
        if action in (Action.CONTRIBUTE, Action.MANAGE_ACCOUNTS):
            # Both are about a whole institution: a collection's role does not give them.
            return self.everywhere >= need or any(r >= need for r in self.institutions.values())
        ranks = [self.everywhere, *self.institutions.values(), *self.collections.values()]
        return max(ranks) >= need

    def ware_condition(self, action: Action) -> ColumnElement[bool] | None:
        """SQL for the wares this account may do ``action`` to; None when it may to all.

        EDIT is answered as for unpublished wares; ``may`` adds the published case.
        """
        need = NEEDS[action]
        if self.everywhere >= need:
            return None
        institutions = [key for key, rank in self.institutions.items() if rank >= need]
        collections = [key for key, rank in self.collections.items() if rank >= need]
        parts = []
        if institutions:
            parts.append(Ware.institution_id.in_(institutions))
        if collections:
            parts.append(Ware.collection_id.in_(collections))
        return or_(*parts) if parts else false()

    def institution_ids(self, action: Action) -> set[int] | None:
        """The institutions where ``action`` is allowed on the whole institution (None: all)."""
        need = NEEDS[action]
        if self.everywhere >= need:
            return None
        return {key for key, rank in self.institutions.items() if rank >= need}

    def collection_ids(self, action: Action) -> set[int]:
        """The collections where ``action`` is allowed through a collection's own grant."""
        need = NEEDS[action]
        return {key for key, rank in self.collections.items() if rank >= need}


def may(permissions: Permissions, action: Action, ware: Ware) -> bool:
    """Whether the account may do ``action`` to ``ware``: the one question every route asks."""
    rank = permissions.rank_for(ware)
    if action is Action.EDIT and ware.status is WareStatus.PUBLISHED:
        # What the public sees is changed only by those who may publish.
        return rank >= NEEDS[Action.PUBLISH]
    return rank >= NEEDS[action]


def may_place(
    permissions: Permissions, action: Action, institution_id: int, collection_id: int | None
) -> bool:
    """Whether a ware may be put (created or moved) in this institution and collection."""
    return permissions.rank_in(institution_id, collection_id) >= NEEDS[action]


def may_in_institution(permissions: Permissions, action: Action, institution_id: int) -> bool:
    """Whether ``action`` is allowed across the whole institution (not only a collection)."""
    return permissions.rank_in(institution_id) >= NEEDS[action]


def permissions_of(session: Session, user: User) -> Permissions:
    """The roles of ``user``: its own (everywhere, or a partner's institution) and its grants."""
    everywhere = RANK[user.role] if user.role in (Role.ADMIN, Role.CURATOR) else 0
    institutions: dict[int, int] = {}
    collections: dict[int, int] = {}
    if user.role is Role.PARTNER and user.institution_id is not None:
        institutions[user.institution_id] = RANK[Role.PARTNER]
    for grant in grants_of(session, user.id):
        scope = institutions if grant.institution_id is not None else collections
        key = grant.institution_id if grant.institution_id is not None else grant.collection_id
        assert key is not None
        scope[key] = max(scope.get(key, 0), RANK[grant.role])
    return Permissions(everywhere, institutions, collections)


def grants_of(session: Session, user_id: int) -> list[Grant]:
    return list(session.scalars(select(Grant).where(Grant.user_id == user_id).order_by(Grant.id)))


def grants_of_users(session: Session, user_ids: Iterable[int]) -> dict[int, list[Grant]]:
    """Every grant of these accounts, by account (for the accounts page)."""
    found: dict[int, list[Grant]] = {}
    ids = list(user_ids)
    if not ids:
        return found
    query = select(Grant).where(Grant.user_id.in_(ids)).order_by(Grant.id)
    for grant in session.scalars(query):
        found.setdefault(grant.user_id, []).append(grant)
    return found


def describe(grant: Grant) -> dict[str, object]:
    """A grant as the audit trail keeps it."""
    return {
        "user_id": grant.user_id,
        "role": grant.role.value,
        "institution_id": grant.institution_id,
        "collection_id": grant.collection_id,
    }


def give_grant(
    session: Session,
    user: User,
    role: Role,
    *,
    institution: Institution | None = None,
    collection: Collection | None = None,
    actor: str,
    actor_id: int | None = None,
) -> Grant:
    """Give ``user`` ``role`` in one institution or one collection (audited). Giving a role
    the account already holds there changes its rank instead of adding a second grant."""
    if (institution is None) == (collection is None):
        raise GrantError("a grant is for one institution or one collection")
    if role is Role.ADMIN and collection is not None:
        raise GrantError("an admin's grant is for a whole institution")
    same_scope = (
        Grant.institution_id == institution.id
        if institution is not None
        else Grant.collection_id == collection.id  # type: ignore[union-attr]
    )
    existing = session.scalar(select(Grant).where(Grant.user_id == user.id, same_scope))
    before = describe(existing) if existing else None
    grant = existing or Grant(
        user_id=user.id,
        institution_id=institution.id if institution else None,
        collection_id=collection.id if collection else None,
        granted_by=actor[:254],
        role=role,
    )
    grant.role = role
    session.add(grant)
    session.flush()
    record_audit(
        session,
        actor=actor,
        user_id=actor_id,
        action="grant",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=describe(grant),
    )
    return grant


def revoke_grant(session: Session, grant: Grant, *, actor: str, actor_id: int | None) -> None:
    """Take a grant back (audited); the account keeps its own role and other grants."""
    record_audit(
        session,
        actor=actor,
        user_id=actor_id,
        action="revoke_grant",
        entity_type="user",
        entity_id=grant.user_id,
        before=describe(grant),
        after=None,
    )
    session.delete(grant)
    session.flush()
