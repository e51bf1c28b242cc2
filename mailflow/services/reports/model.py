"""The shared model of every report: titled tables of typed cells, and how cells read to people.

A table keeps real values (ints, shares as fractions, business seconds, aware datetimes); the
XLSX writer stores them as numbers and dates, while the DOCX and the weekly email show them
through `format_cell` (Indonesian style by default: "1.234", "87,5%", "30/11/2026 08.05").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Literal

from mailflow.domain.durations import format_seconds
from mailflow.domain.periods import Period
from mailflow.i18n import translate

Kind = Literal["text", "int", "percent", "date", "datetime", "duration"]
Cell = str | int | float | date | datetime | None
DASH = "–"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    width: float = 12  # characters (XLSX); the DOCX shares the page width in this proportion


@dataclass(frozen=True)
class Table:
    key: str  # short name: the XLSX sheet title
    title: str  # heading in the DOCX and the email
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None
    empty: str = ""  # shown instead of an empty table
    vertical: bool = False  # one record: the DOCX and the email show it as "label | value" lines

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.key}: a row has {len(row)} cells for {len(self.columns)} columns"
                )


@dataclass(frozen=True)
class Report:
    kind: str  # daily / weekly / monthly / semester / yearly
    title: str  # the SOP's official name (with an English gloss in English)
    period: Period
    period_label: str
    generated_at: datetime
    as_of: datetime
    tables: tuple[Table, ...]
    lang: str = "id"
    intro: tuple[str, ...] = field(default_factory=tuple)
    landscape: bool = False

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def t(name: str, lang: str, /, **values: object) -> str:
    """The reports text `reports.<name>` in `lang`."""
    return translate(f"reports.{name}", lang, **values)


def columns(lang: str, *specs: tuple[str, Kind, float]) -> tuple[Column, ...]:
    """Columns from (text key, kind, width); headers come from the reports texts."""
    return tuple(Column(t(f"col.{key}", lang), kind, width) for key, kind, width in specs)


# --- reading cells ----------------------------------------------------------------------------


def format_int(value: int, lang: str = "id") -> str:
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", ".")


def format_percent(share: float | None, lang: str = "id") -> str:
    """A share 0..1 as "87,5%" (one decimal, none when whole: "100%")."""
    if share is None:
        return DASH
    text = f"{share * 100:.1f}".removesuffix(".0")
    return f"{text}%" if lang == "en" else f"{text.replace('.', ',')}%"


def format_duration(seconds: int | None, lang: str = "id") -> str:
    """Business seconds as hours and minutes ("19 jam 30 menit"); under a minute reads "0 menit"."""
    if seconds is None:
        return DASH
    return format_seconds(int(seconds), lang)


def format_date(value: date, lang: str = "id") -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def format_datetime(value: datetime, zone: tzinfo, lang: str = "id") -> str:
    local = value.astimezone(zone)
    clock = f"{local:%H:%M}" if lang == "en" else f"{local:%H.%M}"
    return f"{format_date(local.date(), lang)} {clock}"


def format_cell(value: Cell, kind: Kind, lang: str, zone: tzinfo) -> str:
    if value is None:
        return DASH
    if kind == "int" and isinstance(value, int | float):
        return format_int(int(value), lang)
    if kind == "percent" and isinstance(value, int | float):
        return format_percent(float(value), lang)
    if kind == "duration" and isinstance(value, int | float):
        return format_duration(int(value), lang)
    if kind == "datetime" and isinstance(value, datetime):
        return format_datetime(value, zone, lang)
    if kind == "date" and isinstance(value, date):
        return format_date(value, lang)
    return str(value)


def text_rows(table: Table, lang: str, zone: tzinfo) -> list[list[str]]:
    return [
        [
            format_cell(value, column.kind, lang, zone)
            for value, column in zip(row, table.columns, strict=True)
        ]
        for row in table.rows
    ]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def local_naive(value: datetime, zone: tzinfo) -> datetime:
    """Spreadsheets have no time zones: the local wall-clock time (the header says WITA)."""
    return value.astimezone(zone).replace(tzinfo=None)


def cells_for_xlsx(row: Sequence[Cell], zone: tzinfo) -> list[Cell]:
    return [local_naive(v, zone) if isinstance(v, datetime) else v for v in row]
