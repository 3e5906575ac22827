"""Object rules on top of the route rules: which wares an account may see and change.

Each check asks ``archive.grants.may`` with the account's roles: curators everywhere see and
change every ware; an institution's or collection's curator those of their scope; a partner
their institution's, and never a published one (publishing is for curators). A ware outside
the account's scope is answered with 404, as if it did not exist, so its existence does not
leak either.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.grants import Action
from archive.models import Institution, Photograph, Ware, WareMaker
from web.auth import current_account
from web.auth.accounts import Account
from web.views.context import db_session


def signed_in() -> Account:
    """The account of this request; the route's rule has already required one."""
    account = current_account()
    if account is None:
        abort(401)
    return account


def can_see(account: Account, ware: Ware) -> bool:
    """Whether the ware is in the account's scope (any role there)."""
    return account.may(Action.SEE, ware)


def can_edit(account: Account, ware: Ware) -> bool:
    """Whether the account may change the ware (a published one: only its curators)."""
    return account.may(Action.EDIT, ware)


def load_ware(ware_id: int) -> Ware | None:
    """The ware with what the curating pages show, deleted or not."""
    return db_session().scalar(
        select(Ware)
        .where(Ware.id == ware_id)
        .options(
            selectinload(Ware.makers).selectinload(WareMaker.maker),
            selectinload(Ware.photographs),
            selectinload(Ware.institution),
            selectinload(Ware.collection),
        )
    )


def visible_ware(ware_id: int) -> Ware:
    """The ware if this account may see it, else 404."""
    ware = load_ware(ware_id)
    if ware is None or not can_see(signed_in(), ware):
        abort(404)
    return ware


def editable_ware(ware_id: int) -> Ware:
    """The ware if this account may change it: 404 if it may not see it, 403 if only see."""
    ware = visible_ware(ware_id)
    if not can_edit(signed_in(), ware):
        abort(403)
    return ware


def curated_ware(ware_id: int) -> Ware:
    """The ware if this account may publish it or decide its review: 404 if it may not see it,
    403 if it may see but not curate it."""
    ware = visible_ware(ware_id)
    if not signed_in().may(Action.PUBLISH, ware):
        abort(403)
    return ware


def visible_photo(photo_id: int) -> Photograph:
    """A photograph whose ware this account may see, else 404."""
    photo = db_session().get(Photograph, photo_id)
    if photo is None:
        abort(404)
    visible_ware(photo.ware_id)
    return photo


def actor() -> tuple[str, int]:
    """Who the audit trail names for this request's changes."""
    account = signed_in()
    return account.email, account.id


def contributable_institutions() -> list[Institution]:
    """The institutions the signed-in account may add wares to (by the form or a bulk upload),
    by name."""
    allowed = signed_in().permissions.institution_ids(Action.CONTRIBUTE)
    query = select(Institution).order_by(Institution.name)
    if allowed is not None:
        query = query.where(Institution.id.in_(allowed))
    return list(db_session().scalars(query))
