"""Text that SQLite and PostgreSQL accept alike.

SQLite stores a NUL character and ignores ``String(n)`` lengths; PostgreSQL refuses both, so
the same record used to be kept on one and fail on the other (a CMOA material of 400
characters, a form field holding ``\\x00``). Here every statement's string parameters lose their
NUL characters on both databases (NUL never means anything in catalogue text, and a lookup by a
value holding one then simply finds nothing), and every row written is checked against its
columns' lengths before it reaches either: descriptive text past its column is cut with a
warning in the log, and an identifying value (one under a unique constraint, where a cut could
make two records one) is refused with ``ValueTooLong``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, String, Table, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapper

logger = logging.getLogger(__name__)
NUL = "\x00"


class ValueTooLong(ValueError):
    """An identifying value longer than its column; the message names the field and the limit."""


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_nul(item) for item in value)
    return value


def strip_nul_parameters(engine: Engine) -> None:
    """Remove NUL characters from every string parameter ``engine`` sends, on any database."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _strip(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        return statement, _without_nul(parameters)


def _unique_columns(table: Table) -> set[str]:
    names = {column.key for column in table.columns if column.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names.update(column.key for column in constraint.columns)
    return names


def column_length(table: Table, key: str) -> int | None:
    """The length limit of ``table``'s string column ``key`` (None: none, or no such column)."""
    if key not in table.columns:
        return None
    column_type = table.columns[key].type
    return getattr(column_type, "length", None) if isinstance(column_type, String) else None


def fitted(table: Table, key: str, value: Any) -> Any:
    """``value`` for column ``key`` of ``table``: as it is when it fits, cut to the column's
    length when it is descriptive text (logged), ``ValueTooLong`` when it identifies a row."""
    length = column_length(table, key)
    if not isinstance(value, str) or not length or len(value) <= length:
        return value
    if key in _unique_columns(table):
        raise ValueTooLong(
            f"{key} is {len(value):,} characters long; at most {length:,} are allowed"
        )
    logger.warning(
        "%s.%s cut from %d to %d characters (its column's length)",
        table.name,
        key,
        len(value),
        length,
    )
    return value[:length]


def fit_row(table: Table, values: dict[str, Any]) -> None:
    """Fit every value of a Core insert's row to its column (in place); see ``fitted``."""
    for key, value in values.items():
        values[key] = fitted(table, key, value)


def fit_lengths(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    """Before an ORM insert or update: fit each string attribute to its column."""
    table = mapper.local_table
    state = inspect(target)
    for prop in mapper.column_attrs:
        key = prop.columns[0].key
        value = state.dict.get(prop.key)
        new = fitted(table, key, value)  # type: ignore[arg-type]
        if new is not value:
            setattr(target, prop.key, new)


def enforce_lengths(base: type) -> None:
    """Check every model derived from ``base`` before each insert and update."""
    event.listen(base, "before_insert", fit_lengths, propagate=True)
    event.listen(base, "before_update", fit_lengths, propagate=True)
