"""The sign-in throttle's count of recent failed sign-ins is answered from the (action, at)
index of audit_event, not by reading the whole audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from archive.accounts import failed_logins_from, record_failed_login
from archive.catalogue import record_audit


def test_failed_sign_in_counts_use_the_action_and_time_index(session: Session) -> None:
    for number in range(200):
        record_audit(
            session,
            actor="curator@example.org",
            action="update",
            entity_type="ware",
            entity_id=number,
            before=None,
            after={"title_en": str(number)},
        )
    record_failed_login(session, "someone@example.org", "192.0.2.1")
    session.commit()
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "audit_event" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        count, latest = failed_logins_from(session, "192.0.2.1", timedelta(minutes=15))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert count == 1 and latest is not None
    ((statement, parameters),) = statements
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # A table this small would be read whole anyway; ask whether the index can serve.
            connection.execute(text("SET enable_seqscan = off"))
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        plan = connection.exec_driver_sql(explain + statement, parameters).all()
    assert "ix_audit_event_action_at" in " ".join(str(row) for row in plan), plan
