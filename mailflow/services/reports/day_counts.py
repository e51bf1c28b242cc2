"""Per-local-day counts of finished and started step items (migration 0011), read by the reports.

`report_day_counts` holds the counts folded per local day (at the offset in `report_day_settings`),
`report_day_deltas` the signed changes the triggers on step_events appended since the last fold.
`read_day_counts` sums both halves in ONE statement (one snapshot: a fold committing between two
statements could otherwise be missed or counted twice), so its answer equals the raw events'
whenever the bounds fall on local midnights at the stored offset: then the rows with an instant in
[start, end) are exactly those whose local day is in [start's day, end's day). It answers None
otherwise (or when the offset changed under it), and the caller reads the raw events.

Kind 3 (migration 0012) counts the finished items with business seconds per local MONTH, step and
value bin (mailflow/domain/value_bins.py), the bin kept in `flag`; its deltas are the finished
deltas themselves, which carry their bin. `read_value_bins` answers them for periods of whole local
months; the long reports' step percentiles then read only the index entries of one bin each.

`refresh_day_counts` folds the deltas into the counts (called by the reports when the log grew),
and re-cuts the days at the report zone's offset when that zone has one fixed offset different
from the stored one (a site configured for another zone), under one lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, literal, select, text, union_all, update
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import ReportDayCount, ReportDayDelta, ReportDaySetting

FINISHED_KIND = 1  # flag: on a route (route_key != 0); ok: on time; nulls: no business seconds
STARTED_KIND = 2  # flag: a route's first attempt (route_key != 0 and attempt 1), the only rows with an OPD
VALUE_KIND = 3  # per local month (local_day: its first day), flag: the value bin, n: finished items in it
# kinds 1 and 2 once more per local month (local_day: its first day): a year reads 12 rows per key
# instead of 365; the same deltas fold into both
MONTHLY = {FINISHED_KIND: 4, STARTED_KIND: 5}
REFRESH_FROM = 5000  # deltas in the log from which a report folds them in first
VACUUM_FROM = 100_000  # deltas folded at once from which the emptied log is vacuumed right away
LOCK = 160010  # PostgreSQL advisory lock of the refresher (one fold or re-cut at a time)
FINISHED = "('done', 'rejected')"
Bounds = tuple[datetime, datetime]
DayKey = tuple[int, int, str | None, int]  # (bucket index, step, opd_code, flag)


def bin_sql(column: str) -> str:
    """`value_bins.bin_of` in SQL both databases run (SQLite has no log() without its math
    extension): digits and the first two of them, read from the integer's text."""
    digits = f"CAST(CAST({column} AS INTEGER) AS TEXT)"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} < 0 THEN 0"
        f" ELSE length({digits}) * 100 + CAST(substr({digits}, 1, 2) AS INTEGER) END"
    )


def local_day(instant: datetime, offset: int) -> date:
    return (instant.astimezone(UTC).replace(tzinfo=None) + timedelta(minutes=offset)).date()


def _midnight_day(instant: datetime, offset: int) -> date | None:
    """The local day starting at `instant` when it is a local midnight at `offset`, else None."""
    local = instant.astimezone(UTC).replace(tzinfo=None) + timedelta(minutes=offset)
    return local.date() if local.time() == time(0) else None


MEMO = "mailflow.day_counts"  # session.info key of the answers kept by `day_count_memo`


@contextmanager
def day_count_memo(session: Session) -> Iterator[None]:
    """Within it, `read_day_counts` answers each (kind, buckets) once: the figures of one period
    ask for the started items per step and for the routes received from the same counts. Only
    for work that writes nothing meanwhile (a reader's one snapshot)."""
    outer = MEMO in session.info
    session.info.setdefault(MEMO, {})
    try:
        yield
    finally:
        if not outer:
            session.info.pop(MEMO, None)


def read_day_counts(
    session: Session, kind: int, buckets: Sequence[Bounds]
) -> dict[DayKey, tuple[int, int, int]] | None:
    """{(bucket, step, opd_code, flag): (n, ok, nulls)} of the items of `kind` whose instant lies in
    each bucket, or None when a bound is not a local midnight at the stored offset or the buckets
    do not follow each other without gaps (the callers then read the raw events). Keys whose
    sums are all zero (every counted row deleted or moved away) are left out, as a GROUP BY over
    the raw rows would."""
    memo = session.info.get(MEMO)
    if memo is None:
        return _read_day_counts(session, kind, buckets)
    key = (kind, tuple(buckets))
    if key not in memo:
        memo[key] = _read_day_counts(session, kind, buckets)
    answer: dict[DayKey, tuple[int, int, int]] | None = memo[key]
    return None if answer is None else dict(answer)


def _read_day_counts(
    session: Session, kind: int, buckets: Sequence[Bounds]
) -> dict[DayKey, tuple[int, int, int]] | None:
    if any(one[1] != two[0] for one, two in pairwise(buckets)):
        return None  # gaps: the raw reads keep what falls between buckets (under None), this would not
    offset = session.execute(select(ReportDaySetting.offset_minutes).where(ReportDaySetting.id == 1)).scalar()
    if offset is None:
        return None
    days = []
    for start, end in buckets:
        first, last = _midnight_day(start, offset), _midnight_day(end, offset)
        if first is None or last is None:
            return None
        days.append((first, last))
    counts, deltas = ReportDayCount.__table__.c, ReportDayDelta.__table__.c
    settings = ReportDaySetting.__table__.c

    def bucket(column: Any, ranges: Sequence[tuple[Any, Any]]) -> Any:
        return case(
            *[(and_(column >= a, column < b), literal(i)) for i, (a, b) in enumerate(ranges)], else_=None
        )

    def grouped(columns: Any, day: Any, ranges: Sequence[tuple[Any, Any]], kind: int, *where: Any) -> Any:
        """One half's sums per (bucket, step, opd_code, flag). With one bucket the bucket is no
        group key, so the day counts are summed in the order of their index, without a sort."""
        keys = [columns.step, columns.opd_code, columns.flag]
        index = bucket(day, ranges) if len(ranges) > 1 else literal(0)
        sums = (func.sum(columns.n), func.sum(columns.ok), func.sum(columns.nulls))
        stmt = select(index.label("bucket"), *keys, *sums).where(columns.kind == kind, *where)
        return stmt.group_by(*keys, index) if len(ranges) > 1 else stmt.group_by(*keys)

    # buckets of whole months read the month rows: each holds its month's days exactly
    months = all(first.day == 1 and last.day == 1 for first, last in days)
    folded = grouped(
        counts,
        counts.local_day,
        days,
        MONTHLY.get(kind, kind) if months else kind,
        counts.local_day >= min(a for a, _b in days),
        counts.local_day < max(b for _a, b in days),
        # the days were cut at the offset read above: a re-cut committed since yields no row
        # here, and the marker row below tells the caller to read the raw events instead
        select(settings.offset_minutes).where(settings.id == 1).scalar_subquery() == offset,
    )
    logged = grouped(
        deltas,
        deltas.at,
        buckets,
        kind,
        deltas.at >= min(a for a, _b in buckets),
        deltas.at < max(b for _a, b in buckets),
    )
    marker = select(
        literal(-1), literal(0), literal(None), literal(0), settings.offset_minutes, literal(0), literal(0)
    ).where(settings.id == 1)
    # one statement, one snapshot: the folded counts and the deltas not folded into them
    rows = session.execute(union_all(folded, logged, marker)).all()
    totals: dict[DayKey, list[int]] = {}
    for index, step, code, flag, n, ok, nulls in rows:
        if index == -1:
            if n != offset:
                return None
            continue
        if index is None:
            continue
        total = totals.setdefault((int(index), int(step), code, int(flag)), [0, 0, 0])
        total[0] += int(n or 0)
        total[1] += int(ok or 0)
        total[2] += int(nulls or 0)
    return {key: (n, ok, nulls) for key, (n, ok, nulls) in totals.items() if n or ok or nulls}


def read_value_bins(session: Session, bounds: Bounds) -> dict[int, dict[int, int]] | None:
    """{step: {value bin: finished items}} of the items with business seconds finished in
    `bounds`, or None when a bound is not the first local midnight of a month at the stored
    offset (the kind 3 counts are per month). One statement, as in `read_day_counts`."""
    offset = session.execute(select(ReportDaySetting.offset_minutes).where(ReportDaySetting.id == 1)).scalar()
    if offset is None:
        return None
    first, last = _midnight_day(bounds[0], offset), _midnight_day(bounds[1], offset)
    if first is None or last is None or first.day != 1 or last.day != 1:
        return None
    counts, deltas = ReportDayCount.__table__.c, ReportDayDelta.__table__.c
    settings = ReportDaySetting.__table__.c
    folded = (
        select(counts.step, counts.flag, func.sum(counts.n))
        .where(
            counts.kind == VALUE_KIND,
            counts.local_day >= first,
            counts.local_day < last,
            select(settings.offset_minutes).where(settings.id == 1).scalar_subquery() == offset,
        )
        .group_by(counts.step, counts.flag)
    )
    logged = (
        select(deltas.step, deltas.bin, func.sum(deltas.n))
        .where(
            deltas.kind == FINISHED_KIND,
            deltas.bin.is_not(None),
            deltas.at >= bounds[0],
            deltas.at < bounds[1],
        )
        .group_by(deltas.step, deltas.bin)
    )
    marker = select(literal(-1), settings.offset_minutes, literal(0)).where(settings.id == 1)
    totals: dict[int, dict[int, int]] = {}
    for step, index, n in session.execute(union_all(folded, logged, marker)):
        if step == -1:
            if index != offset:
                return None
            continue
        per_step = totals.setdefault(int(step), {})
        per_step[int(index)] = per_step.get(int(index), 0) + int(n or 0)
    return {step: {b: n for b, n in bins.items() if n} for step, bins in totals.items()}


# --- the refresher -----------------------------------------------------------------------------


def fixed_offset(zone: tzinfo, around: datetime) -> int | None:
    """The zone's UTC offset in minutes when it is the same on every day of the four years around
    `around` (no daylight saving time), else None."""
    offsets = {(around + timedelta(days=d)).astimezone(zone).utcoffset() for d in range(-730, 731)}
    if len(offsets) != 1:
        return None
    (found,) = offsets
    if found is None or found.total_seconds() % 60:
        return None
    return int(found.total_seconds() // 60)


def _pending(session: Session) -> int:
    """An upper bound on the deltas in the log, read from the primary key's two ends (a count
    would scan the table); ids skipped by rolled back writers only make it fold a little earlier."""
    low, high = session.execute(select(func.min(ReportDayDelta.id), func.max(ReportDayDelta.id))).one()
    return 0 if low is None else int(high) - int(low) + 1


def refresh_day_counts(
    database: Database,
    zone: tzinfo | None = None,
    *,
    at_least: int = REFRESH_FROM,
    around: datetime | None = None,
    vacuum_from: int = VACUUM_FROM,
) -> int:
    """Fold the delta log into `report_day_counts` when it holds about `at_least` rows, and re-cut
    the days at `zone`'s offset when the zone has one fixed offset that differs from the stored
    one. Returns how many deltas were folded (-1 after a re-cut). Exactness never depends on it
    (see `read_day_counts`): it keeps the log the reports read small, and the days at the
    offset the reports' bounds fall on. A fold of `vacuum_from` deltas or more (a bulk load's)
    and a re-cut vacuum the log at once (`Database.vacuum`)."""
    wanted = fixed_offset(zone, around or datetime.now(UTC)) if zone is not None else None
    with database.reader() as session:
        stored = session.execute(select(ReportDaySetting.offset_minutes)).scalar()
        if stored is None:
            return 0
        if (wanted is None or wanted == stored) and _pending(session) < at_least:
            return 0
    with database.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text(f"SELECT pg_advisory_xact_lock({LOCK})"))
        stored = session.execute(select(ReportDaySetting.offset_minutes)).scalar_one()
        if wanted is not None and wanted != stored:
            _recut(session, wanted, postgres)
            folded = -1
        else:
            folded = _fold(session, stored, postgres)
    if folded < 0 or folded >= vacuum_from:  # after the commit: VACUUM runs outside a transaction
        database.vacuum("report_day_deltas")
    return folded


def _day_sql(column: str, offset: int, postgres: bool) -> str:
    if postgres:
        return f"CAST({column} + make_interval(mins => {int(offset)}) AS date)"
    # date() rounds to milliseconds: cut the stored text to whole seconds first (migration 0011)
    return f"date(substr({column}, 1, 19), '{int(offset):+d} minutes')"


def _fold(session: Session, offset: int, postgres: bool) -> int:
    """Move every committed delta into the counts. On PostgreSQL the deltas are deleted and
    summed in one statement, so exactly the deleted ones are folded even while writers append;
    on SQLite this write transaction holds the only write lock, so none is appended meanwhile."""
    day, month = _day_sql("at", offset, postgres), _month_sql("at", offset, postgres)
    # a finished delta with a bin is also the kind 3 delta of its month (counted once, above)
    summed = (
        f"SELECT kind, {day} AS local_day, step, opd_code, flag, count(*) AS deltas,"  # noqa: S608
        " sum(n) AS n, sum(ok) AS ok, sum(nulls) AS nulls FROM {source}"
        " GROUP BY kind, local_day, step, opd_code, flag"
        f" UNION ALL SELECT {VALUE_KIND}, {month}, step, NULL, bin, 0, sum(n), 0, 0 FROM {{source}}"
        f" WHERE kind = {FINISHED_KIND} AND bin IS NOT NULL GROUP BY 2, 3, 5"
        f" UNION ALL SELECT {_monthly_kind('kind')}, {month}, step, opd_code, flag, 0, sum(n), sum(ok),"
        f" sum(nulls) FROM {{source}} WHERE kind IN ({FINISHED_KIND}, {STARTED_KIND}) GROUP BY 1, 2, 3, 4, 5"
    )
    if postgres:
        stmt = "WITH moved AS (DELETE FROM report_day_deltas RETURNING *) " + summed.format(source="moved")  # noqa: S608
        rows = session.execute(text(stmt)).all()
    else:
        rows = session.execute(text(summed.format(source="report_day_deltas"))).all()
        session.execute(delete(ReportDayDelta))
    if not rows:
        return 0
    table = ReportDayCount.__table__
    assert isinstance(table, Table)
    touched = sorted({_as_date(row.local_day) for row in rows})
    merged: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for chunk in range(0, len(touched), 500):
        days = touched[chunk : chunk + 500]
        old = select(table.c.kind, table.c.local_day, table.c.step, table.c.opd_code, table.c.flag,
                     table.c.n, table.c.ok, table.c.nulls).where(table.c.local_day.in_(days))  # fmt: skip
        for kind, when, step, code, flag, n, ok, nulls in session.execute(old):
            total = merged[(kind, when, step, code, flag)]
            total[0] += n
            total[1] += ok
            total[2] += nulls
        session.execute(delete(table).where(table.c.local_day.in_(days)))
    for row in rows:
        total = merged[(row.kind, _as_date(row.local_day), row.step, row.opd_code, row.flag)]
        total[0] += int(row.n)
        total[1] += int(row.ok)
        total[2] += int(row.nulls)
    values = [
        {"kind": k, "local_day": d, "step": s, "opd_code": c, "flag": f, "n": n, "ok": ok, "nulls": nulls}
        for (k, d, s, c, f), (n, ok, nulls) in merged.items()
        if n or ok or nulls
    ]
    if values:
        session.execute(insert(table), values)
    return sum(int(row.deltas) for row in rows)


def _monthly_kind(column: str) -> str:
    return f"CASE {column} " + " ".join(f"WHEN {day} THEN {month}" for day, month in MONTHLY.items()) + " END"


def _month_sql(column: str, offset: int, postgres: bool) -> str:
    """The first day of the local month of `column` (kind 3 counts are per month)."""
    if postgres:
        return f"CAST(date_trunc('month', {column} + make_interval(mins => {int(offset)})) AS date)"
    return f"date(substr({column}, 1, 19), '{int(offset):+d} minutes', 'start of month')"


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _recut(session: Session, offset: int, postgres: bool) -> None:
    """Rebuild the counts from step_events with days cut at `offset`. The deltas folded in are
    exactly those of the events the rebuild reads: on PostgreSQL both happen in one statement
    (one snapshot), so a writer committing later keeps its deltas for the next fold; on SQLite no
    writer can commit during this write transaction."""
    session.execute(update(ReportDaySetting).where(ReportDaySetting.id == 1).values(offset_minutes=offset))
    session.execute(delete(ReportDayCount))
    fill = _backfill_sql(offset, postgres)
    if postgres:
        session.execute(text(f"WITH gone AS (DELETE FROM report_day_deltas RETURNING id) {fill}"))  # noqa: S608
    else:
        session.execute(delete(ReportDayDelta))
        session.execute(text(fill))
    session.execute(text(months_from_days_sql(postgres)))


def months_from_days_sql(postgres: bool) -> str:
    """The month rows of kinds 1 and 2 summed from their day rows (after a backfill or re-cut)."""
    month = "date(local_day, 'start of month')"
    if postgres:
        month = "CAST(date_trunc('month', local_day) AS date)"
    return (
        "INSERT INTO report_day_counts (kind, local_day, step, opd_code, flag, n, ok, nulls)"  # noqa: S608
        f" SELECT {_monthly_kind('kind')}, {month}, step, opd_code, flag, sum(n), sum(ok), sum(nulls)"
        f" FROM report_day_counts WHERE kind IN ({FINISHED_KIND}, {STARTED_KIND}) GROUP BY 1, 2, 3, 4, 5"
    )


def _backfill_sql(offset: int, postgres: bool) -> str:
    """The counts of every stored event (the same SQL as the backfills of migrations 0011 and 0012)."""
    finished_day, started_day = (
        _day_sql("finished_at", offset, postgres),
        _day_sql("started_at", offset, postgres),
    )
    return (
        "INSERT INTO report_day_counts (kind, local_day, step, opd_code, flag, n, ok, nulls)"  # noqa: S608
        f" SELECT {FINISHED_KIND}, {finished_day}, step, opd_code,"
        " CASE WHEN route_key <> 0 THEN 1 ELSE 0 END, count(*), sum(CASE WHEN on_time THEN 1 ELSE 0 END),"
        " sum(CASE WHEN business_seconds IS NULL THEN 1 ELSE 0 END)"
        f" FROM step_events WHERE outcome IN {FINISHED} AND finished_at IS NOT NULL GROUP BY 2, 3, 4, 5"
        f" UNION ALL SELECT {STARTED_KIND}, {started_day}, step,"
        " CASE WHEN route_key <> 0 AND attempt = 1 THEN opd_code END,"
        " CASE WHEN route_key <> 0 AND attempt = 1 THEN 1 ELSE 0 END, count(*), 0, 0"
        " FROM step_events WHERE started_at IS NOT NULL GROUP BY 2, 3, 4, 5"
        f" UNION ALL SELECT {VALUE_KIND}, {_month_sql('finished_at', offset, postgres)}, step, NULL,"
        f" {bin_sql('business_seconds')}, count(*), 0, 0 FROM step_events WHERE outcome IN {FINISHED}"
        " AND finished_at IS NOT NULL AND business_seconds IS NOT NULL GROUP BY 2, 3, 5"
    )
