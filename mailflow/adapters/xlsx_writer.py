"""Write report tables to an XLSX workbook with openpyxl: one sheet per table.

Cells keep real types for analysis: integers and shares are numbers (shares as fractions with a
percent format), business durations are Excel durations (days, shown ``[h]:mm``), instants are
Excel dates in local wall-clock time (the caller passes naive local datetimes; Excel has no
zones). Each sheet has a bold, frozen, filterable header row and set column widths.

Text is data, never a formula. Complaint texts are written by strangers, and a cell starting
with `=` (or `+ - @`, which Excel and LibreOffice also read as the start of a formula when a
cell is edited or a sheet is re-imported) could run a formula or a DDE link on an admin's
machine. Every text cell is therefore stored with the string type (openpyxl would otherwise store
a text beginning with `=` as a formula and "#N/A" as an error value) and, when it begins with a
formula character, with the `quotePrefix` style: the cell shows exactly the complainant's text
(no apostrophe or other marker is added to the value, so sorting, filtering and copying see the
real text) and Excel and LibreOffice keep it text even when someone edits it. Control and bidi
characters are escaped visibly (safe_text), as everywhere mailflow shows hostile text; the
worksheet format cannot hold most control characters at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from mailflow.domain.safe_text import escape
from mailflow.errors import StorageError

CellKind = Literal["text", "int", "percent", "date", "datetime", "duration"]
XlsxValue = str | int | float | date | datetime | None
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMATS: dict[str, str] = {
    "int": "#,##0",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
    "duration": "[h]:mm",
}
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="BFBFBF")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
SECONDS_PER_DAY = 86400
MAX_CELL_TEXT = 32767  # Excel's limit; openpyxl cuts longer text silently
# What starts a formula in Excel or LibreOffice (and the full-width forms some IMEs type, which
# Excel folds to the ASCII ones); tab and CR matter for sheets saved and re-read as CSV.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass(frozen=True)
class SheetColumn:
    header: str
    kind: CellKind = "text"
    width: float = 12


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[SheetColumn]
    rows: Sequence[Sequence[XlsxValue]]


def write_workbook(
    path: Path, sheets: Sequence[Sheet], *, title: str = "", subject: str = "", creator: str = "mailflow"
) -> Path:
    """Write `sheets` to `path` atomically (a temp file renamed over the target)."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    used: set[str] = set()
    for sheet in sheets:
        _add_sheet(workbook, sheet, _unique_title(sheet.title, used))
    workbook.properties.title = title
    workbook.properties.subject = subject
    workbook.properties.creator = creator
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        workbook.save(temp)
        temp.replace(path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


def _unique_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, no []:*?/\\, unique ignoring case."""
    base = _BAD_TITLE.sub("-", title).strip()[:31] or "Sheet"
    candidate, counter = base, 2
    while candidate.lower() in used:
        suffix = f" ({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
        counter += 1
    used.add(candidate.lower())
    return candidate


def _add_sheet(workbook: Workbook, sheet: Sheet, title: str) -> None:
    ws = workbook.create_sheet(title)
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = Border(bottom=_THIN)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for row_index, row in enumerate(sheet.rows, start=2):
        for col_index, (value, column) in enumerate(zip(row, sheet.columns, strict=True), start=1):
            cell = ws.cell(row=row_index, column=col_index)
            cell_value = _value(value, column.kind)
            if isinstance(cell_value, str):
                _set_text(cell, cell_value)
            else:
                cell.value = cell_value
            if column.kind in FORMATS:
                cell.number_format = FORMATS[column.kind]
            if column.kind == "text":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"
    if sheet.columns:
        last = get_column_letter(len(sheet.columns))
        ws.auto_filter.ref = f"A1:{last}{max(1, len(sheet.rows) + 1)}"


def safe_cell_text(text: str) -> str:
    """The text a cell shows: control and bidi characters escaped, line breaks kept."""
    return escape(text.replace("\r\n", "\n"), keep_newlines=True, limit=MAX_CELL_TEXT)


def _set_text(cell: Cell, text: str) -> None:
    shown = safe_cell_text(text)
    cell.value = shown
    cell.data_type = "s"  # after the value: openpyxl infers "f" for "=..." and "e" for "#N/A"
    if shown.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _value(value: XlsxValue, kind: CellKind) -> XlsxValue:
    if value is None:
        return None
    if kind == "duration" and isinstance(value, int | float):
        return value / SECONDS_PER_DAY
    if isinstance(value, datetime) and value.tzinfo is not None:
        raise ValueError("XLSX cells take local wall-clock datetimes without a zone")
    return value
