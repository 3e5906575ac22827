"""Safety steps around destructive curating actions: a confirmation that works without
JavaScript, and an Undo offered right after the action.

A destructive route calls ``unconfirmed(question, ...)`` first: when the request does not carry
``confirmed=yes`` it answers with a confirmation page that posts the same form again (every
field kept), so the action happens only on a second, deliberate click. With JavaScript the
button's ``data-confirm`` question is asked in a dialog instead, and the script adds the field
(``web/static/safe_edits.js``).

After the action the route calls ``offer_undo``: the next curating page shows the message with
an Undo button that posts to the route taking it back (itself CSRF-protected and audited).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, session, url_for

from web.curate.blueprint import curate

CONFIRM_FIELD = "confirmed"
_UNDO_KEY = "undo"


def unconfirmed(question: str, action: str, *, back: str) -> tuple[str, int] | None:
    """None when the request confirms the action; else the confirmation page to answer with.

    ``action`` labels the button that goes ahead, ``back`` is where Cancel leads.
    """
    if request.form.get(CONFIRM_FIELD) == "yes":
        return None
    kept = [
        (name, value)
        for name, values in request.form.lists()
        if name not in ("csrf_token", CONFIRM_FIELD)
        for value in values
    ]
    page = render_template(
        "curate/confirm.html",
        question=question,
        action=action,
        target=request.path,
        fields=kept,
        back=back,
    )
    return page, 200


def offer_undo(message: str, endpoint: str, **values: Any) -> None:
    """Show ``message`` with an Undo button posting to ``endpoint`` on the next page."""
    session[_UNDO_KEY] = {"message": message, "url": url_for(endpoint, **values)}


def pending_undo() -> dict[str, str] | None:
    """The Undo to show on this page (once), if an action just offered one."""
    return session.pop(_UNDO_KEY, None)


@curate.context_processor
def _undo_context() -> dict[str, Any]:
    # A callable, so the offer is taken (and shown once) only by a page that draws it.
    return {"pending_undo": pending_undo}
