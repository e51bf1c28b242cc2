"""Write report tables to an XLSX workbook: one sheet per table, SpreadsheetML written directly.

Cells keep real types for analysis: integers and shares are numbers (shares as fractions with a
percent format), business durations are Excel durations (days, shown ``[h]:mm``), instants are
Excel dates in local wall-clock time (the caller passes naive local datetimes; Excel has no
zones). Each sheet has a bold, frozen, filterable header row and set column widths.

The workbook is a handful of small XML parts in a zip, written here as strings: the same parts
openpyxl writes (inline strings, one style per kind of cell, frozen pane, auto filter with its
hidden defined name), without openpyxl's object model, which cost 0.2 s for the few thousand
cells of a report, more than a full scan of the step events.

Text is data, never a formula. Complaint texts are written by strangers, and a cell starting
with `=` (or `+ - @`, which Excel and LibreOffice also read as the start of a formula when a
cell is edited or a sheet is re-imported) could run a formula or a DDE link on an admin's
machine. Every text cell is therefore written with the string type (never a formula `<f>` nor an
error value, so "#N/A" stays text) and, when it begins with a formula character, with a style
that has `quotePrefix`: the cell shows exactly the complainant's text (no apostrophe or other
marker is added to the value, so sorting, filtering and copying see the real text) and Excel and
LibreOffice keep it text even when someone edits it. Control and bidi characters are escaped
visibly (safe_text), as everywhere mailflow shows hostile text; the few characters XML cannot
hold at all (lone surrogates, U+FFFE, U+FFFF) are escaped the same way.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

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
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
SECONDS_PER_DAY = 86400
MAX_CELL_TEXT = 32767  # Excel's limit
# What starts a formula in Excel or LibreOffice (and the full-width forms some IMEs type, which
# Excel folds to the ASCII ones); tab and CR matter for sheets saved and re-read as CSV.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Excel's day 0 (the 1900 date system, past its 1900 leap-year bug); serials are wall-clock days.
_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001
_DAY = timedelta(days=1)

# Number formats: #,##0 is Excel's built-in 3; the others are custom, numbered from 164.
_FORMAT_IDS = {"int": 3, "percent": 164, "date": 165, "datetime": 166, "duration": 167}
# Cell styles (cellXfs): the header, then per kind of column its plain and its quoted text style.
_HEADER, _HEADER_QUOTED = 1, 2
_KINDS: tuple[CellKind, ...] = ("text", "int", "percent", "date", "datetime", "duration")
_STYLE = {kind: 3 + 2 * index for index, kind in enumerate(_KINDS)}  # quoted: the next one

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


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
    used: set[str] = set()
    titles = [_unique_title(sheet.title, used) for sheet in sheets] or ["Sheet"]
    parts = [_sheet_xml(sheet) for sheet in sheets] or [_sheet_xml(Sheet("Sheet", (), ()))]
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            archive.writestr("[Content_Types].xml", _content_types(len(parts)))
            archive.writestr("_rels/.rels", _ROOT_RELS)
            archive.writestr("docProps/app.xml", _APP)
            archive.writestr("docProps/core.xml", _core(title, subject, creator))
            archive.writestr("xl/workbook.xml", _workbook(titles, sheets))
            archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(parts)))
            archive.writestr("xl/styles.xml", _STYLES)
            for number, part in enumerate(parts, start=1):
                archive.writestr(f"xl/worksheets/sheet{number}.xml", part)
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


def _unique_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, no []:*?/\\, unique ignoring case."""
    base = _BAD_TITLE.sub("-", _xml_safe(escape(title))).strip()[:31] or "Sheet"
    candidate, counter = base, 2
    while candidate.lower() in used:
        suffix = f" ({counter})"
        candidate = base[: 31 - len(suffix)] + suffix
        counter += 1
    used.add(candidate.lower())
    return candidate


def safe_cell_text(text: str) -> str:
    """The text a cell shows: control and bidi characters escaped, line breaks kept."""
    return _xml_safe(escape(text.replace("\r\n", "\n"), keep_newlines=True, limit=MAX_CELL_TEXT))


def _xml_safe(text: str) -> str:
    if text.isascii():
        return text
    return _NOT_XML.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


# --- one sheet ------------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_xml(sheet: Sheet) -> str:
    letters = [_column_letter(n) for n in range(1, len(sheet.columns) + 1)]
    last_row = max(1, len(sheet.rows) + 1)
    out = [
        _XML,
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
        f'<dimension ref="A1:{letters[-1] if letters else "A"}{last_row}"/>',
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
    ]
    if sheet.columns:
        out.append("<cols>")
        out.extend(
            f'<col min="{n}" max="{n}" width="{_number(c.width)}" customWidth="1"/>'
            for n, c in enumerate(sheet.columns, start=1)
        )
        out.append("</cols>")
    out.append('<sheetData><row r="1" ht="32" customHeight="1">')
    for letter, column in zip(letters, sheet.columns, strict=True):
        out.append(_text_cell(f"{letter}1", column.header, _HEADER, _HEADER_QUOTED))
    out.append("</row>")
    kinds = [c.kind for c in sheet.columns]
    for number, row in enumerate(sheet.rows, start=2):
        out.append(f'<row r="{number}">')
        for letter, kind, value in zip(letters, kinds, row, strict=True):
            if value is not None:
                out.append(_cell(f"{letter}{number}", value, kind))
        out.append("</row>")
    out.append("</sheetData>")
    if sheet.columns:
        out.append(f'<autoFilter ref="A1:{letters[-1]}{last_row}"/>')
    out.append(
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
    )
    return "".join(out)


def _cell(ref: str, value: str | float | date | datetime, kind: CellKind) -> str:
    style = _STYLE.get(kind, _STYLE["text"])
    if isinstance(value, str):
        return _text_cell(ref, value, style, style + 1)
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("XLSX cells take local wall-clock datetimes without a zone")
        serial = (value - _EPOCH) / _DAY
        return f'<c r="{ref}" s="{style}"><v>{_number(serial)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style}"><v>{(value - _EPOCH.date()).days}</v></c>'
    number = value / SECONDS_PER_DAY if kind == "duration" else value
    if not math.isfinite(number):  # Excel has no NaN or infinity: the cell stays empty
        return f'<c r="{ref}" s="{style}"/>'
    return f'<c r="{ref}" s="{style}"><v>{_number(number)}</v></c>'


def _text_cell(ref: str, text: str, style: int, quoted: int) -> str:
    shown = safe_cell_text(text)
    if not shown:  # an empty text is an empty (styled) cell, as openpyxl wrote it
        return f'<c r="{ref}" s="{style}"/>'
    if shown.startswith(FORMULA_STARTS):
        style = quoted
    return (
        f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{xml_escape(shown)}</t></is></c>'
    )


def _number(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


# --- the workbook's other parts -------------------------------------------------------------------


def _content_types(count: int) -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{sheet}"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{overrides}</Types>"
    )


_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    f"{_XML}<Properties "
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>mailflow</Application></Properties>"
)


def _core(title: str, subject: str, creator: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_XML}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{xml_escape(_xml_safe(escape(title)))}</dc:title>"
        f"<dc:subject>{xml_escape(_xml_safe(escape(subject)))}</dc:subject>"
        f"<dc:creator>{xml_escape(_xml_safe(escape(creator)))}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _workbook(titles: Sequence[str], sheets: Sequence[Sheet]) -> str:
    entries = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(titles, start=1)
    )
    # The auto filter's range as Excel itself records it (a hidden name per sheet).
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
        f"{xml_escape(_quoted(name))}!$A$1:${_column_letter(len(sheet.columns))}${len(sheet.rows) + 1}"
        "</definedName>"
        for index, (name, sheet) in enumerate(zip(titles, sheets, strict=False))
        if sheet.columns
    )
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>"
        f"{f'<definedNames>{names}</definedNames>' if names else ''}"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{sheets}{styles}</Relationships>'


def _styles() -> str:
    custom = "".join(
        f"<numFmt numFmtId={quoteattr(str(_FORMAT_IDS[kind]))} formatCode={quoteattr(code)}/>"
        for kind, code in FORMATS.items()
        if _FORMAT_IDS[kind] >= 164
    )
    header = (
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
        'applyBorder="1" applyAlignment="1"{quote}><alignment vertical="center" wrapText="1"/></xf>'
    )
    xfs = [
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        header.format(quote=""),
        header.format(quote=' quotePrefix="1"'),
    ]
    for kind in _KINDS:
        if kind == "text":
            body = ' applyAlignment="1"{quote}><alignment vertical="top" wrapText="1"/></xf>'
            fmt = 0
        else:
            body = ' applyNumberFormat="1"{quote}/>'
            fmt = _FORMAT_IDS[kind]
        head = f'<xf numFmtId="{fmt}" fontId="0" fillId="0" borderId="0" xfId="0"'
        xfs += [head + body.format(quote=""), head + body.format(quote=' quotePrefix="1"')]
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        f'<numFmts count="{custom.count("<numFmt ")}">{custom}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/><family val="2"/></font>'
        "</fonts>"
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FF1F4E79"/><bgColor indexed="64"/>'
        "</patternFill></fill></fills>"
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '<border><left/><right/><top/><bottom style="thin"><color rgb="FFBFBFBF"/></bottom><diagonal/>'
        "</border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


_STYLES = _styles()
