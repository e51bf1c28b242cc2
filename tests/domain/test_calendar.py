"""The business calendar on real dates (WITA, Perwali Bontang 23/2025, national holidays 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.adapters.holidays_id import PackageDaysOff
from mailflow.domain.calendar import (
    BusinessCalendar,
    CombinedDaysOff,
    DaySchedule,
    FixedDaysOff,
    ScheduleOverride,
    WeekSchedule,
    format_local,
)
from mailflow.domain.durations import BusinessDuration
from mailflow.errors import CalendarError

WITA = ZoneInfo("Asia/Makassar")
HOUR = BusinessDuration(minutes=60)
DAY = BusinessDuration(days=1)


def wita(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WITA)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return BusinessCalendar(WITA, WeekSchedule.bontang(), PackageDaysOff())


def test_sixty_minutes_from_friday_1030_is_monday_0800(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 11, 27, 10, 30), HOUR) == wita(2026, 11, 30, 8, 0)


def test_deadline_is_returned_in_utc(cal: BusinessCalendar) -> None:
    due = cal.add(wita(2026, 11, 27, 10, 30), HOUR)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def test_start_given_in_utc_means_the_same_instant(cal: BusinessCalendar) -> None:
    # 02:30 UTC is 10:30 WITA
    assert cal.add(datetime(2026, 11, 27, 2, 30, tzinfo=UTC), HOUR) == wita(2026, 11, 30, 8, 0)


def test_time_running_out_at_closing_is_due_at_closing(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 11, 27, 10, 0), HOUR) == wita(2026, 11, 27, 11, 0)


def test_evening_start_counts_from_next_opening(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 11, 30, 18, 0), HOUR) == wita(2026, 12, 1, 8, 30)


def test_weekend_start_counts_from_monday(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 11, 28, 9, 0), HOUR) == wita(2026, 11, 30, 8, 30)


def test_lunch_break_is_not_counted(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 11, 30, 11, 45), BusinessDuration(minutes=30)) == wita(2026, 11, 30, 12, 45)
    # a start inside the break begins at 12:30
    assert cal.add(wita(2026, 11, 30, 12, 10), BusinessDuration(minutes=30)) == wita(2026, 11, 30, 13, 0)


def test_holiday_start_counts_from_next_working_day(cal: BusinessCalendar) -> None:
    # Fri 25 Dec 2026 is Natal; Mon 28 Dec is the next working day
    assert cal.day_off_reason(date(2026, 12, 25)) == "Hari Raya Natal"
    assert cal.add(wita(2026, 12, 25, 9, 0), HOUR) == wita(2026, 12, 28, 8, 30)


def test_cuti_bersama_christmas_eve(cal: BusinessCalendar) -> None:
    # Wed 23 Dec 16:00: 30 minutes that day; Thu 24 (cuti bersama), Fri 25 (Natal), weekend
    assert cal.day_off_reason(date(2026, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert cal.add(wita(2026, 12, 23, 16, 0), HOUR) == wita(2026, 12, 28, 8, 0)


def test_cuti_bersama_march_2026_minutes(cal: BusinessCalendar) -> None:
    # 18 (cuti), 19 (Nyepi), 20 (cuti), 21-22 (weekend, Idul Fitri), 23-24 (cuti): back on Wed 25 Mar
    for day in (18, 19, 20, 23, 24):
        assert not cal.is_working_day(date(2026, 3, day)), day
    assert cal.add(wita(2026, 3, 17, 16, 0), HOUR) == wita(2026, 3, 25, 8, 0)


def test_cuti_bersama_march_2026_days_clamped_to_friday_closing(cal: BusinessCalendar) -> None:
    # Tue 17 Mar 15:00 + 3 working days: Wed 25, Thu 26, Fri 27 -> 15:00 clamped to Friday's 11:00
    assert cal.add(wita(2026, 3, 17, 15, 0), BusinessDuration(days=3)) == wita(2026, 3, 27, 11, 0)


def test_working_day_keeps_the_clock_position(cal: BusinessCalendar) -> None:
    # EXAMPLE.md: step 7 Mon 30 Nov 11:30 + 3 days = Thu 3 Dec 11:30; step 8 Wed 14:00 + 1 day = Thu 14:00
    assert cal.add(wita(2026, 11, 30, 11, 30), BusinessDuration(days=3)) == wita(2026, 12, 3, 11, 30)
    assert cal.add(wita(2026, 12, 2, 14, 0), DAY) == wita(2026, 12, 3, 14, 0)


def test_friday_short_day_clamps_a_day_limit(cal: BusinessCalendar) -> None:
    assert cal.add(wita(2026, 12, 3, 15, 0), DAY) == wita(2026, 12, 4, 11, 0)


def test_day_limit_from_an_evening_start(cal: BusinessCalendar) -> None:
    # Fri 19:00 starts counting Mon 07:30; one working day later is Tue 07:30
    assert cal.add(wita(2026, 11, 27, 19, 0), DAY) == wita(2026, 12, 1, 7, 30)


def test_special_track_fourteen_working_days(cal: BusinessCalendar) -> None:
    # Mon 30 Nov 2026 10:00 + 14 working days; 24 and 25 Dec are days off but are after the deadline
    assert cal.add(wita(2026, 11, 30, 10, 0), BusinessDuration(days=14)) == wita(2026, 12, 18, 10, 0)
    # across Christmas: Mon 7 Dec + 14 days skips 24 Dec (cuti bersama), 25 Dec and three weekends
    assert cal.add(wita(2026, 12, 7, 10, 0), BusinessDuration(days=14)) == wita(2026, 12, 29, 10, 0)


def test_elapsed_business_time_matches_the_worked_example(cal: BusinessCalendar) -> None:
    minutes = lambda a, b: cal.business_seconds(a, b) // 60  # noqa: E731
    assert minutes(wita(2026, 11, 30, 8, 5), wita(2026, 11, 30, 8, 40)) == 35
    assert minutes(wita(2026, 11, 30, 8, 40), wita(2026, 11, 30, 10, 15)) == 95
    assert minutes(wita(2026, 11, 30, 11, 30), wita(2026, 12, 2, 14, 0)) == 19 * 60
    assert minutes(wita(2026, 12, 2, 14, 0), wita(2026, 12, 3, 9, 10)) == 250


def test_elapsed_is_zero_backwards_and_outside_hours(cal: BusinessCalendar) -> None:
    assert cal.business_seconds(wita(2026, 11, 30, 10, 0), wita(2026, 11, 30, 9, 0)) == 0
    assert cal.business_seconds(wita(2026, 11, 28, 8, 0), wita(2026, 11, 29, 17, 0)) == 0
    assert cal.business_seconds(wita(2026, 11, 30, 12, 0), wita(2026, 11, 30, 12, 30)) == 0


def test_local_day_off_and_ramadan_hours() -> None:
    ramadan = ScheduleOverride(
        first=date(2027, 2, 8),
        last=date(2027, 3, 9),
        week={d: DaySchedule.parse("08:00-15:00") for d in range(4)} | {4: DaySchedule.parse("08:00-11:00")},
        name="Ramadan",
    )
    local = FixedDaysOff({date(2027, 2, 10): "HUT contoh"})
    cal = BusinessCalendar(
        WITA, WeekSchedule.bontang(), CombinedDaysOff((local, PackageDaysOff())), [ramadan]
    )
    # Tue 9 Feb 2027 14:30 + 60 min: 30 min to 15:00; Wed 10 is a local day off; Thu 11 from 08:00
    assert cal.add(wita(2027, 2, 9, 14, 30), HOUR) == wita(2027, 2, 11, 8, 30)
    # outside the override the normal hours apply
    assert cal.add(wita(2027, 3, 30, 16, 0), HOUR) == wita(2027, 3, 31, 8, 0)


def test_day_limit_clamps_to_a_later_opening() -> None:
    late = ScheduleOverride(date(2026, 12, 1), date(2026, 12, 1), {1: DaySchedule.parse("09:00-15:00")})
    cal = BusinessCalendar(WITA, WeekSchedule.bontang(), None, [late])
    assert cal.add(wita(2026, 11, 30, 7, 45), DAY) == wita(2026, 12, 1, 9, 0)


def test_calendar_without_working_days_is_refused() -> None:
    closed = DaySchedule(())
    with pytest.raises(CalendarError):
        BusinessCalendar(WITA, WeekSchedule((closed,) * 7))


def test_naive_datetimes_are_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="zona waktu"):
        cal.add(datetime(2026, 11, 30, 8, 0), HOUR)


def test_day_schedule_parsing() -> None:
    assert DaySchedule.parse("07.30-12.00, 12:30-16:30").minutes() == 510
    assert not DaySchedule.parse("libur").is_open
    assert DaySchedule.from_hours(
        *[
            DaySchedule.parse("07:30-16:30").intervals[0].start,
            DaySchedule.parse("07:30-16:30").intervals[0].end,
        ],
        DaySchedule.parse("12:00-12:30").intervals,
    ).describe() == ("07:30-12:00, 12:30-16:30")
    for bad in ("7-8", "08:00-07:00", "25:00-26:00", "08:00-12:00, 11:00-13:00"):
        with pytest.raises(ValueError):
            DaySchedule.parse(bad)


def test_format_local_in_both_languages() -> None:
    instant = wita(2026, 11, 30, 9, 40)
    assert format_local(instant, WITA) == "Senin, 30 November 2026 pukul 09.40 WITA"
    assert format_local(instant, WITA, "en") == "Monday, 30 November 2026 at 09:40 WITA"


starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(WITA)
)


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=st.integers(min_value=1, max_value=5000))
def test_minutes_added_are_exactly_the_business_time_elapsed(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    start = start.replace(second=0, microsecond=0)
    due = cal.add(start, BusinessDuration(minutes=minutes))
    assert cal.business_seconds(start, due) == minutes * 60
    # and the deadline lies inside working time or exactly at a closing
    local = due.astimezone(WITA)
    assert cal.is_working_instant(due) or any(b == local for _, b in cal.intervals(local.date()))


@settings(max_examples=200, deadline=None)
@given(start=starts, days=st.integers(min_value=1, max_value=20))
def test_day_deadlines_fall_on_a_working_day_after_the_start(
    cal: BusinessCalendar, start: datetime, days: int
) -> None:
    due = cal.add(start, BusinessDuration(days=days)).astimezone(WITA)
    counted_from = cal.next_working_instant(start).date()
    assert cal.is_working_day(due.date())
    assert due.date() > counted_from
    schedule = cal.schedule(due.date())
    assert schedule.opening <= due.time() <= schedule.closing
    # exactly `days` working days lie after the day counting started, up to the deadline's day
    spanned = sum(
        1
        for i in range((due.date() - counted_from).days)
        if cal.is_working_day(counted_from + timedelta(i + 1))
    )
    assert spanned == days


def day_by_day(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Working seconds walked one day at a time in exact microseconds: what the per-year sums of
    `business_seconds` must equal."""
    a, b = calendar.local(start), calendar.local(end)
    total = timedelta()
    day = a.date()
    while day <= b.date():
        for lo, hi in calendar.intervals(day):
            if min(hi, b) > max(lo, a):
                total += min(hi, b) - max(lo, a)
        day += timedelta(days=1)
    return total // timedelta(seconds=1)


instants = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2028, 6, 30), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(start=instants, end=instants)
def test_business_time_over_months_and_years_equals_the_day_by_day_walk(
    cal: BusinessCalendar, start: datetime, end: datetime
) -> None:
    """Across years, holidays and weekends, and at any microsecond, in WITA and in a zone with
    daylight saving time (whose days are counted in wall-clock hours)."""
    berlin = BusinessCalendar(ZoneInfo("Europe/Berlin"), WeekSchedule.bontang(), PackageDaysOff())
    for calendar in (cal, berlin):
        assert calendar.business_seconds(start, end) == day_by_day(calendar, start, end)


def test_business_time_of_whole_years_and_of_an_item_overdue_for_months(cal: BusinessCalendar) -> None:
    # 2026: 52 weeks of Mon-Thu 8.5 h + Fri 3.5 h = 37.5 h, from which the year's weekday days off
    # are taken; checked against the walk, and the halves add up to the whole
    year = cal.business_seconds(wita(2026, 1, 1, 0, 0), wita(2027, 1, 1, 0, 0))
    assert year == day_by_day(cal, wita(2026, 1, 1, 0, 0), wita(2027, 1, 1, 0, 0))
    assert 1700 * 3600 < year < 52 * 37.5 * 3600
    half = wita(2026, 7, 1, 0, 0)
    assert (
        cal.business_seconds(wita(2026, 1, 1, 0, 0), half)
        + cal.business_seconds(half, wita(2027, 1, 1, 0, 0))
        == year
    )
    # Fri 27 Nov 2026 10:30 to Mon 30 Nov 08:00 across a weekend: 30 min + 30 min
    assert cal.business_seconds(wita(2026, 11, 27, 10, 30), wita(2026, 11, 30, 8, 0)) == 3600
    # a step due Mon 5 Jan 2026 09:00 still open at the end of 2027: across a whole year
    late = cal.business_seconds(wita(2026, 1, 5, 9, 0), wita(2028, 1, 1, 0, 0))
    assert late == day_by_day(cal, wita(2026, 1, 5, 9, 0), wita(2028, 1, 1, 0, 0)) > year
