"""The reports' figures against a history whose answers were worked out by hand.

The history is tests/reports/seed.py (times in WITA). Every expected number below is written out
from those local times and the working hours (Mon-Thu 07:30-12:00 + 12:30-16:30 = 8.5 h, Fri
07:30-11:00 = 3.5 h; days off 18-24 Mar, 24-25 Dec 2026), never computed by the code under test.
Abbreviations: h = 3600 s, m = 60 s.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.periods import PeriodKind, parse_period
from mailflow.domain.sop import Sop
from mailflow.services.reports.figures import (
    Count,
    Figures,
    Timing,
    case_timing,
    cases_by_bucket,
    compute_figures,
    on_time_counts,
    received_counts,
    routes_received,
    share_history,
    started_counts,
    step_timing,
)
from tests.reports import legacy_figures as old
from tests.reports.seed import at

H, M = 3600, 60
TODAY = date(2026, 12, 28)


def figures(
    database: Database, calendar: BusinessCalendar, sop: Sop, kind: str, name: str, now: str
) -> Figures:
    period = parse_period(kind, name, TODAY)
    with database.reader() as session:
        return compute_figures(session, period, now=at(*now.split()), calendar=calendar, sop=sop)


def test_week_52_per_step(seeded: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    """Mon 21 - Sun 27 Dec 2026; Thu 24 and Fri 25 are days off."""
    week = figures(seeded, calendar, sop, "weekly", "2026-W52", "2026-12-28 07:30")
    steps = {s.step: s for s in week.steps}
    # Step 1 finished: 00101 0, 00102 4500 (Fri 14:00 arrival counts from Mon 07:30: 07:30-08:45
    # = 75 m = 4500; due Mon 08:30, so late), 00104 600 (09:00-09:10), 00105 300, 00106 0.
    # Sorted 0, 0, 300, 600, 4500: median rank ceil(2.5) = 3 -> 300; P90 rank ceil(4.5) = 5 -> 4500.
    assert steps[1].timing == Timing(finished=5, on_time=4, median_seconds=300, p90_seconds=4500)
    # Step 1 started in the week: 00101, 00104, 00105, 00106 (00102 started Friday 18 Dec).
    assert steps[1].started == 4
    # Step 2: 00101 30 m, 00102 45 m (08:45-09:30), 00104 110 m (09:10-11:00, TOLAK, due 10:10:
    # late), 00105 30 m, 00106 20 m -> 1200, 1800, 1800, 2700, 6600; median 1800, P90 6600.
    assert steps[2].timing == Timing(5, 4, 1800, 6600)
    assert steps[2].started == 5
    # Step 4: 00101 30 m, 00105 25 m, 00106 30 m (00102's step 4 is open) -> median rank 2 = 1800,
    # P90 rank ceil(2.7) = 3 = 1800. Open: 00102 since Mon 09:30, due 10:30 -> overdue.
    assert steps[4].timing == Timing(3, 3, 1800, 1800)
    assert (steps[4].open, steps[4].overdue) == (1, 1)
    # Step 5: 00101 20 m, 00105/DPUPR 30 m, 00105/DLH 120 m (due 15:00, done 16:00: late),
    # 00106/DISHUB 30 m -> 1200, 1800, 1800, 7200. The withdrawn DINKES row is neither finished
    # nor open, but it did start: 5 started.
    assert steps[5].timing == Timing(4, 3, 1800, 7200)
    assert (steps[5].started, steps[5].open, steps[5].overdue) == (5, 0, 0)
    # Step 7: 00101 Mon 10:00 -> Tue 10:00 = 6 h + 2.5 h = 8.5 h = 30600;
    # 00105 DPUPR Mon 15:00 -> Wed 09:00 = 1.5 + 8.5 + 1.5 = 11.5 h = 41400;
    # 00105 DLH Tue 08:00 -> Wed 11:00 = 8 + 3.5 = 11.5 h = 41400;
    # 00103 (14-day track) Mon 7 Dec 11:00 -> Wed 23 Dec 10:00 = 5 + 25.5 + 3.5 + 34 + 3.5 + 17
    # + 2.5 = 91 h = 327600, due Tue 29 Dec 11:00 (14 working days, skipping 24/25 Dec): on time.
    # Median rank 2 = 41400, P90 rank 4 = 327600. Open: 00106 since Wed 10:00, due Wed 30 Dec.
    assert steps[7].timing == Timing(4, 4, 41400, 327600)
    assert (steps[7].open, steps[7].overdue) == (1, 0)
    # Step 8: 00101 3.5 h, 00103 4.5 h, 00105 DPUPR 1 h, DLH 1.5 h -> median rank 2 = 5400.
    assert steps[8].timing == Timing(4, 4, 5400, 16200)
    # Step 10: 00101 20 m, 00103 40 m (due 15:30, done 15:40: late), 00105 20 m.
    assert steps[10].timing == Timing(3, 2, 1200, 2400)
    assert steps[10].timing.on_time_share is not None
    assert round(steps[10].timing.on_time_share, 4) == 0.6667
    assert [s.timing.finished for s in week.steps] == [5, 5, 4, 3, 4, 4, 4, 4, 4, 3, 3]


def test_week_52_cases_opds_and_lists(seeded: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    week = figures(seeded, calendar, sop, "weekly", "2026-W52", "2026-12-28 07:30")
    # Received Mon 21-Sun 27: 00101, 00104, 00105, 00106. Closed: 00101, 00103, 00105; rejected 00104.
    # Case business time = case-level steps + the longest route:
    #   00101 Mon 08:00 -> Tue 15:00 = 8 h + 7 h = 15 h = 54000 (all on time)
    #   00103 7 Dec 08:00 -> 23 Dec 16:10 = 99 h 40 m = 358800 (step 10 late)
    #   00104 09:00 -> 11:00 = 2 h = 7200 (step 2 late)
    #   00105 Mon 13:00 -> Wed 14:00 = 3.5 + 8.5 + 6 = 18 h = 64800 (DLH step 5 late)
    # Sorted 7200, 54000, 64800, 358800: median rank 2 = 54000, P90 rank 4 = 358800; 1 of 4 on time.
    cases = week.cases
    assert (cases.received, cases.closed, cases.rejected) == (4, 3, 1)
    assert cases.timing == Timing(finished=4, on_time=1, median_seconds=54000, p90_seconds=358800)
    assert cases.open_at_end == 2  # 00102 and 00106
    opds = {o.opd_code: o for o in week.opds}
    assert list(opds) == ["DINKES", "DISHUB", "DLH", "DPUPR"]
    # DISHUB: routes received 00101 and 00106; finished 00101 = 20 m + 40 m + 8.5 h + 4 h + 0
    # = 13 h = 46800; steps finished: 00101's five + 00106's steps 5 and 6 = 7; 00106 step 7 open.
    assert opds["DISHUB"].routes_received == 2
    assert opds["DISHUB"].routes == Timing(1, 1, 46800, 46800)
    assert (opds["DISHUB"].steps_finished, opds["DISHUB"].steps_on_time) == (7, 7)
    assert (opds["DISHUB"].open, opds["DISHUB"].overdue) == (1, 0)
    # DPUPR: 00105 (30 m + 30 m + 11.5 h + 1 h = 13.5 h = 48600) and 00103 (30 m + 50 m + 91 h
    # + 4.5 h = 96 h 50 m = 348600) finished; only 00105's route was received this week.
    assert opds["DPUPR"].routes_received == 1
    assert opds["DPUPR"].routes == Timing(2, 2, 48600, 348600)
    assert opds["DPUPR"].steps_finished == 8  # 00103 steps 7-9 + 00105 steps 5-9
    # DLH: 2 h + 1 h + 11.5 h + 1.5 h = 16 h = 57600, not within limit (step 5 late).
    assert opds["DLH"].routes == Timing(1, 0, 57600, 57600)
    assert (opds["DLH"].steps_finished, opds["DLH"].steps_on_time) == (5, 4)
    assert opds["DINKES"].routes_received == 1
    assert opds["DINKES"].routes == Timing()
    # Overdue at Mon 28 Dec 00:00 (the week's end): 00102 step 4, due Mon 21 10:30:
    # Mon 5.5 h + Tue 8.5 h + Wed 8.5 h (Thu/Fri days off, weekend) = 22.5 h = 81000.
    assert week.overdue_total == 1
    (item,) = week.overdue
    assert (item.case_number, item.step, item.actor_role, item.actor_person) == (
        "LPR-2026-00102", 4, "PIMPINAN", "kadis_kominfo"
    )  # fmt: skip
    assert item.late_seconds == 81000
    assert week.categories == (Count("Penerangan Jalan", 2), Count("Jalan Rusak", 1), Count("Lainnya", 1))
    assert week.channels == (Count("email", 3), Count("lapor", 1))


def test_december_at_month_end(seeded: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    month = figures(seeded, calendar, sop, "monthly", "2026-12", "2027-01-04 08:00")
    assert month.as_of == at("2027-01-01", "00:00")
    cases = month.cases
    # Received in December: 00101, 00102, 00103, 00104, 00105, 00106 (00090 arrived 30 Nov).
    # Finished: the four of week 52 plus 00090 (closed Thu 3 Dec; 27 h 25 m = 98700, step 4 late):
    # 7200, 54000, 64800, 98700, 358800 -> median rank 3 = 64800, P90 rank ceil(4.5) = 5 = 358800.
    assert (cases.received, cases.closed, cases.rejected) == (6, 4, 1)
    assert cases.timing == Timing(5, 1, 64800, 358800)
    steps = {s.step: s for s in month.steps}
    # Step 7 in December adds 00090's 19 h = 68400: 30600, 41400, 41400, 68400, 327600.
    assert steps[7].timing == Timing(5, 5, 41400, 327600)
    # At 1 Jan 00:00 00106's step 7 (due Wed 30 Dec 10:00) is overdue as well.
    assert (steps[7].open, steps[7].overdue) == (1, 1)
    # Step 4: 00101 30 m, 00103 60 m (08:40-09:40, due 09:40: on time, exactly), 00105 25 m,
    # 00106 30 m -> 1500, 1800, 1800, 3600.
    assert steps[4].timing == Timing(4, 4, 1800, 3600)
    late = {item.case_number: item.late_seconds for item in month.overdue}
    # 00102 from Mon 21 Dec 10:30: 5.5 + 8.5 + 8.5 + (24/25 off) + 28, 29, 30, 31 Dec 4 x 8.5
    # = 56.5 h = 203400. 00106 from Wed 30 Dec 10:00: 6 h + Thu 31 8.5 h = 14.5 h = 52200.
    assert late == {"LPR-2026-00102": 203400, "LPR-2026-00106": 52200}
    opds = {o.opd_code: o for o in month.opds}
    # DISHUB in December: 00101 (46800) and 00090 (35 m + 40 m + 19 h + 4 h 10 m = 24 h 25 m
    # = 87900) finished; received 00101 and 00106 (00090's route began 30 Nov).
    assert opds["DISHUB"].routes == Timing(2, 2, 46800, 87900)
    assert opds["DISHUB"].routes_received == 2
    assert (opds["DISHUB"].open, opds["DISHUB"].overdue) == (1, 1)


def test_march_holidays_and_the_year(seeded: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    march = figures(seeded, calendar, sop, "monthly", "2026-03", "2027-01-04 08:00")
    steps = {s.step: s for s in march.steps}
    # 00050: Tue 17 Mar 16:00 -> Wed 25 Mar 07:45: 30 m on Tuesday, 18-24 Mar are days off, then
    # 15 m = 45 m = 2700; due Wed 25 Mar 08:00, so on time. Step 2 07:45 -> 08:15 = 1800.
    assert steps[1].timing == Timing(1, 1, 2700, 2700)
    assert steps[2].timing == Timing(1, 1, 1800, 1800)
    assert march.cases.timing == Timing(1, 1, 4500, 4500)
    year = figures(seeded, calendar, sop, "yearly", "2026", "2027-01-04 08:00")
    # 2026: eight cases received; finished 4500, 7200, 54000, 64800, 98700, 358800 -> median rank
    # 3 = 54000, P90 rank ceil(5.4) = 6 = 358800; on time: 00050 and 00101.
    assert year.cases.received == 8
    assert year.cases.timing == Timing(6, 2, 54000, 358800)
    semester = figures(seeded, calendar, sop, "semester", "2026-S1", "2027-01-04 08:00")
    assert (semester.cases.received, semester.cases.rejected) == (1, 1)


def test_buckets_per_month_and_week(seeded: Database, calendar: BusinessCalendar, sop: Sop) -> None:
    year = parse_period(PeriodKind.YEARLY, "2026", TODAY)
    months = [m.bounds(calendar.zone) for m in year.months()]
    with seeded.reader() as session:
        received = cases_by_bucket(session, Case.received_at, months)
        finished = case_timing(session, year.bounds(calendar.zone), buckets=months)
        semester = parse_period(PeriodKind.SEMESTER, "2026-S2", TODAY)
        per_month = [m.bounds(calendar.zone) for m in semester.months()]
        routes = routes_received(session, semester.bounds(calendar.zone), 5, buckets=per_month)
        per_opd_step = step_timing(session, semester.bounds(calendar.zone), by=("opd_code", "step"))
        counts = on_time_counts(session, semester.bounds(calendar.zone), ("opd_code", "step"))
        weeks = parse_period(PeriodKind.WEEKLY, "2026-W52", TODAY).recent(4)
        trend = share_history(session, weeks, calendar, "step")
    assert received == {2: 1, 10: 1, 11: 6}  # March: 00050; November: 00090; December: six
    assert finished[(2,)] == Timing(1, 1, 4500, 4500)
    assert finished[(11,)] == Timing(5, 1, 64800, 358800)
    assert (10,) not in finished  # 00090 arrived in November but closed in December
    # Routes received per month of S2 (index 4 = November, 5 = December).
    assert routes == {(4, "DISHUB"): 1, (5, "DISHUB"): 2, (5, "DPUPR"): 2, (5, "DLH"): 1, (5, "DINKES"): 1}
    # DLH step 5 in the semester: 1 finished, late.
    assert per_opd_step[("DLH", 5)] == Timing(1, 0, 7200, 7200)
    assert counts[("DLH", 5)] == Timing(1, 0)
    assert counts[("DPUPR", 7)] == Timing(2, 2)  # 00103 (14-day track) and 00105
    # Weeks W49..W52 (counts only): step 4 was late only in W49 (00090, 95 m against 60 m).
    assert trend[(0, 4)] == Timing(1, 0)
    assert trend[(1, 4)] == Timing(1, 1)  # W50: 00103
    assert (2, 4) not in trend  # W51: nothing finished
    assert trend[(3, 4)] == Timing(3, 3)
    assert trend[(3, 1)] == Timing(5, 4)


def test_category_and_channel_counts_read_in_one_pass_keep_the_order_of_one_query_per_column(
    database: Database,
) -> None:
    """Ties are ordered by name, and an unclassified case (NULL category) sorts where each
    database's ORDER BY puts NULL: the same rows and order as the per-column queries before."""
    received = at("2026-12-22", "09:00")
    shape = [(None, "email"), (None, "lapor"), ("Jalan Rusak", "email"), ("Jalan Rusak", "email"),
             ("Banjir", "web"), ("Air", None), ("Air", "web")]  # fmt: skip
    with database.transaction() as session:
        for index, (category, channel) in enumerate(shape):
            session.add(
                Case(
                    number=f"ADU-C-{index}", channel=channel or "", subject="counts", category=category,
                    received_at=received, created_at=received, updated_at=received,
                )
            )  # fmt: skip
    bounds = (at("2026-12-22", "00:00"), at("2026-12-23", "00:00"))
    with database.reader() as session:
        categories, channels = received_counts(session, bounds)
        for counted, column in ((categories, Case.category), (channels, Case.channel)):
            before = old.case_counts(session, column, bounds)
            assert [(c.name, c.count) for c in counted] == [(c.name, c.count) for c in before]
    assert sum(c.count for c in categories) == len(shape)
    assert [c.count for c in categories] == [2, 2, 2, 1]
    assert channels[0] == Count("email", 3)


def test_the_figures_of_a_period_read_each_day_count_once(
    seeded: Database, calendar: BusinessCalendar, sop: Sop
) -> None:
    """The started items per step and the routes received per OPD come from the same day counts:
    one read serves both, and what it answers equals the raw events' counts."""
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "report_day_counts.opd_code" in statement:  # read_day_counts, not the value bins
            reads.append(statement)

    period = parse_period("yearly", "2026", TODAY)
    bounds = period.bounds(calendar.zone)
    event.listen(seeded.read_engine, "before_cursor_execute", seen)
    try:
        with seeded.reader() as session:
            got = compute_figures(session, period, now=at("2026-12-28", "10:00"), calendar=calendar, sop=sop)
            first = sop.route_steps()[0].number
            assert started_counts(session, bounds, [s.number for s in sop.steps]) == old.started_counts(
                session, bounds, [s.number for s in sop.steps]
            )
            assert routes_received(session, bounds, first) == old.routes_received(session, bounds, first)
    finally:
        event.remove(seeded.read_engine, "before_cursor_execute", seen)
    assert got.steps and got.opds
    assert len(reads) == 2 + 2  # finished and started once inside the figures, twice more outside them
