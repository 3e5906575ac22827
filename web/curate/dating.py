"""The ware form reads years from the date as written, as the ingest does (its own date parser,
``ingest.normalise.dates``), and says when it cannot."""

from __future__ import annotations

from typing import Any

from ingest.normalise.dates import DateRange, parse_date
from web.curate.forms import WareForm, read_form, typed_data
from web.views.formatting import translate as _
from web.views.formatting import year_range


def fill_years(form: WareForm) -> tuple[str, str] | None:
    """Fill the form's empty years (and period) from its date text; returns a message and its
    flash category, or None when there was nothing to read (no date, or years typed)."""
    parsed = read_years(form)
    if parsed is None:
        return None
    if parsed.earliest is None and parsed.latest is None:
        message = _(
            "The years could not be read from the date “{date}”: enter them by hand.",
            date=form.fields.get("date_text"),
        )
        return message, "error"
    return _(
        "Years read from the date: {years}.", years=year_range(parsed.earliest, parsed.latest)
    ), "message"


def read_years(form: WareForm) -> DateRange | None:
    """``fill_years`` without its message (no request needed): the date as read, None when
    there was nothing to read."""
    text = form.fields.get("date_text")
    typed = (
        form.fields.get("year_earliest") is not None or form.fields.get("year_latest") is not None
    )
    if not text or typed:
        return None
    parsed = parse_date(text)
    if parsed.earliest is None and parsed.latest is None:
        return parsed
    for name, value in (("year_earliest", parsed.earliest), ("year_latest", parsed.latest)):
        form.fields[name] = value
        form.values[name] = "" if value is None else str(value)
    if parsed.period and not form.fields.get("period"):
        form.fields["period"] = parsed.period[:300]
        form.values["period"] = form.fields["period"]
    return parsed


def read_copy(typed: dict[str, Any]) -> dict[str, Any] | None:
    """A working copy (the form as typed) read and checked as the ware form is, years read
    from the date as written: the record's field values to publish, or None when a field
    needs correcting first (``archive.batch_copies.CopyReader``, for "Publish changes" of a
    batch, which runs without a request)."""
    form = read_form(typed_data(typed))
    read_years(form)
    return None if form.errors else dict(form.fields)
