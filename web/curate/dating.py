"""The ware form reads years from the date as written, as the ingest does (its own date parser,
``ingest.normalise.dates``), and says when it cannot."""

from __future__ import annotations

from ingest.normalise.dates import parse_date
from web.curate.forms import WareForm
from web.views.formatting import translate as _
from web.views.formatting import year_range


def fill_years(form: WareForm) -> tuple[str, str] | None:
    """Fill the form's empty years (and period) from its date text; returns a message and its
    flash category, or None when there was nothing to read (no date, or years typed)."""
    text = form.fields.get("date_text")
    typed = (
        form.fields.get("year_earliest") is not None or form.fields.get("year_latest") is not None
    )
    if not text or typed:
        return None
    parsed = parse_date(text)
    if parsed.earliest is None and parsed.latest is None:
        message = _(
            "The years could not be read from the date “{date}”: enter them by hand.", date=text
        )
        return message, "error"
    for name, value in (("year_earliest", parsed.earliest), ("year_latest", parsed.latest)):
        form.fields[name] = value
        form.values[name] = "" if value is None else str(value)
    if parsed.period and not form.fields.get("period"):
        form.fields["period"] = parsed.period[:300]
        form.values["period"] = form.fields["period"]
    return _(
        "Years read from the date: {years}.", years=year_range(parsed.earliest, parsed.latest)
    ), "message"
