"""The ``int`` URL converter, bounded to what a database id can be.

Registered in place of werkzeug's own, so every route written ``<int:...>`` (today's and any
added later) refuses non-ASCII digits and numbers past the database's integer range with a 404,
before a view or a query ever sees them.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from archive.ids import ID_PATTERN, MAX_ID


class DatabaseIdConverter(IntegerConverter):
    """A whole number 1..``MAX_ID`` in ASCII digits, checked by the rule's own pattern."""

    # werkzeug's ``\d+`` also matches Arabic-Indic, full-width and superscript digits.
    regex = ID_PATTERN

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def register(app: Flask) -> None:
    """Make ``<int:...>`` the bounded converter; call before any blueprint is registered."""
    app.url_map.converters["int"] = DatabaseIdConverter
