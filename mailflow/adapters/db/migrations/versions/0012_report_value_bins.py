"""finished items counted per local month, step and value bin of their business seconds; month rows

Revision ID: 0011_value_bins
Revises: 0010_day_counts
Create Date: 2026-12-01 10:00:00.000000

Issue 16: the long reports' step percentiles (P50, P90 of each step's business seconds) made
PostgreSQL's percentile_disc read and sort all of a year's 1.1 M finished items at 100,000 cases,
three times a full scan of step_events by itself. With the items counted per value bin
(mailflow/domain/value_bins.py: digits and the first two of them), the bin holding the k-th
smallest value is known from a few thousand counts, and only that bin's entries of the
(step, business_seconds, ...) index are read to find the value itself.

The counts live in `report_day_counts` as kind 3: per local MONTH (local_day = its first day), step
and bin (in `flag`), `n` items; `opd_code` NULL, `ok` and `nulls` 0. They need no deltas of their
own: the triggers give every finished delta the bin of its business seconds (`bin`, the new column
of `report_day_deltas`), and a fold adds each such delta to its month's bin as well. Because a bin
depends on the value, an update that changes business seconds (not only whether they are set)
now logs its -1/+1 pair; kinds 1 and 2 are unchanged by it (the pair cancels out in them).

Kinds 4 and 5 hold kinds 1 and 2 (finished and started items per day, OPD, step and flag) once
more per local month: a year's finished counts were 38,000 day rows at 100,000 cases, twelve
rows per key now. A fold adds each finished or started delta to its month row as well, and the
upgrade sums the month rows from the day rows.

The deltas logged before this upgrade carry no bin; the backfill reads the bins of every stored
event instead, which already includes what those deltas say (the column is added before the
backfill reads, and adding it waits for writers in flight).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0011_value_bins"
down_revision: str | None = "0010_day_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUE_KIND = 3
FINISHED = "('done', 'rejected')"
COLUMNS = "kind, at, step, opd_code, flag, n, ok, nulls, bin"


def _previous() -> ModuleType:
    """Migration 0011, whose started-item SQL stays as it is and whose triggers a downgrade
    restores (a file name starting with digits cannot be imported by name)."""
    path = Path(__file__).with_name("0011_report_day_counts.py")
    spec = importlib.util.spec_from_file_location("mailflow_migration_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bin_sql(column: str) -> str:
    """The same as services/reports/day_counts.bin_sql (tests/reports/test_value_bins.py checks
    both against domain/value_bins.bin_of on both databases)."""
    digits = f"CAST(CAST({column} AS INTEGER) AS TEXT)"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} < 0 THEN 0"
        f" ELSE length({digits}) * 100 + CAST(substr({digits}, 1, 2) AS INTEGER) END"
    )


def _finished(row: str, sign: int) -> str:
    return (
        f"INSERT INTO report_day_deltas ({COLUMNS}) SELECT 1, {row}.finished_at, {row}.step,"
        f" {row}.opd_code, CASE WHEN {row}.route_key <> 0 THEN 1 ELSE 0 END, {sign},"
        f" CASE WHEN {row}.on_time THEN {sign} ELSE 0 END,"
        f" CASE WHEN {row}.business_seconds IS NULL THEN {sign} ELSE 0 END,"
        f" {bin_sql(f'{row}.business_seconds')}"
        f" WHERE {row}.outcome IN {FINISHED} AND {row}.finished_at IS NOT NULL"
    )


def _changed(columns: str, differ: str) -> str:
    """True when an update changed one of `columns` (NULL-safe), business seconds by value now."""
    return " OR ".join(f"OLD.{column} {differ} NEW.{column}" for column in columns.split(", "))


def _month(offset: int, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', finished_at + make_interval(mins => {int(offset)})) AS date)"
    return f"date(substr(finished_at, 1, 19), '{int(offset):+d} minutes', 'start of month')"


def backfill_sql(dialect: str, offset: int) -> str:
    """The kind 3 counts of every stored event, months cut at `offset` minutes (the same SQL as
    services/reports/day_counts._backfill_sql's last part)."""
    return (
        "INSERT INTO report_day_counts (kind, local_day, step, opd_code, flag, n, ok, nulls)"  # noqa: S608
        f" SELECT {VALUE_KIND}, {_month(offset, dialect)}, step, NULL, {bin_sql('business_seconds')},"
        f" count(*), 0, 0 FROM step_events WHERE outcome IN {FINISHED} AND finished_at IS NOT NULL"
        " AND business_seconds IS NOT NULL GROUP BY 2, 3, 5"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    previous = _previous()
    with op.batch_alter_table("report_day_deltas") as batch:
        batch.add_column(sa.Column("bin", sa.Integer(), nullable=True))
    _drop_triggers(dialect)
    # 0011's triggers with this migration's finished deltas (a bin) and update test (by value)
    if dialect == "postgresql":
        previous._postgres_triggers(_finished, _changed)
    else:
        previous._sqlite_triggers(_finished, _changed)
    offset = op.get_bind().execute(sa.text("SELECT offset_minutes FROM report_day_settings WHERE id = 1"))
    stored = offset.scalar()
    if stored is not None:
        op.execute(backfill_sql(dialect, int(stored)))
    op.execute(months_from_days_sql(dialect))


def months_from_days_sql(dialect: str) -> str:
    """Kinds 4 and 5: kinds 1 and 2 once more per local month, summed from their day rows (the
    same SQL as services/reports/day_counts.months_from_days_sql). The deltas not folded yet stay
    in the log and are folded into both."""
    month = (
        "CAST(date_trunc('month', local_day) AS date)"
        if dialect == "postgresql"
        else ("date(local_day, 'start of month')")
    )
    return (
        "INSERT INTO report_day_counts (kind, local_day, step, opd_code, flag, n, ok, nulls)"  # noqa: S608
        f" SELECT CASE kind WHEN 1 THEN 4 WHEN 2 THEN 5 END, {month}, step, opd_code, flag, sum(n),"
        " sum(ok), sum(nulls) FROM report_day_counts WHERE kind IN (1, 2) GROUP BY 1, 2, 3, 4, 5"
    )


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER report_day_change ON step_events")
        op.execute("DROP FUNCTION report_day_log()")
    else:
        for name in ("insert", "delete", "update_finished", "update_started"):
            op.execute(f"DROP TRIGGER report_day_{name}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    previous = _previous()
    _drop_triggers(dialect)
    # before the old triggers are back: SQLite rebuilds the table to drop a column, and its
    # rename refuses while a trigger names the table
    with op.batch_alter_table("report_day_deltas") as batch:
        batch.drop_column("bin")
    if dialect == "postgresql":
        previous._postgres_triggers()
    else:
        previous._sqlite_triggers()
    op.execute("DELETE FROM report_day_counts WHERE kind IN (3, 4, 5)")
