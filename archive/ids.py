"""Row ids and whole numbers read from outside: ASCII digits only, within the database range.

Every primary key is an ``Integer`` column: 32 bits signed on PostgreSQL (64 on SQLite), so a
larger number can never name a row and, sent to PostgreSQL, would fail the query rather than
find nothing. Python's ``str.isdigit`` accepts '²' (which ``int`` refuses) and ``int`` accepts
Arabic-Indic and full-width digits, so neither is a safe test of text from a URL or a form.
"""

from __future__ import annotations

import re

# The largest value of PostgreSQL's ``integer``: the narrowest of the databases Potbank runs on.
MAX_ID = 2**31 - 1
ASCII_DIGITS = "[0-9]+"
_WHOLE = re.compile(rf"{ASCII_DIGITS}\Z")


def parse_bounded_int(text: str | None, low: int, high: int) -> int | None:
    """``text`` as a whole number in ``low..high`` written in ASCII digits, or None."""
    if text is None or len(text) > len(str(high)) or not _WHOLE.match(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: str | None) -> int | None:
    """``text`` as a row id (1..MAX_ID, ASCII digits), or None when it cannot name a row."""
    return parse_bounded_int(text, 1, MAX_ID)
