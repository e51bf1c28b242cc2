"""Report periods: names, defaults, WITA bounds, labels; the nearest-rank percentile."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.domain.periods import (
    PeriodError,
    PeriodKind,
    nearest_rank,
    parse_period,
    percentile,
    period_containing,
)

WITA = ZoneInfo("Asia/Makassar")
TODAY = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("kind", "text", "first", "last", "key"),
    [
        ("daily", "2026-11-30", date(2026, 11, 30), date(2026, 11, 30), "2026-11-30"),
        ("weekly", "2026-W52", date(2026, 12, 21), date(2026, 12, 27), "2026-W52"),
        ("weekly", "2026-w1", date(2025, 12, 29), date(2026, 1, 4), "2026-W01"),
        ("weekly", "2026-12-24", date(2026, 12, 21), date(2026, 12, 27), "2026-W52"),
        ("monthly", "2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("monthly", "2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("semester", "2026-S2", date(2026, 7, 1), date(2026, 12, 31), "2026-S2"),
        ("semester", "2026-2", date(2026, 7, 1), date(2026, 12, 31), "2026-S2"),
        ("semester", "2026-s1", date(2026, 1, 1), date(2026, 6, 30), "2026-S1"),
        ("yearly", "2026", date(2026, 1, 1), date(2026, 12, 31), "2026"),
    ],
)
def test_period_names(kind: str, text: str, first: date, last: date, key: str) -> None:
    period = parse_period(kind, text, TODAY)
    assert (period.first, period.last, period.key) == (first, last, key)


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("daily", "2026-11-30"),  # today
        ("weekly", "2026-W48"),  # Mon 23 - Sun 29 Nov: the last complete week
        ("monthly", "2026-10"),
        ("semester", "2026-S1"),
        ("yearly", "2025"),
    ],
)
def test_defaults_are_the_last_complete_period(kind: str, key: str) -> None:
    assert parse_period(kind, None, TODAY).key == key
    assert parse_period(kind, "  ", TODAY).key == key


@pytest.mark.parametrize(
    ("kind", "text"),
    [("daily", "2026-02-30"), ("daily", "30-11-2026"), ("monthly", "2026-13"), ("weekly", "2026-W60"),
     ("semester", "2026-S3"), ("yearly", "26"), ("monthly", "November")],
)  # fmt: skip
def test_bad_names_are_usage_errors(kind: str, text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(kind, text, TODAY)
    assert caught.value.exit_code == 2
    assert caught.value.text == text


def test_bounds_are_local_midnights_in_utc() -> None:
    start, end = parse_period("monthly", "2026-12", TODAY).bounds(WITA)
    # 1 Dec 00:00 WITA = 30 Nov 16:00 UTC; 1 Jan 2027 00:00 WITA = 31 Dec 16:00 UTC
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_navigation_and_months() -> None:
    semester = parse_period("semester", "2026-S2", TODAY)
    assert [m.key for m in semester.months()] == [f"2026-{m:02d}" for m in range(7, 13)]
    assert semester.previous().key == "2026-S1"
    assert semester.following().key == "2027-S1"
    week = parse_period("weekly", "2026-W01", TODAY)
    assert [w.key for w in week.recent(3)] == ["2025-W51", "2025-W52", "2026-W01"]
    assert period_containing(PeriodKind.MONTHLY, date(2028, 2, 10)).last == date(2028, 2, 29)


def test_labels_in_both_languages() -> None:
    assert parse_period("daily", "2026-11-30", TODAY).label() == "Senin, 30 November 2026"
    assert parse_period("daily", "2026-11-30", TODAY).label("en") == "Monday, 30 November 2026"
    assert (
        parse_period("weekly", "2026-W52", TODAY).label() == "Minggu ke-52 Tahun 2026 (21–27 Desember 2026)"
    )
    assert parse_period("weekly", "2026-W53", TODAY).label("en") == (
        "Week 53 of 2026 (28 December 2026 – 3 January 2027)"
    )
    assert parse_period("semester", "2026-S2", TODAY).label() == "Semester II Tahun 2026 (Juli–Desember)"
    assert parse_period("monthly", "2026-08", TODAY).label() == "Agustus 2026"
    assert parse_period("yearly", "2026", TODAY).label("en") == "Year 2026"


def test_nearest_rank_percentiles() -> None:
    assert [nearest_rank(50, n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    assert [nearest_rank(90, n) for n in (1, 4, 5, 10, 11)] == [1, 4, 5, 9, 10]
    assert percentile([40, 10, 30, 20], 50) == 20  # the lower middle value, never interpolated
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile([], 50) is None
