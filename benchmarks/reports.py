"""Reports at scale: the weekly figures and every report on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/reports.py [--sizes 10000 100000] [--repeat 2] [--only sqlite|postgres]
    .venv/bin/python benchmarks/reports.py --huge     # adds 1,000,000 cases (11 M events), PostgreSQL only

Generates N synthetic cases over the year 2026 (about 11 step events each: 100,000 cases are about
1.1 million step events; 12 % go to two OPDs, 5 % are rejected at step 2, 5 % take the 14-day
track, about 8 % of the steps are late, the last days of December are still open), bulk-loaded
with executemany (SQLite) and COPY (PostgreSQL, a throwaway cluster as tests/fixtures/postgres.py
starts it). Then times, best of --repeat runs:

* baseline: one full scan of the table, SELECT count(*), sum(late_seconds) FROM step_events
  (late_seconds is in no index, so both databases read every row of the table; the reports'
  covering indexes hold business_seconds, which would turn the old baseline into an index scan);
* weekly figures (compute_figures for 2026-W50 plus the 8-week trends) and the whole weekly email
  (figures, XLSX, chart, templates);
* the daily report (15 Dec), monthly (November), semester (S2) and yearly (2026) report, each
  with its DOCX and XLSX.

Prints seconds, the ratio to the baseline, and how each grows from the smallest to the largest
size. Speed is measured here, never asserted in tests. --huge generates the 1 M-case history in
memory (about 8 GB) and takes the better part of an hour; run it once, not in a loop. With
--keep DIR the loaded databases stay in DIR (PostgreSQL as a cluster there) and a later run with the
same DIR only upgrades them (new migrations) and times the reports again.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case, CaseRoute, StepEvent
from mailflow.bootstrap import build_calendar
from mailflow.config.directory_file import load_directory
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.periods import parse_period
from mailflow.resources import starter
from mailflow.services.reports import ReportContext, generate_report
from mailflow.services.reports.weekly import build_weekly
from mailflow.services.reports.weekly_email import build_weekly_email
from tests.fixtures.postgres import PostgresCluster

NOW = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # Monday 4 Jan 2027 08:00 WITA
YEAR_START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 1 Jan 2026 00:00 WITA
OPDS = ["DPUPR", "DISHUB", "DLH", "DINKES", "DISDIKBUD", "DISDUKCAPIL", "PDAM", "SATPOLPP"] + [
    f"OPD{n:02d}" for n in range(12)
]
CATEGORIES = ["Jalan Rusak", "Penerangan Jalan", "Kebersihan", "Drainase", "Air Bersih", "Kependudukan",
              "Kesehatan", "Pendidikan", "Ketertiban", "Perizinan", "Lalu Lintas", "Lainnya"]  # fmt: skip
ROLES = {1: "ADMIN", 2: "IKP", 3: "IKP", 4: "PIMPINAN", 5: "SEKRETARIS", 6: "KEPALA_OPD", 7: "KABID",
         8: "KEPALA_OPD", 9: "SEKRETARIS", 10: "IKP", 11: "ADMIN"}  # fmt: skip
LIMIT = {1: 3600, 2: 3600, 3: 3600, 4: 3600, 5: 3600, 6: 3600, 7: 3 * 30600, 8: 30600, 9: 3600,
         10: 1800, 11: 3600}  # fmt: skip
CASE_COLUMNS = ["id", "number", "channel", "subject", "summary", "body", "category", "track",
                "confidentiality", "status", "current_step", "language", "received_at", "closed_at",
                "created_at", "updated_at"]  # fmt: skip
ROUTE_COLUMNS = ["id", "case_id", "opd_code", "status", "created_at", "finished_at"]
EVENT_COLUMNS = ["id", "case_id", "route_id", "route_key", "step", "attempt", "track", "opd_code",
                 "actor_role", "started_at", "due_at", "finished_at", "outcome", "business_seconds",
                 "late_seconds", "on_time", "reminders_sent"]  # fmt: skip


# --- synthetic history ---------------------------------------------------------------------------


class History:
    """Rows as tuples in the column orders above; instants naive UTC, as UTCDateTime stores them."""

    def __init__(self, size: int, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.cases: list[tuple[Any, ...]] = []
        self.routes: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        for index in range(1, size + 1):
            self._case(index)

    def _duration(self, step: int, special: bool) -> int:
        """Business seconds a step took: mostly inside the limit, about 8 % late."""
        if step in (1, 3, 9):
            return self.rng.choice((0, 0, 60, 300))
        limit = 14 * 30600 if (step == 7 and special) else LIMIT[step]
        if self.rng.random() < 0.08:
            return int(limit * self.rng.uniform(1.05, 2.5))
        return int(limit * self.rng.uniform(0.05, 0.95))

    def _case(self, case_id: int) -> None:
        rng = self.rng
        received = (
            YEAR_START
            + timedelta(days=rng.randrange(365), minutes=rng.randrange(8 * 60))
            + timedelta(hours=-0.5)
        )
        special = rng.random() < 0.05
        rejected = rng.random() < 0.05
        opds = rng.sample(OPDS, 2 if rng.random() < 0.12 else 1)
        clock = received
        state = {"open": False}

        def step(number: int, route: tuple[int, str] | None) -> None:
            nonlocal clock
            if state["open"]:
                return
            seconds = self._duration(number, special)
            limit = 14 * 30600 if (number == 7 and special) else LIMIT[number]
            started = clock
            finished = started + timedelta(seconds=seconds * 2.2)  # nights and weekends pass too
            due = started + timedelta(seconds=limit * 2.2)
            track = "special" if (number == 7 and special) else "normal"
            route_id, route_key, opd = (route[0], route[0], route[1]) if route else (None, 0, None)
            head = (len(self.events) + 1, case_id, route_id, route_key, number, 1, track, opd, ROLES[number])
            if finished > NOW - timedelta(days=rng.uniform(2, 10)):  # the last days are in progress
                self.events.append((*head, _n(started), _n(due), None, None, None, None, None, 0))
                state["open"] = True
                return
            outcome = "rejected" if (number == 2 and rejected) else "done"
            late = max(0, seconds - limit)
            self.events.append(
                (*head, _n(started), _n(due), _n(finished), outcome, seconds, late, late == 0, 0)
            )
            clock = finished

        for number in (1, 2):
            step(number, None)
        if not rejected:
            for number in (3, 4):
                step(number, None)
            branch_start, ends = clock, []
            for code in opds:
                route_id = len(self.routes) + 1
                self.routes.append((route_id, case_id, code, "open", _n(branch_start), None))
                clock = branch_start
                for number in (5, 6, 7, 8, 9):
                    step(number, (route_id, code))
                ends.append(clock)
            clock = max(ends)
            for number in (10, 11):
                step(number, None)
        status = "open" if state["open"] else ("rejected" if rejected else "closed")
        self.cases.append((case_id, f"LPR-2026-{case_id:06d}", "lapor" if rng.random() < 0.3 else "email",
                           "Aduan", "Aduan warga", "", rng.choice(CATEGORIES),
                           "special" if special else "normal", "biasa", status, None, "id", _n(received),
                           None if status == "open" else _n(clock), _n(received), _n(clock)))  # fmt: skip


def _n(instant: datetime) -> datetime:
    return instant.replace(tzinfo=None)


# --- loading -----------------------------------------------------------------------------------------


def load_sqlite(url: str, history: History) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        for table, columns, rows in _tables(history):
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            for chunk in _chunks(rows, 50_000):
                conn.exec_driver_sql(sql, [tuple(_sqlite(v) for v in row) for row in chunk])
    engine.dispose()


def _sqlite(value: Any) -> Any:
    # The text format SQLAlchemy's SQLite DateTime writes and reads back.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def load_postgres(url: str, history: History) -> None:
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in _tables(history):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        for table in ("cases", "case_routes", "step_events"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
        cursor.execute("ANALYZE")  # what autovacuum would have done by the time reports run
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def _tables(history: History) -> Iterator[tuple[str, list[str], list[tuple[Any, ...]]]]:
    yield Case.__tablename__, CASE_COLUMNS, history.cases
    yield CaseRoute.__tablename__, ROUTE_COLUMNS, history.routes
    yield StepEvent.__tablename__, EVENT_COLUMNS, history.events


def _chunks(rows: list[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- timing -------------------------------------------------------------------------------------------


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def tasks(ctx: ReportContext) -> dict[str, Callable[[], object]]:
    today = date(2027, 1, 4)

    def baseline() -> object:
        with ctx.database.reader() as session:
            return session.execute(text("SELECT count(*), sum(late_seconds) FROM step_events")).one()

    def report(kind: str, name: str) -> Callable[[], object]:
        return lambda: generate_report(ctx, kind, parse_period(kind, name, today))

    week = parse_period("weekly", "2026-W50", today)
    return {
        "baseline full scan": baseline,
        "weekly figures": lambda: build_weekly(ctx, week, as_of=ctx.now),
        "weekly email (all)": lambda: build_weekly_email(ctx, week),
        "daily report": report("daily", "2026-12-15"),
        "monthly report": report("monthly", "2026-11"),
        "semester report": report("semester", "2026-S2"),
        "yearly report": report("yearly", "2026"),
    }


def run_size(
    size: int, backends: list[str], cluster: PostgresCluster | None, repeat: int, work: Path
) -> dict:
    history: History | None = None
    calendar, sop = build_calendar(Settings()), load_sop(None)
    directory = load_directory(starter("directory.yaml"), "id")
    results: dict[tuple[str, str], float] = {}
    print(f"\n{size:,} cases:")
    for backend in backends:
        url = _database(backend, size, cluster, work)
        database = Database(url)
        started = time.perf_counter()
        upgrade(database)
        if (took := time.perf_counter() - started) > 1:  # a kept database's new migrations (backfills)
            print(f"  {backend}: upgraded in {took:.1f} s")
        if _loaded(database):
            print(f"  {backend}: kept from an earlier run in {work} ({_count(database)})")
            if backend == "postgres":  # what autovacuum does after an upgrade's new tables and indexes
                with database.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        else:
            if history is None:
                started = time.perf_counter()
                history = History(size)
                print(f"  {len(history.events):,} step events, {len(history.routes):,} routes "
                      f"(generated in {time.perf_counter() - started:.1f} s)")  # fmt: skip
            started = time.perf_counter()
            (load_sqlite if backend == "sqlite" else load_postgres)(url, history)
            print(f"  {backend}: loaded in {time.perf_counter() - started:.1f} s ({_count(database)})")
        ctx = ReportContext(database=database, calendar=calendar, sop=sop, directory=directory, lang="id",
                            now=NOW, output_root=work / f"out-{backend}-{size}")  # fmt: skip
        base = None
        for name, action in tasks(ctx).items():
            action()  # warm caches (and the holidays of each year)
            seconds = best_of(repeat, action)
            base = base or seconds
            results[(backend, name)] = seconds
            print(
                f"  {backend:9s} {name:22s} {seconds:8.3f} s   {seconds / base:8.1f} x baseline", flush=True
            )
        database.dispose()
    return results


def _loaded(database: Database) -> bool:
    with database.reader() as session:
        return session.execute(text("SELECT count(*) FROM cases")).scalar_one() > 0


def _count(database: Database) -> str:
    with database.reader() as session:
        events = session.execute(text("SELECT count(*) FROM step_events")).scalar_one()
    return f"{events:,} step events"


def _database(backend: str, size: int, cluster: PostgresCluster | None, work: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{work / f'bench-{size}.sqlite3'}"
    assert cluster is not None
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": f"bench_{size}"}
        )
        if exists.first() is None:
            conn.execute(text(f"CREATE DATABASE bench_{size}"))
    admin.dispose()
    return cluster.url(f"bench_{size}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--huge", action="store_true", help="add 1,000,000 cases on PostgreSQL")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the databases (and the PostgreSQL cluster) in DIR and reuse them in later runs",
    )
    args = parser.parse_args()
    backends = [args.only] if args.only else ["sqlite", "postgres"]
    if args.huge:
        backends = ["postgres"]
        args.sizes = sorted({*args.sizes, 1_000_000})
    cluster = (
        PostgresCluster(args.keep / "postgres" if args.keep else None) if "postgres" in backends else None
    )
    if cluster:
        cluster.start()
    try:
        with contextlib.ExitStack() as stack:
            folder = args.keep or Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="mailflow-bench-"))
            )
            folder.mkdir(parents=True, exist_ok=True)
            by_size = {size: run_size(size, backends, cluster, args.repeat, folder) for size in args.sizes}
    finally:
        if cluster:
            cluster.stop()
    small, large = min(args.sizes), max(args.sizes)
    if small != large:
        print(f"\nGrowth from {small:,} to {large:,} cases ({large / small:.0f}x the data):")
        for key, seconds in by_size[large].items():
            before = by_size[small].get(key)
            if before:
                growth = seconds / before
                print(f"  {key[0]:9s} {key[1]:22s} {before:8.3f} s -> {seconds:8.3f} s   x{growth:5.1f}")


if __name__ == "__main__":
    main()
