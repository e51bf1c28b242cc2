"""per-local-day counts of finished and started step items, kept exact by an append-only delta log

Revision ID: 0010_day_counts
Revises: 0009_case_sums
Create Date: 2026-12-01 03:45:00.000000

Issue 16: a semester or a year counted each OPD's and step's finished, on-time and started items
by walking a whole year of step_events index entries (1.1 M at 100,000 cases). `report_day_counts`
holds those counts once per local calendar day (at the fixed UTC offset of `report_day_settings`,
480 minutes = Asia/Makassar, the default zone), so a period made of whole local days reads a few
thousand rows instead.

Exactness never depends on the table being fresh: triggers on `step_events` append signed rows to
`report_day_deltas` in the same transaction as the event (+1 for the row's new contribution, -1
for its old one; insert, delete, update of a counted column). The reports read the counts UNION
ALL the deltas in one statement, so a late event, a moved finish, a rolled back or killed
transaction leaves the figures equal to the raw events' by construction. The write path only
appends (no shared counter row is updated, so two PostgreSQL writers never wait on each other);
`services/reports/day_counts.refresh_day_counts` folds the deltas into the counts from time to
time. A delta holds the event's instant, not its day: the triggers never read the offset, and a
refresher re-cutting the days at another offset cannot mis-file an in-flight writer's delta.

The upgrade fills the counts from the events already stored (the backfill of an upgraded site).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from mailflow.adapters.db.types import UTCDateTime

revision: str = "0010_day_counts"
down_revision: str | None = "0009_case_sums"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OFFSET_MINUTES = 480  # Asia/Makassar (WITA, +08:00, no DST): the default configured zone
FINISHED = "('done', 'rejected')"
# key columns before the day: a period's sums are grouped in index order, without a sort
COVER = ["kind", "step", "opd_code", "flag", "local_day", "n", "ok", "nulls"]
COLUMNS = "kind, at, step, opd_code, flag, n, ok, nulls"
# The same definitions as services/reports/day_counts.py (tests/reports/test_day_counts.py checks
# the backfill against the raw counts): kind 1 = finished (flag: on a route), kind 2 = started
# (flag: a route's first attempt; the OPD kept for those only).
COUNTED_UPDATE_FINISHED = "outcome, finished_at, on_time, business_seconds, step, opd_code, route_key"
COUNTED_UPDATE_STARTED = "started_at, step, opd_code, route_key, attempt"
Rows = Callable[[str, int], str] | None  # (row, sign) -> the SQL appending its deltas
Changed = Callable[[str, str], str] | None  # (columns, differ) -> the SQL test of an update
ALL_COUNTED = (
    "outcome, finished_at, on_time, business_seconds, step, opd_code, route_key, started_at, attempt"
)


def _finished(row: str, sign: int) -> str:
    return (
        f"INSERT INTO report_day_deltas ({COLUMNS}) SELECT 1, {row}.finished_at, {row}.step,"
        f" {row}.opd_code, CASE WHEN {row}.route_key <> 0 THEN 1 ELSE 0 END, {sign},"
        f" CASE WHEN {row}.on_time THEN {sign} ELSE 0 END,"
        f" CASE WHEN {row}.business_seconds IS NULL THEN {sign} ELSE 0 END"
        f" WHERE {row}.outcome IN {FINISHED} AND {row}.finished_at IS NOT NULL"
    )


def _started(row: str, sign: int) -> str:
    # the OPD is kept for a route's first attempt only (routes received per OPD); the started
    # items per step need none, and leaving it out makes a third of the rows
    first = f"{row}.route_key <> 0 AND {row}.attempt = 1"
    return (
        f"INSERT INTO report_day_deltas ({COLUMNS}) SELECT 2, {row}.started_at, {row}.step,"
        f" CASE WHEN {first} THEN {row}.opd_code END, CASE WHEN {first} THEN 1 ELSE 0 END,"
        f" {sign}, 0, 0 WHERE {row}.started_at IS NOT NULL"
    )


def _changed(columns: str, differ: str) -> str:
    """True when an update changed one of `columns` (NULL-safe; `differ`: IS NOT or IS DISTINCT
    FROM). Only such updates append deltas: a reminder or an escalation appends none."""
    tests = []
    for column in columns.split(", "):
        if column == "business_seconds":  # only whether it is set counts
            tests.append(f"(OLD.{column} IS NULL) <> (NEW.{column} IS NULL)")
        else:
            tests.append(f"OLD.{column} {differ} NEW.{column}")
    return " OR ".join(tests)


def backfill_sql(dialect: str, offset: int) -> str:
    """The counts of every stored event, days cut at `offset` minutes. SQLite's date() rounds
    microseconds to milliseconds (23:59:59.9999 would become the next day), so the stored text
    is cut to whole seconds first, which keeps every instant in its day."""

    def day(column: str) -> str:
        if dialect == "postgresql":
            return f"CAST({column} + make_interval(mins => {int(offset)}) AS date)"
        return f"date(substr({column}, 1, 19), '{int(offset):+d} minutes')"

    return (
        "INSERT INTO report_day_counts (kind, local_day, step, opd_code, flag, n, ok, nulls)"  # noqa: S608
        f" SELECT 1, {day('finished_at')}, step, opd_code, CASE WHEN route_key <> 0 THEN 1 ELSE 0 END,"
        " count(*), sum(CASE WHEN on_time THEN 1 ELSE 0 END),"
        " sum(CASE WHEN business_seconds IS NULL THEN 1 ELSE 0 END)"
        f" FROM step_events WHERE outcome IN {FINISHED} AND finished_at IS NOT NULL"
        " GROUP BY 2, 3, 4, 5"
        f" UNION ALL SELECT 2, {day('started_at')}, step,"
        " CASE WHEN route_key <> 0 AND attempt = 1 THEN opd_code END,"
        " CASE WHEN route_key <> 0 AND attempt = 1 THEN 1 ELSE 0 END, count(*), 0, 0"
        " FROM step_events WHERE started_at IS NOT NULL GROUP BY 2, 3, 4, 5"
    )


def upgrade() -> None:
    op.create_table(
        "report_day_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("opd_code", sa.String(length=30), nullable=True),
        sa.Column("flag", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("ok", sa.BigInteger(), nullable=False),
        sa.Column("nulls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_counts")),
    )
    op.create_index("ix_report_day_counts_cover", "report_day_counts", COVER, unique=False)
    op.create_index("ix_report_day_counts_local_day", "report_day_counts", ["local_day"], unique=False)
    op.create_table(
        "report_day_deltas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("opd_code", sa.String(length=30), nullable=True),
        sa.Column("flag", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("nulls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_deltas")),
    )
    op.create_table(
        "report_day_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_settings")),
    )
    op.execute(f"INSERT INTO report_day_settings (id, offset_minutes) VALUES (1, {OFFSET_MINUTES})")  # noqa: S608
    dialect = op.get_bind().dialect.name
    op.execute(backfill_sql(dialect, OFFSET_MINUTES))
    if dialect == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers(finished: Rows = None, finished_changed: Changed = None) -> None:
    """The triggers; `finished` and `finished_changed`: another finished-delta SQL and its update
    test (migration 0012 gives its finished deltas a value bin), 0011's own by default."""
    finished = finished or _finished
    finished_changed = finished_changed or _changed
    op.execute(
        "CREATE TRIGGER report_day_insert AFTER INSERT ON step_events"
        f" BEGIN {finished('NEW', 1)}; {_started('NEW', 1)}; END"
    )
    op.execute(
        "CREATE TRIGGER report_day_delete AFTER DELETE ON step_events"
        f" BEGIN {finished('OLD', -1)}; {_started('OLD', -1)}; END"
    )
    op.execute(
        f"CREATE TRIGGER report_day_update_finished AFTER UPDATE OF {COUNTED_UPDATE_FINISHED}"
        f" ON step_events WHEN {finished_changed(COUNTED_UPDATE_FINISHED, 'IS NOT')}"
        f" BEGIN {finished('OLD', -1)}; {finished('NEW', 1)}; END"
    )
    op.execute(
        f"CREATE TRIGGER report_day_update_started AFTER UPDATE OF {COUNTED_UPDATE_STARTED}"
        f" ON step_events WHEN {_changed(COUNTED_UPDATE_STARTED, 'IS NOT')}"
        f" BEGIN {_started('OLD', -1)}; {_started('NEW', 1)}; END"
    )


def _postgres_triggers(finished: Rows = None, finished_changed: Changed = None) -> None:
    finished = finished or _finished
    finished_changed = finished_changed or _changed
    op.execute(
        f"""
        CREATE FUNCTION report_day_log() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {finished("NEW", 1)};
                {_started("NEW", 1)};
            ELSIF TG_OP = 'DELETE' THEN
                {finished("OLD", -1)};
                {_started("OLD", -1)};
            ELSE
                IF {finished_changed(COUNTED_UPDATE_FINISHED, "IS DISTINCT FROM")} THEN
                    {finished("OLD", -1)};
                    {finished("NEW", 1)};
                END IF;
                IF {_changed(COUNTED_UPDATE_STARTED, "IS DISTINCT FROM")} THEN
                    {_started("OLD", -1)};
                    {_started("NEW", 1)};
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER report_day_change AFTER INSERT OR DELETE OR UPDATE OF {ALL_COUNTED}"
        " ON step_events FOR EACH ROW EXECUTE FUNCTION report_day_log()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_day_change ON step_events")
        op.execute("DROP FUNCTION report_day_log()")
    else:
        for name in ("insert", "delete", "update_finished", "update_started"):
            op.execute(f"DROP TRIGGER report_day_{name}")
    op.drop_table("report_day_settings")
    op.drop_table("report_day_deltas")
    op.drop_index("ix_report_day_counts_local_day", table_name="report_day_counts")
    op.drop_index("ix_report_day_counts_cover", table_name="report_day_counts")
    op.drop_table("report_day_counts")
