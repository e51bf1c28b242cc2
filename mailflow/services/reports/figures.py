"""The figures of the reports, computed in SQL from `step_events` (docs/step-events.md).

Everything here aggregates in the database: counts, on-time shares and nearest-rank percentiles
(ROW_NUMBER and COUNT over a partition, the same SQL on SQLite and PostgreSQL; the method is
defined in `mailflow.domain.periods`). Only the short lists (the overdue items, the complaints of
one day) come back as rows.

Definitions used by every report:

* **finished** step item: a row with outcome ``done`` or ``rejected`` whose ``finished_at`` lies
  in the period; its ``business_seconds`` and ``on_time`` were fixed by the engine at finish.
  ``cancelled`` and ``superseded`` rows are never counted as finished or late.
* **started** step item: a row whose ``started_at`` lies in the period (any outcome).
* **open** at an instant T (``as_of``): started before T and not finished by T; **overdue** when
  also ``due_at < T``. How late = business time from ``due_at`` to T on the calendar.
* **route** (one OPD's branch, steps 5-9): *received* when its first route step (attempt 1)
  started in the period; *finished* when the latest done row of its last route step finished in
  the period. Its business time is the sum over its finished rows (every attempt); it is
  *within limit* when none of those rows was late.
* **case**: *received* when ``cases.received_at`` is in the period; *finished* when it was closed
  or rejected (``closed_at``) in the period. Its business time is the case-level steps' sum plus
  the longest route (routes run side by side): with steps chained start-to-finish this equals the
  business time from receipt to closing. *Within limit* = no finished step of the case was late.

Speed (issue 16): every query reads the period's rows only, through covering indexes (migration
0003_perf), so no query fetches table rows it then throws away. On SQLite the percentiles of the
step items over a long period (a semester, a year) are read by walking the (step,
business_seconds) index in value order to the k-th row of the period (`LIMIT 1 OFFSET k-1`), and
other groups' values come back packed in one text per group and are ranked here; PostgreSQL ranks
them itself with percentile_disc (`ranks_in_sql`). All give the nearest-rank value defined in
`mailflow.domain.periods`, which tests/reports/test_figures_equivalence.py checks against the
earlier implementation on both databases. Long reports also read stored rollups, each kept exact
by marks or deltas written in the events' own transactions: per-route and per-case sums
(`report_route_sums`, `report_case_sums`) and per-day counts (`day_counts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, pairwise
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Subquery

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.fanout import Fanout, Pending, inline
from mailflow.adapters.db.models import (
    OPD_STEPS_INDEX,
    STEP_VALUE_INDEX,
    Case,
    ReportCaseSum,
    ReportDirtyCase,
    ReportRouteSum,
    StepEvent,
)
from mailflow.adapters.db.types import UTCDateTime
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.periods import Period
from mailflow.domain.sop import Sop
from mailflow.domain.value_bins import bin_of, bin_range
from mailflow.services.reports.day_counts import (
    FINISHED_KIND,
    STARTED_KIND,
    DayKey,
    day_count_memo,
    read_day_counts,
    read_value_bins,
)

FINISHED = ("done", "rejected")
VOID = ("cancelled", "superseded")
CASE_OPEN = "open"  # the other statuses (closed, rejected) are finished, with closed_at set
# From this length on a period holds a large share of a step's rows, and walking the step's
# value index to the k-th row of the period reads fewer index entries than sorting the period.
WALK_FROM = timedelta(days=62)
PERCENTILES = (50, 90)
OPD_STEP_KEYS = (("opd_code",), ("opd_code", "step"))  # read along OPD_STEPS_INDEX when long
DAY_COUNT_KEYS = (("step",), *OPD_STEP_KEYS)  # on_time_counts groupings the day counts hold
Key = tuple[Any, ...]
Bounds = tuple[datetime, datetime]


@dataclass(frozen=True)
class Timing:
    """Finished items of a group: how many, how many on time, median and P90 business seconds."""

    finished: int = 0
    on_time: int = 0
    median_seconds: int | None = None
    p90_seconds: int | None = None

    @property
    def late(self) -> int:
        return self.finished - self.on_time

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.finished if self.finished else None


@dataclass(frozen=True)
class StepFigures:
    step: int
    started: int
    timing: Timing
    open: int
    overdue: int


@dataclass(frozen=True)
class OpdFigures:
    opd_code: str
    routes_received: int
    routes: Timing  # finished routes; within limit = on time
    steps_finished: int
    steps_on_time: int
    open: int
    overdue: int

    @property
    def steps_on_time_share(self) -> float | None:
        return self.steps_on_time / self.steps_finished if self.steps_finished else None


@dataclass(frozen=True)
class CaseFigures:
    received: int
    closed: int
    rejected: int
    timing: Timing  # closed + rejected cases; within limit = on time
    open_at_end: int


@dataclass(frozen=True)
class OverdueItem:
    case_id: int
    case_number: str
    subject: str
    step: int
    opd_code: str | None
    actor_role: str
    actor_person: str | None
    actor_email: str | None
    started_at: datetime
    due_at: datetime
    late_seconds: int
    reminders_sent: int
    escalated: bool


@dataclass(frozen=True)
class Count:
    name: str | None
    count: int


@dataclass(frozen=True)
class Figures:
    period: Period
    start: datetime
    end: datetime
    as_of: datetime
    cases: CaseFigures
    steps: tuple[StepFigures, ...]
    opds: tuple[OpdFigures, ...]
    overdue: tuple[OverdueItem, ...]
    overdue_total: int
    categories: tuple[Count, ...]
    channels: tuple[Count, ...]


def compute_figures(
    session: Session,
    period: Period,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    sop: Sop,
    as_of: datetime | None = None,
    overdue_limit: int = 200,
    top_categories: int = 10,
    cases_timing: Timing | Pending[Timing] | None = None,
    counts: LongCounts | None = None,
    fan: Fanout | None = None,
) -> Figures:
    """All figures of one period. Open/overdue items are taken at `as_of` (default: the period's
    end, or `now` while the period is still running). `cases_timing`: the period's finished
    cases' timing when the caller computed it already (see case_timing_and_buckets), or is
    computing it in `fan`; `counts`: a long period's `long_counts`, read here when not given;
    `fan`: helper connections on `session`'s snapshot (mailflow.adapters.db.fanout) that take
    the slowest independent reads while this one reads the rest."""
    with day_count_memo(session):
        return _compute_figures(
            session, period, now=now, calendar=calendar, sop=sop, as_of=as_of, overdue_limit=overdue_limit,
            top_categories=top_categories, cases_timing=cases_timing, counts=counts,
            fan=fan or inline(session),
        )  # fmt: skip


def _compute_figures(
    session: Session,
    period: Period,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    sop: Sop,
    as_of: datetime | None,
    overdue_limit: int,
    top_categories: int,
    cases_timing: Timing | Pending[Timing] | None,
    counts: LongCounts | None,
    fan: Fanout,
) -> Figures:
    start, end = period.bounds(calendar.zone)
    moment = as_of or min(now, end)
    route_steps = [s.number for s in sop.route_steps()]
    # the slowest reads first, so that they run beside the rest (inline: in this order)
    routes = fan.submit(lambda s: route_timing(s, (start, end), route_steps[-1])) if route_steps else None
    received = fan.submit(lambda s: received_counts(s, (start, end)))
    by_status = fan.submit(lambda s: closed_counts(s, (start, end)))
    if counts is None and is_long((start, end)):
        counts = long_counts(session, (start, end))
    steps = step_figures(session, (start, end), moment, [s.number for s in sop.steps], counts)
    opds = (
        opd_figures(session, (start, end), moment, route_steps, counts, routes=routes.result())
        if routes is not None
        else ()
    )
    overdue = overdue_items(session, moment, calendar, limit=overdue_limit)
    overdue_total = count_overdue(session, moment)
    still_open = count_open_cases(session, moment)
    categories, channels = received.result()
    if isinstance(cases_timing, Pending):
        cases_timing = cases_timing.result()
    cases = case_figures(
        session, (start, end), moment, cases_timing, sum(c.count for c in categories),
        by_status=by_status.result(), still_open=still_open,
    )  # fmt: skip
    return Figures(
        period=period,
        start=start,
        end=end,
        as_of=moment,
        cases=cases,
        steps=steps,
        opds=opds,
        overdue=overdue,
        overdue_total=overdue_total,
        categories=categories[:top_categories],
        channels=channels,
    )


# --- the building blocks -----------------------------------------------------------------------


def in_bounds(column: Any, bounds: Bounds) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[1])


def _ok() -> ColumnElement[int]:
    return case((StepEvent.on_time.is_(True), 1), else_=0)


def _finished_in(bounds: Bounds) -> ColumnElement[bool]:
    return and_(StepEvent.outcome.in_(FINISHED), in_bounds(StepEvent.finished_at, bounds))


def bucket_of(column: Any, buckets: Sequence[Bounds]) -> ColumnElement[int]:
    """The index of the bucket a timestamp falls in (NULL outside every bucket)."""
    return case(*[(in_bounds(column, b), literal(i)) for i, b in enumerate(buckets)], else_=None)


def _timings(session: Session, source: Subquery, group: Sequence[str]) -> dict[Key, Timing]:
    """Timing per group of `source` (columns: the group columns, ``v`` = seconds, ``ok`` = 0/1).

    On SQLite the database returns each group's count, on-time count and values (packed in one
    text, see `_packed`) and they are ranked here: numbering every row of a long period in a
    window (ROW_NUMBER and COUNT over the group) made SQLite sort them on disk, and fetching a
    year's 100,000 (v, ok) rows one by one through the driver cost more than the query. The
    nearest rank is the same: k = ceil(P * n / 100) = (P * n + 99) // 100, the k-th smallest value
    of the group (mailflow.domain.periods). PostgreSQL ranks them itself (`ranks_in_sql`).
    """
    keys = [source.c[name] for name in group]
    if ranks_in_sql(session):
        stmt = select(*keys, func.count(), func.sum(source.c.ok), *_percentiles(source.c.v)).group_by(*keys)
        return _sql_timings(session, stmt, len(keys))
    packed = _packed(session)
    stmt = select(*keys, func.count(), func.sum(source.c.ok), packed(source.c.v)).group_by(*keys)
    width = len(group)
    result: dict[Key, Timing] = {}
    for row in session.connection().execute(stmt):
        count, ok, values = row[width:]
        if count:
            result[tuple(row[:width])] = _ranked_values(_unpacked(values), int(ok or 0))
    return result


def ranks_in_sql(session: Session) -> bool:
    """Whether the database ranks the values itself: PostgreSQL's percentile_disc is the same
    nearest rank (the smallest value whose share of the group reaches P, i.e. the
    ceil(P * n)-th; P / 100 is exact enough in float8 that ceil never moves an exact rank) and
    sorts each group in C, where fetching 100,000 values into Python cost several full scans."""
    return session.get_bind().dialect.name == "postgresql"


def _percentiles(v: Any) -> list[Any]:
    return [func.percentile_disc(literal(percent / 100, Float())).within_group(v) for percent in PERCENTILES]


def _sql_timings(session: Session, stmt: Any, width: int) -> dict[Key, Timing]:
    """Rows of (the `width` key columns, n, on time, one value per PERCENTILES) as timings."""
    result: dict[Key, Timing] = {}
    for row in session.execute(stmt):
        n, ok, *values = row[width:]
        if n:  # without keys an aggregate answers one row even for no rows at all
            result[tuple(row[:width])] = Timing(int(n), int(ok or 0), *(int(v) for v in values))
    return result


def _ranked_values(values: list[int], on_time: int) -> Timing:
    """Timing of a group's seconds (sorted here in place) with `on_time` of them within limit."""
    if not values:
        return Timing()
    values.sort()  # in place; nearly free on the merged, already sorted ones
    n = len(values)
    p50, p90 = (int(values[(percent * n + 99) // 100 - 1]) for percent in PERCENTILES)
    return Timing(n, on_time, p50, p90)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def step_timing(
    session: Session,
    bounds: Bounds,
    *,
    by: Sequence[str] = ("step",),
    buckets: Sequence[Bounds] | None = None,
    counts: LongCounts | None = None,
) -> dict[Key, Timing]:
    """Finished step items per group (`by`: columns of step_events, e.g. step, opd_code);
    with `buckets`, the key starts with the bucket index of ``finished_at``. `counts`: the long
    period's `long_counts`, when the caller read them already."""
    if tuple(by) == ("step",) and buckets is None:
        binned = _step_timing_binned(session, bounds, counts)  # None unless whole months
        if binned is not None:
            return binned
        # PostgreSQL sorts a long period's rows itself faster than it walks the value index
        if is_long(bounds) and not ranks_in_sql(session):
            return _step_timing_walked(session, bounds, counts)
    columns: list[Any] = [getattr(StepEvent, name).label(name) for name in by]
    names = list(by)
    if buckets is not None:
        columns.insert(0, bucket_of(StepEvent.finished_at, buckets).label("bucket"))
        names.insert(0, "bucket")
        bounds = (buckets[0][0], buckets[-1][1])
    where = [_finished_in(bounds)]
    if "opd_code" in by:
        where.append(StepEvent.route_key != 0)
    source = select(
        *columns, func.coalesce(StepEvent.business_seconds, 0).label("v"), _ok().label("ok")
    ).where(*where)
    return _timings(session, source.subquery("src"), names)


def _step_timing_walked(
    session: Session, bounds: Bounds, counts: LongCounts | None = None
) -> dict[Key, Timing]:
    """`step_timing` per step, the percentiles read from the (step, business_seconds) index.

    A row without business seconds counts as 0 s (as ``coalesce`` does in `step_timing`): they
    are the first ranks, so the index walk (which skips them) starts after them."""
    per_step = (counts or long_counts(session, bounds)).per_step()
    upward, downward = _value_walk(session, "ASC"), _value_walk(session, "DESC")
    result: dict[Key, Timing] = {}
    for step, (finished, on_time, nulls) in sorted(per_step.items()):
        n, zero = finished, nulls
        values = []
        for percent in PERCENTILES:
            rank = (percent * n + 99) // 100
            if rank <= zero:
                values.append(0)
                continue
            # the k-th smallest of the m valued rows is the (m - k + 1)-th largest: walk from
            # the nearer end (P90 reads a tenth of the rows from the top instead of nine tenths)
            k, m = rank - zero, n - zero
            walk, skip = (upward, k - 1) if k - 1 <= m - k else (downward, m - k)
            params = {"step": step, "start": bounds[0], "end": bounds[1], "skip": skip}
            values.append(int(session.execute(walk, params).scalar_one()))
        result[(step,)] = Timing(n, on_time, values[0], values[1])
    return result


def _step_timing_binned(
    session: Session, bounds: Bounds, counts: LongCounts | None = None
) -> dict[Key, Timing] | None:
    """`step_timing` per step from the value bins (migration 0012), or None when the period is
    not made of whole local months (or the counts disagree, see below).

    The rank of each percentile is found in the bins' counts; the value is then the bin's only
    value (a one-second bin) or read from the (step, business_seconds) index inside the bin
    alone. A row without business seconds counts as 0 s (as ``coalesce`` does in `step_timing`):
    those are added to the bin of 0, which holds no other value."""
    bins = read_value_bins(session, bounds)
    if bins is None:
        return None
    per_step = (counts or long_counts(session, bounds)).per_step()
    walk = _bin_walk(session)
    zero = bin_of(0)
    result: dict[Key, Timing] = {}
    for step, (finished, on_time, nulls) in sorted(per_step.items()):
        counted = dict(bins.get(step, {}))
        if sum(counted.values()) != finished - nulls:
            return None  # read in another snapshot than the counts: the callers' other ways are exact
        counted[zero] = counted.get(zero, 0) + nulls
        ordered = sorted(counted.items())
        values = []
        for percent in PERCENTILES:
            value = _kth_in_bins(session, walk, step, bounds, ordered, (percent * finished + 99) // 100)
            if value is None:
                return None
            values.append(value)
        result[(step,)] = Timing(finished, on_time, values[0], values[1])
    return result


def _kth_in_bins(
    session: Session, walk: Any, step: int, bounds: Bounds, bins: Sequence[tuple[int, int]], rank: int
) -> int | None:
    """The `rank`-th smallest value of `step` in `bounds`, given its counts per bin in order."""
    below = 0
    for index, n in bins:
        if below + n < rank:
            below += n
            continue
        low, high = bin_range(index)
        if low is not None and high - low == 1:
            return low  # the bin holds one value: no need to read it
        params = {"step": step, "low": -(2**63) if low is None else low, "high": high,
                  "start": bounds[0], "end": bounds[1], "skip": rank - below - 1}  # fmt: skip
        found = session.execute(walk, params).scalar()
        return None if found is None else int(found)
    return None


def _bin_walk(session: Session) -> Any:
    """The (``skip`` + 1)-th finished row of one step in the period among those with business
    seconds in [low, high), in value order: the index range of one value bin."""
    hint = f" INDEXED BY {STEP_VALUE_INDEX}" if session.get_bind().dialect.name == "sqlite" else ""
    finished = ", ".join(f"'{outcome}'" for outcome in FINISHED)
    sql = (
        f"SELECT business_seconds FROM step_events{hint}"  # noqa: S608 - constants only
        " WHERE step = :step AND business_seconds >= :low AND business_seconds < :high"
        f" AND outcome IN ({finished}) AND finished_at >= :start AND finished_at < :end"
        " ORDER BY business_seconds LIMIT 1 OFFSET :skip"
    )
    return text(sql).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )


@dataclass(frozen=True)
class LongCounts:
    """The finished items of a long period (a semester, a year) per (opd_code, step), read in one
    pass along the (opd_code, step, ...) index: SQLite groups them in index order instead of
    sorting most of the table into a temporary b-tree, and one pass serves the steps' counts, the
    OPDs' and the OPD steps' ones. Each row: opd_code, step, finished, on time, finished without
    business seconds, and the finished and on-time ones on a route (route_key != 0)."""

    rows: tuple[tuple[Any, int, int, int, int, int, int], ...]

    def per_step(self) -> dict[int, tuple[int, int, int]]:
        """{step: (finished, on time, without business seconds)} over every row."""
        totals: dict[int, list[int]] = {}
        for _code, step, finished, on_time, nulls, _rf, _ro in self.rows:
            total = totals.setdefault(step, [0, 0, 0])
            total[0] += finished
            total[1] += on_time
            total[2] += nulls
        return {step: (a, b, c) for step, (a, b, c) in totals.items()}

    def per_opd_step(self) -> dict[Key, Timing]:
        """`on_time_counts(..., ("opd_code", "step"))`: the route rows per OPD and step."""
        return {(code, step): Timing(rf, ro) for code, step, _f, _o, _n, rf, ro in self.rows if rf}

    def per_opd(self) -> dict[Key, Timing]:
        """`on_time_counts(..., ("opd_code",))`: the route rows per OPD."""
        totals: dict[Key, list[int]] = {}
        for code, _step, _f, _o, _n, rf, ro in self.rows:
            if rf:
                total = totals.setdefault((code,), [0, 0])
                total[0] += rf
                total[1] += ro
        return {key: Timing(finished, on_time) for key, (finished, on_time) in totals.items()}


def long_counts(session: Session, bounds: Bounds) -> LongCounts:
    """The LongCounts of the period: from the day counts (migration 0011) when its bounds are
    local midnights at their offset, else from one pass over the period's index entries."""
    days = read_day_counts(session, FINISHED_KIND, [bounds])
    if days is not None:
        totals: dict[tuple[Any, int], list[int]] = {}
        for (_bucket, step, code, flag), (n, ok, nulls) in days.items():
            total = totals.setdefault((code, step), [0, 0, 0, 0, 0])
            total[0] += n
            total[1] += ok
            total[2] += nulls
            if flag:
                total[3] += n
                total[4] += ok
        ordered = sorted(
            ((code, step, *total) for (code, step), total in totals.items() if total[0]), key=_key_order
        )
        return LongCounts(tuple((r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in ordered))
    hint = f" INDEXED BY {OPD_STEPS_INDEX}" if session.get_bind().dialect.name == "sqlite" else ""
    finished = ", ".join(f"'{outcome}'" for outcome in FINISHED)
    sql = (
        "SELECT opd_code, step, count(*), sum(CASE WHEN on_time THEN 1 ELSE 0 END),"  # noqa: S608
        " sum(CASE WHEN business_seconds IS NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN route_key <> 0 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN route_key <> 0 AND on_time THEN 1 ELSE 0 END)"
        f" FROM step_events{hint} WHERE outcome IN ({finished})"
        " AND finished_at >= :start AND finished_at < :end GROUP BY opd_code, step"
    )
    stmt = text(sql).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    rows = session.execute(stmt, {"start": bounds[0], "end": bounds[1]})
    return LongCounts(tuple((row[0], *(int(v or 0) for v in row[1:])) for row in rows))


def is_long(bounds: Bounds) -> bool:
    return bounds[1] - bounds[0] >= WALK_FROM


def _value_walk(session: Session, direction: str) -> Any:
    """The (``skip`` + 1)-th finished row of one step in the period, in business-seconds order
    (`direction` ASC or DESC). SQLite is told to walk the value index (its planner would otherwise
    take the shorter (step, finished_at) range and sort it); PostgreSQL's planner weighs both ways
    itself."""
    hint = f" INDEXED BY {STEP_VALUE_INDEX}" if session.get_bind().dialect.name == "sqlite" else ""
    finished = ", ".join(f"'{outcome}'" for outcome in FINISHED)
    order = {"ASC": "ASC", "DESC": "DESC"}[direction]
    sql = (
        f"SELECT business_seconds FROM step_events{hint}"  # noqa: S608 - constants only
        f" WHERE step = :step AND business_seconds IS NOT NULL AND outcome IN ({finished})"
        " AND finished_at >= :start AND finished_at < :end"
        f" ORDER BY business_seconds {order} LIMIT 1 OFFSET :skip"
    )
    return text(sql).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )


def route_timing(
    session: Session, bounds: Bounds, last_step: int, *, buckets: Sequence[Bounds] | None = None
) -> dict[Key, Timing]:
    """Finished routes per OPD (key: opd_code, or bucket and opd_code with `buckets`): the routes
    whose last step was last done in the window, read from their sums (see `route_sums`).

    A route's highest done step is its last step once that is done: route rows hold route steps
    only, and the SOP's last route step is the highest of them."""
    window = (buckets[0][0], buckets[-1][1]) if buckets else bounds
    sums = route_sums(
        lambda table: and_(
            table.c.route_key != 0, table.c.last_step == last_step, in_bounds(table.c.last_done_at, window)
        )
    )
    names = ["opd_code"]
    columns: list[Any] = [sums.c.opd_code, sums.c.seconds.label("v"), sums.c.ok]
    if buckets is not None:
        columns.insert(0, bucket_of(sums.c.last_done_at, buckets).label("bucket"))
        names.insert(0, "bucket")
    return _timings(session, select(*columns).subquery("src"), names)


def case_timing(
    session: Session, bounds: Bounds, *, buckets: Sequence[Bounds] | None = None
) -> dict[Key, Timing]:
    """Finished (closed or rejected) cases; key () or (bucket,) of ``closed_at``."""
    per_case = _per_case(bounds, buckets)
    columns: list[Any] = [per_case.c.v, per_case.c.ok]
    names: list[str] = []
    if buckets is not None:
        columns.insert(0, bucket_of(per_case.c.closed_at, buckets).label("bucket"))
        names.append("bucket")
    return _timings(session, select(*columns).subquery("src"), names)


def case_timing_and_buckets(
    session: Session, bounds: Bounds, buckets: Sequence[Bounds]
) -> tuple[Timing, dict[Key, Timing]]:
    """`case_timing` of the whole period and per bucket at once, for consecutive buckets that
    divide the period (a year's months): the cases' values are read once and ranked here, with
    the same nearest-rank rule.

    The stored rows are read one index range per bucket (the bucket is known from the range: no
    CASE over a dozen bounds on each of a year's 100,000 rows) and come back packed, one text of
    values per bucket (`_packed`), in the same statement as the marked cases computed from their
    events (see `_per_case`). PostgreSQL too: ranking them itself, each bucket and the whole
    period as grouping sets of one statement, took 1.8 times as long on a year of 100,000 cases
    (it sorts every case twice)."""
    if (buckets[0][0], buckets[-1][1]) != bounds or any(one[1] != two[0] for one, two in pairwise(buckets)):
        raise ValueError("the buckets must divide the period")
    packed = _packed(session)
    stored, fresh = _stored_cases()
    parts = [
        select(
            literal(index).label("bucket"), func.count(), func.sum(stored.c.ok), packed(stored.c.seconds)
        ).where(fresh, in_bounds(stored.c.closed_at, bucket))
        for index, bucket in enumerate(buckets)
    ]
    changed = _changed_cases(bounds).subquery("changed")
    which = bucket_of(changed.c.closed_at, buckets).label("bucket")
    marked = select(which, changed.c.v, changed.c.ok).subquery("marked")
    parts.append(
        select(marked.c.bucket, func.count(), func.sum(marked.c.ok), packed(marked.c.v)).group_by(
            marked.c.bucket
        )
    )
    values: dict[Key, list[int]] = {}
    on_time: dict[Key, int] = {}
    for bucket, count, ok, text_values in session.connection().execute(union_all(*parts)):
        if count:
            values.setdefault((bucket,), []).extend(_unpacked(text_values))
            on_time[(bucket,)] = on_time.get((bucket,), 0) + int(ok or 0)
    per_bucket = {key: _ranked_values(found, on_time[key]) for key, found in values.items()}
    # each bucket's seconds are sorted runs now: their sort (in C) merges the runs for the period
    year = _ranked_values(list(chain.from_iterable(values.values())), sum(on_time.values()))
    return year, per_bucket


def _packed(session: Session) -> Callable[[Any], ColumnElement[Any]]:
    """An aggregate packing a group's integer values (NULL read as 0) into one text, "5,0,17":
    fetching a year's 100,000 values row by row through the driver took most of the time of
    reading them; one row per group costs a split here instead."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda column: func.string_agg(cast(func.coalesce(column, 0), Text), literal_column("','"))
    return lambda column: func.group_concat(func.coalesce(column, 0), literal_column("','"))


def _unpacked(values: str | None) -> list[int]:
    return list(map(int, values.split(","))) if values else []  # map: half the time of a comprehension


def _per_case(bounds: Bounds, buckets: Sequence[Bounds] | None) -> Subquery:
    """One row per case closed in the window: ``closed_at``, ``v`` (its business seconds: the
    case-level steps plus the longest route) and ``ok`` (no finished step late). The cases without
    a dirty mark are read from `report_case_sums` (one index range over the window); the marked
    ones (whose events or status changed since) are computed from their step events in the same
    query (see `route_sums`). A case without a finished step has v = 0, ok = 1."""
    window = (buckets[0][0], buckets[-1][1]) if buckets else bounds
    stored, fresh = _stored_cases()
    # closed_at is stored only for a finished case, so the window alone selects the closed ones
    rows = select(stored.c.closed_at, stored.c.seconds.label("v"), stored.c.ok).where(
        fresh, in_bounds(stored.c.closed_at, window)
    )
    return union_all(rows, _changed_cases(window)).subquery("per_case")


def _stored_cases() -> tuple[Any, ColumnElement[bool]]:
    """`report_case_sums` and the condition that a row may be read: its case has no dirty mark."""
    stored = ReportCaseSum.__table__
    return stored, stored.c.case_id.not_in(select(ReportDirtyCase.case_id))


def _changed_cases(window: Bounds) -> Any:
    """The marked cases closed in `window`: closed_at, v and ok computed from their events."""
    dirty = select(ReportDirtyCase.case_id)
    closed = (Case.status != CASE_OPEN, in_bounds(Case.closed_at, window))
    computed = computed_sums(select(Case.id).where(*closed, Case.id.in_(dirty)))
    return (
        select(Case.closed_at.label("closed_at"), *_case_totals(computed))
        .select_from(Case)
        .outerjoin(computed, computed.c.case_id == Case.id)
        .where(*closed, Case.id.in_(dirty))
        .group_by(Case.id, Case.closed_at)
    )


def _case_totals(sums: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Over one case's route sums (`sums` outer-joined to its case): ``v``, the case-level sum
    plus the longest route, and ``ok``, their min (0 s and 1 without a finished row)."""
    v = func.coalesce(func.sum(case((sums.c.route_key == 0, sums.c.seconds), else_=0)), 0) + func.coalesce(
        func.max(case((sums.c.route_key != 0, sums.c.seconds), else_=0)), 0
    )
    return v.label("v"), func.coalesce(func.min(sums.c.ok), 1).label("ok")


def case_sums_of(cases: Any, sums: Any) -> Any:
    """The rows of `report_case_sums` (case_id, closed_at, seconds, ok) for the case ids `cases`
    (a SELECT of ids or a list) from `sums`, route sums as `report_route_sums` holds them (the
    stored table or `computed_sums`): closed_at only when the case is finished."""
    v, ok = _case_totals(sums)
    closed_at = case((Case.status != CASE_OPEN, Case.closed_at), else_=None)
    return (
        select(Case.id.label("case_id"), closed_at.label("closed_at"), v.label("seconds"), ok)
        .select_from(Case)
        .outerjoin(sums, sums.c.case_id == Case.id)
        .where(Case.id.in_(cases))
        .group_by(Case.id, Case.status, Case.closed_at)
    )


# --- the per-route sums (migration 0009) -------------------------------------------------------

SUM_COLUMNS = ("case_id", "route_key", "opd_code", "seconds", "ok", "last_step", "last_done_at")
CASE_SUM_COLUMNS = ("case_id", "closed_at", "seconds", "ok")
REFRESH_FROM = 2000  # marks in the dirty log from which a long report folds them in first
REFRESH_CHUNK = 2000  # cases recomputed per statement
VACUUM_FROM = 100_000  # marks folded at once from which the emptied log is vacuumed right away


def computed_sums(cases: Any) -> Subquery:
    """The sums of `report_route_sums` computed from step_events, for the case ids `cases` (a
    SELECT of ids or a list): per (case, route_key) of finished rows, the business seconds, 1 when none was
    late, the OPD, the highest done step and when that step was last done."""
    finished = StepEvent.outcome.in_(FINISHED)
    groups = (
        select(
            StepEvent.case_id.label("case_id"),
            StepEvent.route_key.label("route_key"),
            func.max(StepEvent.opd_code).label("opd_code"),
            func.sum(func.coalesce(StepEvent.business_seconds, 0)).label("seconds"),
            func.min(_ok()).label("ok"),
            func.max(case((StepEvent.outcome == "done", StepEvent.step), else_=None)).label("last_step"),
        )
        .where(finished, StepEvent.case_id.in_(cases))
        .group_by(StepEvent.case_id, StepEvent.route_key)
        .subquery("groups")
    )
    done = aliased(StepEvent)
    last_done_at = (
        select(func.max(done.finished_at))
        .where(
            done.case_id == groups.c.case_id,
            done.route_key == groups.c.route_key,
            done.step == groups.c.last_step,
            done.outcome == "done",
        )
        .scalar_subquery()
    )
    return select(*groups.c, last_done_at.label("last_done_at")).subquery("computed")


def route_sums(where: Callable[[Any], ColumnElement[bool]]) -> Subquery:
    """The per-route sums the reports read: the stored rows of the cases without a dirty mark and,
    for the marked cases (whose events changed in a transaction since), the sums computed from
    their step events in the same query, so the figures always equal the raw events'. `where`
    filters either half by its columns."""
    stored = ReportRouteSum.__table__
    dirty = select(ReportDirtyCase.case_id)
    fresh = select(*(stored.c[name] for name in SUM_COLUMNS)).where(
        stored.c.case_id.not_in(dirty), where(stored)
    )
    computed = computed_sums(dirty)
    changed = select(*(computed.c[name] for name in SUM_COLUMNS)).where(where(computed))
    return union_all(fresh, changed).subquery("route_sums")


def refresh_route_sums(
    database: Database,
    *,
    at_least: int = REFRESH_FROM,
    chunk: int = REFRESH_CHUNK,
    vacuum_from: int = VACUUM_FROM,
) -> int:
    """Fold the dirty log into `report_route_sums` and `report_case_sums` when it holds `at_least`
    marks, `chunk` cases per statement; returns how many marks were folded. Exactness never
    depends on it (see `route_sums`): it only keeps the part computed on each report small.

    A case's marks are deleted by one statement that runs before the statements recomputing the
    case, in the same transaction: every mark it deletes was committed before it started, so the
    recomputation (a later statement) sees that mark's events and case, and a mark committed
    after it stays for the next fold. Chunks are cases, not marks: a case marked by each of its
    events was recomputed once per chunk holding one of its marks (a bulk load of 1 M cases left
    12 M marks, and their fold took about 50 minutes instead of 4). A fold of `vacuum_from` marks
    or more vacuums the emptied log at once (`Database.vacuum`)."""
    with database.reader() as session:
        if session.execute(select(func.count()).select_from(ReportDirtyCase)).scalar_one() < at_least:
            return 0
    folded = 0
    with database.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            # one refresher at a time: two recomputing the same case would collide on its key
            session.execute(text("SELECT pg_advisory_xact_lock(160009)"))
        marked = select(ReportDirtyCase.case_id).distinct().order_by(ReportDirtyCase.case_id)
        cases = list(session.execute(marked).scalars())
        for start in range(0, len(cases), chunk):
            ids = cases[start : start + chunk]
            taken = session.execute(delete(ReportDirtyCase).where(ReportDirtyCase.case_id.in_(ids)))
            session.execute(delete(ReportRouteSum).where(ReportRouteSum.case_id.in_(ids)))
            computed = computed_sums(ids)
            rows = select(*(computed.c[name] for name in SUM_COLUMNS))
            session.execute(insert(ReportRouteSum).from_select(list(SUM_COLUMNS), rows))
            # the case rows from the route sums just stored; a case without events gets 0 s,
            # ok 1, and a deleted case no row
            session.execute(delete(ReportCaseSum).where(ReportCaseSum.case_id.in_(ids)))
            sums = case_sums_of(ids, ReportRouteSum.__table__)
            session.execute(insert(ReportCaseSum).from_select(list(CASE_SUM_COLUMNS), sums))
            folded += int(taken.rowcount)  # type: ignore[attr-defined]
    if folded >= vacuum_from:  # after the commit: VACUUM runs outside a transaction
        database.vacuum("report_dirty_cases")
    return folded


def _open_at(moment: datetime) -> ColumnElement[bool]:
    """Started before `moment` and not finished by then; void rows without a finish never count."""
    return and_(
        StepEvent.started_at < moment,
        or_(StepEvent.finished_at.is_(None), StepEvent.finished_at > moment),
        # coalesce: NOT (x IN ...) would be NULL, not true, for the usual NULL outcome
        not_(and_(StepEvent.finished_at.is_(None), func.coalesce(StepEvent.outcome, "").in_(VOID))),
    )


def _open_rows(moment: datetime) -> Subquery:
    """The rows open at `moment`, as two index-friendly halves (still unfinished; finished after
    `moment`): one OR over them makes SQLite walk every row through the (step, started_at) index."""
    columns = (StepEvent.step, StepEvent.opd_code, StepEvent.route_key, StepEvent.due_at)
    unfinished = select(*columns).where(
        StepEvent.finished_at.is_(None),
        StepEvent.started_at < moment,
        func.coalesce(StepEvent.outcome, "").not_in(VOID),
    )
    finished_later = select(*columns).where(StepEvent.finished_at > moment, StepEvent.started_at < moment)
    return union_all(unfinished, finished_later).subquery("open_rows")


def open_counts(session: Session, moment: datetime, by: str) -> dict[Any, tuple[int, int]]:
    """{group: (open, overdue)} at `moment`, grouped by a step_events column (step, opd_code)."""
    rows = _open_rows(moment)
    column = rows.c[by]
    stmt = select(column, func.count(), func.sum(case((rows.c.due_at < moment, 1), else_=0))).group_by(column)
    if by == "opd_code":
        stmt = stmt.where(rows.c.route_key != 0)
    return {key: (int(total), int(late or 0)) for key, total, late in session.execute(stmt)}


def count_overdue(session: Session, moment: datetime) -> int:
    stmt = select(func.count()).select_from(StepEvent).where(_open_at(moment), StepEvent.due_at < moment)
    return int(session.execute(stmt).scalar_one())


def started_counts(session: Session, bounds: Bounds, steps: Sequence[int]) -> dict[int, int]:
    """Step items started in the period, per step. Naming the steps lets the (step, started_at)
    index serve one range per step instead of a scan of the whole index. A period of whole local
    days reads the day counts instead (migration 0011)."""
    days = read_day_counts(session, STARTED_KIND, [bounds])
    if days is not None:
        started: dict[int, int] = {}
        for (_bucket, step, _code, _flag), (n, _ok, _nulls) in days.items():
            if step in steps:
                started[step] = started.get(step, 0) + n
        return {step: n for step, n in started.items() if n}
    stmt = (
        select(StepEvent.step, func.count())
        .where(StepEvent.step.in_(steps), in_bounds(StepEvent.started_at, bounds))
        .group_by(StepEvent.step)
    )
    return {key: int(total) for key, total in session.execute(stmt)}


def routes_received(
    session: Session, bounds: Bounds, first_step: int, *, buckets: Sequence[Bounds] | None = None
) -> dict[Key, int]:
    """Routes whose first step (attempt 1) started in the period, per OPD (or bucket and OPD); from
    the day counts (migration 0011) when every bound is a local midnight at their offset."""
    days = read_day_counts(session, STARTED_KIND, buckets or [bounds])
    if days is not None:
        received: dict[Key, int] = {}
        for (bucket, step, code, flag), (n, _ok, _nulls) in days.items():
            if step == first_step and flag:
                key = (bucket, code) if buckets is not None else (code,)
                received[key] = received.get(key, 0) + n
        return {key: n for key, n in received.items() if n}
    window = (buckets[0][0], buckets[-1][1]) if buckets else bounds
    columns: list[Any] = [StepEvent.opd_code.label("opd_code")]
    names = ["opd_code"]
    if buckets is not None:
        columns.insert(0, bucket_of(StepEvent.started_at, buckets).label("bucket"))
        names.insert(0, "bucket")
    source = (
        select(*columns)
        .where(
            StepEvent.step == first_step,
            StepEvent.attempt == 1,
            StepEvent.route_key != 0,
            in_bounds(StepEvent.started_at, window),
        )
        .subquery("received")
    )
    keys = [source.c[name] for name in names]
    stmt = select(*keys, func.count()).group_by(*keys)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(stmt)}


def received_counts(session: Session, bounds: Bounds) -> tuple[tuple[Count, ...], tuple[Count, ...]]:
    """Cases received in the period per category and per channel, largest first: one pass over
    the (received_at, category, channel) index for both, where a count per column read it twice."""
    categories: Counter[str | None] = Counter()
    channels: Counter[str | None] = Counter()
    stmt = (
        select(Case.category, Case.channel, func.count())
        .where(in_bounds(Case.received_at, bounds))
        .group_by(Case.category, Case.channel)
    )
    for category, channel, count in session.execute(stmt):
        categories[category] += count
        channels[channel] += count
    # the order of ORDER BY count DESC, name: ties by name in code-point order (SQLite's, and
    # PostgreSQL's under the C collation), NULL first on SQLite and last on PostgreSQL as their
    # ORDER BY puts it, so the top categories cut at the same row as the per-column queries did
    nulls_first = session.get_bind().dialect.name == "sqlite"
    return _largest_first(categories, nulls_first), _largest_first(channels, nulls_first)


def _largest_first(counts: Counter[str | None], nulls_first: bool) -> tuple[Count, ...]:
    def key(item: tuple[str | None, int]) -> tuple[int, bool, str]:
        name, count = item
        return -count, (name is not None) if nulls_first else (name is None), name or ""

    return tuple(Count(name, int(count)) for name, count in sorted(counts.items(), key=key))


def cases_by_bucket(session: Session, column: Any, buckets: Sequence[Bounds]) -> dict[int, int]:
    """How many cases have `column` (received_at, closed_at) in each of the disjoint `buckets`.

    One range count per bucket: each is answered from the column's index entries alone, where a
    single query had to evaluate a CASE over the buckets for every case of the year (about 10
    times slower at 100,000 cases)."""
    counts = {}
    for index, bounds in enumerate(buckets):
        stmt = select(func.count()).select_from(Case).where(in_bounds(column, bounds))
        if total := int(session.execute(stmt).scalar_one()):
            counts[index] = total
    return counts


def case_figures(
    session: Session,
    bounds: Bounds,
    moment: datetime,
    timing: Timing | None = None,
    received: int | None = None,
    *,
    by_status: Mapping[str, int] | None = None,
    still_open: int | None = None,
) -> CaseFigures:
    """`received`, `by_status`, `still_open`: the cases received in the period (the category
    counts of `received_counts` add up to it), `closed_counts` and `count_open_cases`, when the
    caller read them."""
    if received is None:
        received = session.execute(
            select(func.count()).select_from(Case).where(in_bounds(Case.received_at, bounds))
        ).scalar_one()
    if by_status is None:
        by_status = closed_counts(session, bounds)
    if still_open is None:
        still_open = count_open_cases(session, moment)
    if timing is None:
        timing = case_timing(session, bounds).get((), Timing())
    return CaseFigures(
        received=int(received),
        closed=int(by_status.get("closed", 0)),
        rejected=int(by_status.get("rejected", 0)),
        timing=timing,
        open_at_end=int(still_open),
    )


def closed_counts(session: Session, bounds: Bounds) -> dict[str, int]:
    """{status: cases finished (closed or rejected) in the period}."""
    stmt = (
        select(Case.status, func.count())
        .where(Case.status != CASE_OPEN, in_bounds(Case.closed_at, bounds))
        .group_by(Case.status)
    )
    return {str(status): int(n) for status, n in session.execute(stmt)}


def count_open_cases(session: Session, moment: datetime) -> int:
    """Cases received before `moment` and not finished by then."""
    # Two index-friendly halves instead of one OR (see _open_rows).
    unclosed = select(Case.id).where(Case.closed_at.is_(None), Case.received_at < moment)
    closed_later = select(Case.id).where(Case.closed_at > moment, Case.received_at < moment)
    halves = union_all(unclosed, closed_later).subquery("open_cases")
    return int(session.execute(select(func.count()).select_from(halves)).scalar_one())


def step_figures(
    session: Session,
    bounds: Bounds,
    moment: datetime,
    steps: Sequence[int],
    counts: LongCounts | None = None,
) -> tuple[StepFigures, ...]:
    started = started_counts(session, bounds, steps)
    timing = step_timing(session, bounds, counts=counts)
    opened = open_counts(session, moment, "step")
    return tuple(
        StepFigures(
            step=step,
            started=started.get(step, 0),
            timing=timing.get((step,), Timing()),
            open=opened.get(step, (0, 0))[0],
            overdue=opened.get(step, (0, 0))[1],
        )
        for step in steps
    )


def opd_figures(
    session: Session,
    bounds: Bounds,
    moment: datetime,
    route_steps: Sequence[int],
    counts: LongCounts | None = None,
    *,
    routes: dict[Key, Timing] | None = None,
) -> tuple[OpdFigures, ...]:
    """Every OPD with something in the period or open at `moment`, by code (`counts`: a long
    period's `long_counts`, read already; `routes`: `route_timing` of the period, likewise)."""
    received = routes_received(session, bounds, route_steps[0])
    if routes is None:
        routes = route_timing(session, bounds, route_steps[-1])
    steps = counts.per_opd() if counts is not None else on_time_counts(session, bounds, ("opd_code",))
    opened = open_counts(session, moment, "opd_code")
    codes = {k[0] for k in received} | {k[0] for k in routes} | {k[0] for k in steps} | set(opened)
    return tuple(
        OpdFigures(
            opd_code=code,
            routes_received=received.get((code,), 0),
            routes=routes.get((code,), Timing()),
            steps_finished=steps.get((code,), Timing()).finished,
            steps_on_time=steps.get((code,), Timing()).on_time,
            open=opened.get(code, (0, 0))[0],
            overdue=opened.get(code, (0, 0))[1],
        )
        for code in sorted(c for c in codes if c)
    )


def overdue_items(
    session: Session, moment: datetime, calendar: BusinessCalendar, *, limit: int = 200
) -> tuple[OverdueItem, ...]:
    """The most overdue open items at `moment` (earliest due first), with business lateness."""
    stmt = (
        select(StepEvent, Case.number, Case.subject)
        .join(Case, Case.id == StepEvent.case_id)
        .where(_open_at(moment), StepEvent.due_at < moment)
        .order_by(StepEvent.due_at, StepEvent.id)
        .limit(limit)
    )
    items = []
    for event, number, subject in session.execute(stmt):
        items.append(
            OverdueItem(
                case_id=event.case_id,
                case_number=number,
                subject=subject or "",
                step=event.step,
                opd_code=event.opd_code,
                actor_role=event.actor_role,
                actor_person=event.actor_person,
                actor_email=event.actor_email,
                started_at=event.started_at,
                due_at=event.due_at,
                late_seconds=calendar.business_seconds(event.due_at, moment),
                reminders_sent=event.reminders_sent or 0,
                escalated=event.escalated_at is not None and event.escalated_at <= moment,
            )
        )
    return tuple(items)


def on_time_counts(
    session: Session, bounds: Bounds, by: Sequence[str], *, buckets: Sequence[Bounds] | None = None
) -> dict[Key, Timing]:
    """Finished and on-time step items per group (`by`: step_events columns; with `buckets` the key
    starts with the bucket index): plain counts, no percentiles, so no window over all the rows."""
    if tuple(by) in DAY_COUNT_KEYS:
        days = read_day_counts(session, FINISHED_KIND, buckets or [bounds])
        if days is not None:
            return _day_timings(days, tuple(by), buckets is not None)
    window = (buckets[0][0], buckets[-1][1]) if buckets else bounds
    if buckets is None and tuple(by) in OPD_STEP_KEYS and is_long(bounds):
        counts = long_counts(session, bounds)
        return counts.per_opd() if tuple(by) == ("opd_code",) else counts.per_opd_step()
    columns: list[Any] = [getattr(StepEvent, name).label(name) for name in by]
    names = list(by)
    if buckets is not None:
        columns.insert(0, bucket_of(StepEvent.finished_at, buckets).label("bucket"))
        names.insert(0, "bucket")
    where = [_finished_in(window)]
    if "opd_code" in by:
        where.append(StepEvent.route_key != 0)
    source = select(*columns, _ok().label("ok")).where(*where).subquery("counted")
    keys = [source.c[name] for name in names]
    stmt = select(*keys, func.count(), func.sum(source.c.ok)).group_by(*keys)
    result: dict[Key, Timing] = {}
    for row in session.execute(stmt):
        *key, finished, on_time = row
        if buckets is None or key[0] is not None:
            result[tuple(key)] = Timing(int(finished), int(on_time or 0))
    return result


def _day_timings(days: Mapping[DayKey, tuple[int, int, int]], by: Key, bucketed: bool) -> dict[Key, Timing]:
    """`on_time_counts` from the day counts: grouped by step over every row, by OPD over the route
    rows (route_key != 0, the flag) as the raw query filters them."""
    totals: dict[Key, list[int]] = {}
    for (bucket, step, code, flag), (n, ok, _nulls) in days.items():
        if "opd_code" in by and not flag:
            continue
        values = {"step": step, "opd_code": code}
        key = tuple(values[name] for name in by)
        total = totals.setdefault((bucket, *key) if bucketed else key, [0, 0])
        total[0] += n
        total[1] += ok
    return {key: Timing(finished, on_time) for key, (finished, on_time) in totals.items() if finished}


def _key_order(row: Sequence[Any]) -> tuple[Any, ...]:
    return (row[0] is not None, row[0] or "", row[1])


def share_history(
    session: Session, periods: Sequence[Period], calendar: BusinessCalendar, by: str
) -> Mapping[Key, Timing]:
    """Finished and on-time counts per (period index, step or opd_code) over consecutive periods."""
    buckets = [p.bounds(calendar.zone) for p in periods]
    return on_time_counts(session, buckets[0], (by,), buckets=buckets)
