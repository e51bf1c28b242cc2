"""per-route business-time sums for the long reports, kept exact by a dirty-case log

Revision ID: 0008_report_rollups
Revises: 0007_perf_rounds
Create Date: 2026-12-01 01:30:00.000000

Issue 16: the case and route timing of a semester or a year summed every step event of the
period's cases (1.1 M rows at 100,000 cases) on each report. `report_route_sums` holds those sums
once per (case, route_key): the finished rows' business seconds, whether none was late, the
route's OPD, its highest done step and when that step was last done (route_key 0 = the case-level
steps).

Exactness never depends on the table being fresh: triggers on `step_events` append the case to
`report_dirty_cases` in the same transaction as the event (insert, update of a finished row,
delete), and the reports read the stored sums only for cases without such a mark, computing the
marked cases' sums from `step_events` in the same query. A late event, a reopened case or a rolled
back / killed transaction therefore leaves the figures equal to the raw events' by construction;
`services/reports/figures.refresh_route_sums` folds the marks back in from time to time.

An index on step_events by (opd_code, step, ...) lets a semester or a year count each OPD's finished
and on-time items in index order instead of sorting most of the table. Covering indexes on `cases` (closed in a period with status and receipt; received in a period with
category and channel) let the same reports count cases from index entries alone.

The upgrade fills the table from the events already stored (the backfill of an upgraded site).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mailflow.adapters.db.types import UTCDateTime

revision: str = "0008_report_rollups"
down_revision: str | None = "0007_perf_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINISHED = "('done', 'rejected')"
# The sums of one (case, route_key) group of finished rows; the same definitions as
# services/reports/figures.py (tests/reports/test_route_sums.py checks the two agree).
SUMS = f"""
SELECT g.case_id, g.route_key, g.opd_code, g.seconds, g.ok, g.last_step,
       (SELECT max(e.finished_at) FROM step_events e
         WHERE e.case_id = g.case_id AND e.route_key = g.route_key AND e.step = g.last_step
           AND e.outcome = 'done') AS last_done_at
FROM (SELECT case_id, route_key, max(opd_code) AS opd_code,
             sum(coalesce(business_seconds, 0)) AS seconds,
             min(CASE WHEN on_time THEN 1 ELSE 0 END) AS ok,
             max(CASE WHEN outcome = 'done' THEN step END) AS last_step
        FROM step_events WHERE outcome IN {FINISHED}
       GROUP BY case_id, route_key) g
"""  # noqa: S608 - constants only
COLUMNS = "case_id, route_key, opd_code, seconds, ok, last_step, last_done_at"
DONE_COVER = ["last_done_at", "last_step", "route_key", "opd_code", "seconds", "ok", "case_id"]
CASE_SUMS_COVER = ["case_id", "route_key", "seconds", "ok"]
# the cases' side of the same reports: closed or received in a period, read from index entries
CASES_CLOSED_COVER = ["closed_at", "id", "status", "received_at"]
OPD_STEPS = ["opd_code", "step", "route_key", "outcome", "finished_at", "on_time", "business_seconds"]
CASES_RECEIVED_COVER = ["received_at", "category", "channel", "id"]
# Only a row that is or was finished changes the sums; reminders on open rows never mark a case.
RELEVANT = "outcome, finished_at, business_seconds, on_time, step, route_key, opd_code, case_id"
MARK_NEW = "INSERT INTO report_dirty_cases (case_id) VALUES (NEW.case_id)"
MARK_OLD = "INSERT INTO report_dirty_cases (case_id) VALUES (OLD.case_id)"


def upgrade() -> None:
    op.create_table(
        "report_route_sums",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("route_key", sa.Integer(), nullable=False),
        sa.Column("opd_code", sa.String(length=30), nullable=True),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.Column("last_done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "route_key", name=op.f("pk_report_route_sums")),
    )
    op.create_index("ix_report_route_sums_done", "report_route_sums", DONE_COVER, unique=False)
    op.create_index("ix_report_route_sums_case", "report_route_sums", CASE_SUMS_COVER, unique=False)
    op.create_index("ix_step_events_opd_steps", "step_events", OPD_STEPS, unique=False)
    op.create_index("ix_cases_closed_cover", "cases", CASES_CLOSED_COVER, unique=False)
    op.create_index("ix_cases_received_cover", "cases", CASES_RECEIVED_COVER, unique=False)
    op.create_table(
        "report_dirty_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_dirty_cases")),
    )
    op.create_index("ix_report_dirty_cases_case_id", "report_dirty_cases", ["case_id"], unique=False)
    op.execute(f"INSERT INTO report_route_sums ({COLUMNS}) {SUMS}")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    op.execute(
        "CREATE TRIGGER report_sums_insert AFTER INSERT ON step_events"
        f" WHEN NEW.outcome IN {FINISHED} BEGIN {MARK_NEW}; END"
    )
    op.execute(
        f"CREATE TRIGGER report_sums_update AFTER UPDATE OF {RELEVANT} ON step_events"
        f" WHEN NEW.outcome IN {FINISHED} OR OLD.outcome IN {FINISHED}"
        f" BEGIN {MARK_NEW}; {MARK_OLD}; END"
    )
    op.execute(
        "CREATE TRIGGER report_sums_delete AFTER DELETE ON step_events"
        f" WHEN OLD.outcome IN {FINISHED} BEGIN {MARK_OLD}; END"
    )


def _postgres_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION report_sums_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                IF NEW.outcome IN {FINISHED} THEN
                    {MARK_NEW};
                END IF;
            END IF;
            IF TG_OP <> 'INSERT' THEN
                IF OLD.outcome IN {FINISHED} THEN
                    {MARK_OLD};
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER report_sums_change AFTER INSERT OR DELETE OR UPDATE OF {RELEVANT}"
        " ON step_events FOR EACH ROW EXECUTE FUNCTION report_sums_mark()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_sums_change ON step_events")
        op.execute("DROP FUNCTION report_sums_mark()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER report_sums_{name}")
    op.drop_index("ix_report_dirty_cases_case_id", table_name="report_dirty_cases")
    op.drop_table("report_dirty_cases")
    op.drop_index("ix_cases_received_cover", table_name="cases")
    op.drop_index("ix_step_events_opd_steps", table_name="step_events")
    op.drop_index("ix_cases_closed_cover", table_name="cases")
    op.drop_index("ix_report_route_sums_case", table_name="report_route_sums")
    op.drop_index("ix_report_route_sums_done", table_name="report_route_sums")
    op.drop_table("report_route_sums")
