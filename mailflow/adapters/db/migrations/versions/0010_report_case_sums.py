"""one stored row per case for the case timing of the long reports, kept exact by the dirty-case log

Revision ID: 0009_case_sums
Revises: 0008_report_rollups
Create Date: 2026-12-01 03:40:00.000000

Issue 16: the yearly report's case timing grouped the year's ~100,000 closed cases' route sums
(`report_route_sums`, one row per case and route) per case on every run. `report_case_sums` holds
that result once per case: when it was finished (``closed_at``, NULL while the case is open), its
business seconds (the case-level steps' sum plus the longest route) and ``ok`` (1 when no finished
step was late); a case without a finished step has 0 seconds and ok 1. The covering index
(closed_at, seconds, ok, case_id) turns "the cases closed in a period" into one index range read.

Exactness follows migration 0009's scheme: the stored row is read only for cases without a mark in
`report_dirty_cases`, and the marked cases are computed from the raw rows in the same query. The
step_events triggers of 0009 already mark a case when its finished events change; the row also
depends on `cases.status` and `cases.closed_at`, so triggers on `cases` mark a case when it is
inserted, deleted, or its status or closing time changes (a case closed, reopened, re-closed later
without any event change). `services/reports/figures.refresh_route_sums` recomputes both tables
for the cases whose marks it folds.

The upgrade fills the table from `cases` and the stored route sums; a case whose route sums are
stale has a mark already, so its row is never read before the refresh recomputes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mailflow.adapters.db.types import UTCDateTime

revision: str = "0009_case_sums"
down_revision: str | None = "0008_report_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED_COVER = ["closed_at", "seconds", "ok", "case_id"]
# The same definitions as services/reports/figures.py `_case_sums` (tests/reports/test_case_sums.py
# checks the backfill against the rows computed from the events).
BACKFILL = """
INSERT INTO report_case_sums (case_id, closed_at, seconds, ok)
SELECT c.id, CASE WHEN c.status <> 'open' THEN c.closed_at END,
       coalesce(sum(CASE WHEN s.route_key = 0 THEN s.seconds ELSE 0 END), 0)
         + coalesce(max(CASE WHEN s.route_key <> 0 THEN s.seconds ELSE 0 END), 0),
       coalesce(min(s.ok), 1)
  FROM cases c LEFT JOIN report_route_sums s ON s.case_id = c.id
 GROUP BY c.id, c.status, c.closed_at
"""
MARK_NEW = "INSERT INTO report_dirty_cases (case_id) VALUES (NEW.id)"
MARK_OLD = "INSERT INTO report_dirty_cases (case_id) VALUES (OLD.id)"


def upgrade() -> None:
    op.create_table(
        "report_case_sums",
        # a case's id, not a sequence of its own (a lone integer key would become SERIAL)
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_report_case_sums")),
    )
    op.create_index("ix_report_case_sums_closed", "report_case_sums", CLOSED_COVER, unique=False)
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    op.execute(f"CREATE TRIGGER report_case_insert AFTER INSERT ON cases BEGIN {MARK_NEW}; END")
    # only a real change marks the case: an UPDATE writing the same values changes no figure
    op.execute(
        "CREATE TRIGGER report_case_update AFTER UPDATE OF status, closed_at ON cases"
        " WHEN NEW.status IS NOT OLD.status OR NEW.closed_at IS NOT OLD.closed_at"
        f" BEGIN {MARK_NEW}; END"
    )
    op.execute(f"CREATE TRIGGER report_case_delete AFTER DELETE ON cases BEGIN {MARK_OLD}; END")


def _postgres_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION report_case_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {MARK_NEW};
            ELSIF TG_OP = 'DELETE' THEN
                {MARK_OLD};
            ELSIF NEW.status IS DISTINCT FROM OLD.status
                  OR NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
                {MARK_NEW};
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER report_case_change AFTER INSERT OR DELETE OR UPDATE OF status, closed_at"
        " ON cases FOR EACH ROW EXECUTE FUNCTION report_case_mark()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_case_change ON cases")
        op.execute("DROP FUNCTION report_case_mark()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER report_case_{name}")
    op.drop_index("ix_report_case_sums_closed", table_name="report_case_sums")
    op.drop_table("report_case_sums")
