"""The data-quality page: how many wares lack a photograph, rights or years, have a date the
catalogue could not read, or share a photograph with another ware, each linking to the wares
list filtered to them; and makers with a single ware whose name nearly matches another's."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from flask import render_template
from sqlalchemy import distinct, func, select

from archive.models import Maker, WareMaker
from web.auth import Rule, access
from web.curate.access import signed_in
from web.curate.blueprint import curate
from web.curate.listing import WareFilter, conditions, count_query
from web.views.context import db_session
from web.views.language import N_

# Close enough to be one maker written two ways (difflib ratio of the normalised keys).
SIMILAR_NAMES = 0.9
LONE_MAKERS_SHOWN = 100
CHECKS: tuple[tuple[str, dict[str, str]], ...] = (
    (N_("Without a photograph"), {"photo": "no"}),
    (N_("Without a rights statement"), {"rights": "no"}),
    (N_("Without years"), {"check": "no_years"}),
    (N_("With a date the catalogue could not read into years"), {"check": "unparsed_date"}),
    (
        N_("Sharing a photograph with another ware (same file or same visual hash)"),
        {"check": "duplicate_photo"},
    ),
)


@dataclass(frozen=True)
class LoneMaker:
    """A maker credited on one ware whose name nearly matches another maker's."""

    maker: Maker
    like: Maker


def lone_makers(limit: int = LONE_MAKERS_SHOWN) -> list[LoneMaker]:
    """Makers with one ware and a near-identical name, compared within the same first letters
    of their normalised names (a full pairwise comparison would not scale)."""
    counts = dict(
        db_session()
        .execute(
            select(WareMaker.maker_id, func.count(distinct(WareMaker.ware_id))).group_by(
                WareMaker.maker_id
            )
        )
        .all()
    )
    makers = list(db_session().scalars(select(Maker).order_by(Maker.key)))
    blocks: dict[str, list[Maker]] = {}
    for maker in makers:
        blocks.setdefault(maker.key[:3], []).append(maker)
    found: list[LoneMaker] = []
    for maker in makers:
        if counts.get(maker.id, 0) != 1:
            continue
        for other in blocks[maker.key[:3]]:
            if other.id == maker.id:
                continue
            if difflib.SequenceMatcher(None, maker.key, other.key).ratio() >= SIMILAR_NAMES:
                found.append(LoneMaker(maker, other))
                break
        if len(found) >= limit:
            break
    return found


@curate.get("/quality")
@access(Rule.CURATOR)
def quality() -> str:
    """Counts of what needs a curator's attention, each a link to the wares concerned."""
    account = signed_in()
    rows: list[dict[str, Any]] = []
    for label, args in CHECKS:
        chosen = WareFilter(**args)
        total = db_session().scalar(count_query(conditions(account, chosen))) or 0
        rows.append({"label": label, "args": args, "total": total})
    return render_template("curate/quality.html", rows=rows, lone=lone_makers())
