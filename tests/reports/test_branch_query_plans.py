"""The branch figures' queries (services/reports/branches.py) probe indexes, they never walk a
step's events once per round of the period.

Without an index on the route, SQLite answered the join of a round to the round before it (and
the look for an entry into the route between them) by reading every event of the step for each
round: one week of 100,000 cases took minutes and the year never finished (benchmarks/reports.py).
How long a query takes is measured in benchmarks/, never here; this reads SQLite's own plan for
each query the figures run, on the migrated schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from mailflow.adapters.db.engine import Database
from mailflow.domain.sop import Sop
from mailflow.services.reports.branches import branch_figures


def plans(database: Database, sop: Sop) -> list[list[str]]:
    """SQLite's EXPLAIN QUERY PLAN of every statement branch_figures runs for a year."""
    statements: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = database.read_engine  # what database.reader() runs on
    event.listen(engine, "before_cursor_execute", note)
    try:
        with database.reader() as session:
            branch_figures(session, sop, (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    found = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            found.append([str(row[-1]) for row in rows])
    return found


def test_rounds_and_dispositions_are_read_by_index_probes(sqlite_db: Database, sop: Sop) -> None:
    steps = [line for plan in plans(sqlite_db, sop) for line in plan if "step_events" in line]
    assert steps, "branch_figures ran no query on step_events: the test proves nothing"
    # every access to step_events is an index search, none a walk of the table
    assert not [line for line in steps if line.startswith("SCAN")], steps
    # the round before, and an entry into the route between two rounds, are probed by route
    probes = [line for line in steps if "route_id=?" in line]
    assert len(probes) >= 2 and all("ix_step_events_route_rounds" in line for line in probes), steps
    # misrouted dispositions: (step, command) and the period from one index
    assert any("ix_step_events_commands" in line and "command=?" in line for line in steps), steps
