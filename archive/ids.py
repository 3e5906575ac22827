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


def whole_numbers_up_to(highest: int) -> str:
    """A regular expression matching exactly the numbers 1..``highest`` in ASCII digits, without
    leading zeros: an id past the range then matches no URL rule at all (a 404), where a
    converter refusing it after the match would let werkzeug answer 405 for another method."""
    text = str(highest)
    width = len(text)
    branches = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []
    for position, digit in enumerate(text):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = width - position - 1
            branches.append(f"{text[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    branches.append(text)
    return "(?:" + "|".join(branches) + ")"


ID_PATTERN = whole_numbers_up_to(MAX_ID)


def parse_bounded_int(text: str | None, low: int, high: int) -> int | None:
    """``text`` as a whole number in ``low..high`` written in ASCII digits, or None."""
    if text is None or len(text) > len(str(high)) or not _WHOLE.match(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: str | None) -> int | None:
    """``text`` as a row id (1..MAX_ID, ASCII digits), or None when it cannot name a row."""
    return parse_bounded_int(text, 1, MAX_ID)
