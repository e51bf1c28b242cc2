"""Report periods (day, ISO week, month, semester, year), their bounds, and the percentile method.

A period is a run of whole local days in the city's zone (WITA). Its bounds are the half-open
UTC interval ``[first day 00:00 local, day after the last 00:00 local)``, which is what the SQL of
the reports compares stored (UTC) instants with.

Period names on the command line:

=========  ===========================  =====================================================
kind       examples                     default when none is given
=========  ===========================  =====================================================
daily      ``2026-11-30``               today
weekly     ``2026-W48``, ``2026-11-30`` the last complete ISO week (Monday to Sunday)
monthly    ``2026-11``                  the last complete month
semester   ``2026-S2``, ``2026-2``      the last complete semester (S1 Jan-Jun, S2 Jul-Dec)
yearly     ``2026``                     the last complete year
=========  ===========================  =====================================================

Percentiles (median, P90) use the **nearest-rank** method: for the N values of a group sorted
ascending, x(1) <= ... <= x(N), the P-th percentile is x(k) with k = ceil(P * N / 100) (k >= 1).
It is always an observed value, it needs no interpolation (so SQLite and PostgreSQL compute it
identically with ROW_NUMBER and COUNT over a partition), and the median of an even number of
values is the lower of the two middle ones: median(10, 20, 30, 40) = 20, P90 of 1..10 = 9.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from mailflow.domain.calendar import BULAN, HARI
from mailflow.errors import UsageError

ROMAN = ("I", "II")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class PeriodKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    SEMESTER = "semester"
    YEARLY = "yearly"


class PeriodError(UsageError):
    """A period name that cannot be read; `kind` and `text` let the CLI explain it."""

    def __init__(self, kind: PeriodKind, text: str) -> None:
        self.kind = kind
        self.text = text
        super().__init__(f"cannot read {kind.value} period {text!r}; example: {EXAMPLES[kind]}")


EXAMPLES: dict[PeriodKind, str] = {
    PeriodKind.DAILY: "2026-11-30",
    PeriodKind.WEEKLY: "2026-W48",
    PeriodKind.MONTHLY: "2026-11",
    PeriodKind.SEMESTER: "2026-S2",
    PeriodKind.YEARLY: "2026",
}


@dataclass(frozen=True)
class Period:
    """Whole local days ``first..last`` (inclusive) of one kind."""

    kind: PeriodKind
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends before it starts")

    @property
    def key(self) -> str:
        """A stable name: 2026-11-30, 2026-W48, 2026-11, 2026-S2, 2026."""
        if self.kind is PeriodKind.DAILY:
            return self.first.isoformat()
        if self.kind is PeriodKind.WEEKLY:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTHLY:
            return f"{self.first.year}-{self.first.month:02d}"
        if self.kind is PeriodKind.SEMESTER:
            return f"{self.first.year}-S{1 if self.first.month <= 6 else 2}"
        return str(self.first.year)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC."""
        start = datetime.combine(self.first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return start, end

    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return period_containing(self.kind, self.first - timedelta(days=1))

    def following(self) -> Period:
        return period_containing(self.kind, self.last + timedelta(days=1))

    def months(self) -> tuple[Period, ...]:
        """The months inside a semester or year (one month for a month)."""
        result = []
        month = period_containing(PeriodKind.MONTHLY, self.first)
        while month.first <= self.last:
            result.append(month)
            month = month.following()
        return tuple(result)

    def recent(self, count: int) -> tuple[Period, ...]:
        """This period and the `count - 1` before it, oldest first (for trends)."""
        result = [self]
        while len(result) < count:
            result.append(result[-1].previous())
        return tuple(reversed(result))

    def label(self, lang: str = "id") -> str:
        """A heading for the period, e.g. "Semester II Tahun 2026 (Juli-Desember)"."""
        if self.kind is PeriodKind.DAILY:
            names = DAYS_EN if lang == "en" else HARI
            return f"{names[self.first.weekday()]}, {format_day(self.first, lang)}"
        if self.kind is PeriodKind.WEEKLY:
            year, week, _ = self.first.isocalendar()
            span = format_span(self.first, self.last, lang)
            if lang == "en":
                return f"Week {week} of {year} ({span})"
            return f"Minggu ke-{week} Tahun {year} ({span})"
        if self.kind is PeriodKind.MONTHLY:
            return f"{month_name(self.first.month, lang)} {self.first.year}"
        if self.kind is PeriodKind.SEMESTER:
            half = 1 if self.first.month <= 6 else 2
            months = f"{month_name(self.first.month, lang)}–{month_name(self.last.month, lang)}"
            if lang == "en":
                return f"{'First' if half == 1 else 'Second'} half of {self.first.year} ({months})"
            return f"Semester {ROMAN[half - 1]} Tahun {self.first.year} ({months})"
        return f"Year {self.first.year}" if lang == "en" else f"Tahun {self.first.year}"

    def short_label(self, lang: str = "id") -> str:
        """A compact label for chart axes and table columns ("23/11", "Nov 2026", "S2 2026")."""
        if self.kind in (PeriodKind.DAILY, PeriodKind.WEEKLY):
            return f"{self.first.day:02d}/{self.first.month:02d}"
        if self.kind is PeriodKind.MONTHLY:
            return f"{month_name(self.first.month, lang)[:3]} {self.first.year}"
        return self.key


def month_name(month: int, lang: str = "id") -> str:
    return (MONTHS_EN if lang == "en" else BULAN)[month - 1]


def format_day(day: date, lang: str = "id") -> str:
    """ "30 November 2026" (month names differ between the languages)."""
    return f"{day.day} {month_name(day.month, lang)} {day.year}"


def format_span(first: date, last: date, lang: str = "id") -> str:
    """ "23–29 November 2026", or "28 Desember 2026 – 3 Januari 2027" across months/years."""
    if first.year == last.year and first.month == last.month:
        return f"{first.day}–{last.day} {month_name(last.month, lang)} {last.year}"
    if first.year == last.year:
        return f"{first.day} {month_name(first.month, lang)} – {format_day(last, lang)}"
    return f"{format_day(first, lang)} – {format_day(last, lang)}"


def period_containing(kind: PeriodKind, day: date) -> Period:
    """The period of `kind` that contains the local date `day`."""
    if kind is PeriodKind.DAILY:
        return Period(kind, day, day)
    if kind is PeriodKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind is PeriodKind.MONTHLY:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind is PeriodKind.SEMESTER:
        if day.month <= 6:
            return Period(kind, date(day.year, 1, 1), date(day.year, 6, 30))
        return Period(kind, date(day.year, 7, 1), date(day.year, 12, 31))
    return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))


def default_period(kind: PeriodKind, today: date) -> Period:
    """Today for a daily report; otherwise the last complete period before `today`."""
    current = period_containing(kind, today)
    return current if kind is PeriodKind.DAILY else current.previous()


_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_SEMESTER = re.compile(r"^(\d{4})-s?([12])$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(kind: PeriodKind | str, text: str | None, today: date) -> Period:
    """Read a period name (see the module docstring); None or "" gives the default period."""
    kind = PeriodKind(kind)
    if text is None or not text.strip():
        return default_period(kind, today)
    cleaned = text.strip().lower()
    try:
        result = _parse(kind, cleaned)
    except ValueError:  # a date or ISO week that does not exist (2026-02-30, 2026-W60)
        raise PeriodError(kind, text) from None
    if result is None:
        raise PeriodError(kind, text)
    return result


def _parse(kind: PeriodKind, cleaned: str) -> Period | None:
    day = _DAY.match(cleaned)
    if kind is PeriodKind.DAILY:
        return period_containing(kind, _date(day)) if day else None
    if kind is PeriodKind.WEEKLY:
        if day:
            return period_containing(kind, _date(day))
        week = _WEEK.match(cleaned)
        if not week:
            return None
        monday = date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        return period_containing(kind, monday)
    if kind is PeriodKind.MONTHLY:
        month = _MONTH.match(cleaned)
        return period_containing(kind, date(int(month.group(1)), int(month.group(2)), 1)) if month else None
    if kind is PeriodKind.SEMESTER:
        half = _SEMESTER.match(cleaned)
        if not half:
            return None
        return period_containing(kind, date(int(half.group(1)), 1 if half.group(2) == "1" else 7, 1))
    year = _YEAR.match(cleaned)
    return period_containing(kind, date(int(year.group(1)), 1, 1)) if year else None


def _date(match: re.Match[str]) -> date:
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


# --- percentiles (the reference for the SQL in services/figures.py) ----------------------------


def nearest_rank(percent: int, count: int) -> int:
    """The 1-based rank of the `percent`-th percentile among `count` sorted values."""
    if count < 1:
        raise ValueError("no values")
    return max(1, math.ceil(percent * count / 100))


def percentile(values: Sequence[int], percent: int) -> int | None:
    """Nearest-rank percentile of `values`; None when there are none."""
    if not values:
        return None
    return sorted(values)[nearest_rank(percent, len(values)) - 1]
