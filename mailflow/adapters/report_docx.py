"""Build an official report (Tata Naskah Dinas look) as DOCX with python-docx.

Kop surat (government, the dinas, address and contacts over a double rule), the title and
period, numbered sections each with a table (header row shaded and repeated on every page),
notes, and the signature block of the head of the dinas (place and date, jabatan, name,
pangkat, NIP). The caller gives already formatted text: this module only lays it out.

Every run of text passes through safe_text.escape: complaint subjects and summaries are written
by strangers, and a bidi override or control character would reorder what the signed report
says (or make python-docx refuse the whole file, as it does for most control characters). They
are shown as visible `\\u202e` markers rather than removed, so a reader of the official report
sees that something was there.

The data tables (hundreds of rows in a semester or yearly report) are written as WordprocessingML
directly, the same elements python-docx makes cell by cell: building them through python-docx
objects took 3-6 times as long as reading the step events they summarise. They are not even
parsed: python-docx lays out a marker paragraph where each goes, and the saved document.xml gets
the table's text in the marker's place (parsing them into python-docx's element classes and
serializing them again took about as long as the yearly report's SQL for its case counts).
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from mailflow.domain.safe_text import escape
from mailflow.errors import StorageError

Align = Literal["left", "right", "center"]
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
}
_FONT = "Arial"
_HEADER_SHADE = "D9E2F3"
_LABEL_SHADE = "F2F2F2"
_A4 = (Cm(21.0), Cm(29.7))
_MARGIN = Cm(2.0)
_CHAR_CM = 0.2  # one character of 8.5 pt text with some air
_EMU_PER_TWIP = 635  # widths in the XML are twentieths of a point
# What XML 1.0 cannot carry once escape() has run (it shows the C0 controls as markers already).
_NOT_XML = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ud800-\\udfff\\ufffe\\uffff]")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Kop:
    government: str  # PEMERINTAH KOTA BONTANG
    name: str  # DINAS KOMUNIKASI DAN INFORMATIKA
    address: str = ""
    contacts: str = ""  # phone, email, website on one line
    logo: Path | None = None


@dataclass(frozen=True)
class DocTable:
    heading: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[Align] = ()
    widths: Sequence[float] = ()  # in characters: the table takes what they need, up to the page
    note: str | None = None
    empty: str = "Nihil."
    vertical: bool = False  # one record shown as "label | value" lines


@dataclass(frozen=True)
class Signature:
    place_date: str
    jabatan: str
    name: str
    pangkat: str = ""
    nip_line: str = ""


@dataclass(frozen=True)
class DocReport:
    kop: Kop
    title: str
    subtitle: str
    lines: Sequence[str] = ()  # under the subtitle (as-of, basis)
    tables: Sequence[DocTable] = ()
    signature: Signature | None = None
    footer: str = ""
    landscape: bool = True
    meta_title: str = ""
    meta_subject: str = ""
    intro: Sequence[str] = field(default_factory=tuple)


def write_report_docx(report: DocReport, path: Path) -> Path:
    """Write the report to `path` atomically."""
    document = Document()
    tables = _Tables()
    _page(document, report.landscape, report.footer)
    _kop(document, report.kop)
    _title(document, report)
    for number, table in enumerate(report.tables, start=1):
        _section(document, tables, number, table, _usable_width(report.landscape))
    if report.signature is not None:
        _signature(document, report.signature, _usable_width(report.landscape))
    props = document.core_properties
    props.title = report.meta_title or report.title
    props.subject = report.meta_subject
    props.author = "mailflow"
    buffer = io.BytesIO()
    document.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_bytes(tables.fill(buffer.getvalue()))
        temp.replace(path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


class _Tables:
    """The data tables' XML, each waiting for its marker paragraph in the saved document.xml. The
    marker holds a random token, so no text of the report (written by strangers, and escaped
    into runs with properties anyway) can take a table's place."""

    _PART = "word/document.xml"

    def __init__(self) -> None:
        self._token = secrets.token_hex(8)
        self._xml: list[str] = []

    def add(self, document: DocxDocument, xml: str) -> None:
        marker = parse_xml(f"<w:p {nsdecls('w')}><w:r><w:t>{self._marker(len(self._xml))}</w:t></w:r></w:p>")
        document.element.body._insert_p(marker)
        self._xml.append(xml)

    def _marker(self, index: int) -> str:
        return f"mailflow-table-{self._token}-{index}"

    def fill(self, docx: bytes) -> bytes:
        """The saved package with each marker paragraph replaced by its table."""
        if not self._xml:
            return docx
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == self._PART:
                    data = self._replace(data.decode("utf-8")).encode("utf-8")
                target.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()

    def _replace(self, xml: str) -> str:
        parts: list[str] = []
        position = 0
        for index, table in enumerate(self._xml):
            paragraph = f"<w:p><w:r><w:t>{self._marker(index)}</w:t></w:r></w:p>"
            found = xml.find(paragraph, position)
            if found < 0:
                raise StorageError(f"report table {index} lost its place in the document")
            parts += [xml[position:found], table]
            position = found + len(paragraph)
        parts.append(xml[position:])
        return "".join(parts)


def _usable_width(landscape: bool) -> float:
    width = _A4[1] if landscape else _A4[0]
    return float(Cm(width.cm - 2 * _MARGIN.cm))


def _page(document: DocxDocument, landscape: bool, footer: str) -> None:
    style = document.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(10)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), _FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (_A4[1], _A4[0]) if landscape else _A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, _MARGIN)
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(paragraph, f"{footer}  ·  " if footer else "", size=8, color="595959")
    _page_field(paragraph)


def _page_field(paragraph: Paragraph) -> None:
    run = paragraph.add_run()
    run.font.size = Pt(8)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _run(paragraph: Paragraph, text: str, *, size: float = 10, bold: bool = False, color: str = "") -> None:
    run = paragraph.add_run(escape(text))
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = _FONT
    if color:
        run.font.color.rgb = RGBColor.from_string(color)


def _para(document: DocxDocument | _Cell, align: Align = "left", after: float = 0) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = _ALIGN[align]
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    return paragraph


def _kop(document: DocxDocument, kop: Kop) -> None:
    target: DocxDocument | _Cell = document
    if kop.logo is not None and kop.logo.is_file():
        layout = document.add_table(rows=1, cols=2)
        layout.alignment = WD_TABLE_ALIGNMENT.CENTER
        logo_cell, text_cell = layout.cell(0, 0), layout.cell(0, 1)
        logo_cell.width, text_cell.width = Cm(2.6), Cm(14)
        logo_cell.paragraphs[0].add_run().add_picture(str(kop.logo), height=Cm(2.3))
        target = text_cell
    lines: list[tuple[str, float, bool]] = [(kop.government.upper(), 14, True), (kop.name.upper(), 16, True)]
    lines += [(text, 9.5, False) for text in (kop.address, kop.contacts) if text]
    for index, (text, size, bold) in enumerate(lines):
        paragraph = target.paragraphs[0] if index == 0 and target is not document else _para(target, "center")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, text, size=size, bold=bold)
    rule = _para(document, "center", after=10)
    _bottom_border(rule)


def _bottom_border(paragraph: Paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "thinThickSmallGap"),
        ("w:sz", "18"),
        ("w:space", "1"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _title(document: DocxDocument, report: DocReport) -> None:
    _run(_para(document, "center", after=2), report.title.upper(), size=13, bold=True)
    _run(_para(document, "center", after=2), report.subtitle, size=11, bold=True)
    for line in report.lines:
        _run(_para(document, "center", after=2), line, size=9, color="404040")
    for text in report.intro:
        _run(_para(document, "left", after=4), text, size=10)
    _para(document, after=4)


def _section(document: DocxDocument, tables: _Tables, number: int, table: DocTable, width: float) -> None:
    heading = _para(document, after=4)
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.space_before = Pt(8)
    _run(heading, f"{number}. {table.heading}", size=11, bold=True)
    if not table.rows:
        _run(_para(document, after=6), table.empty, size=10)
        return
    if table.vertical:
        tables.add(document, _vertical(table, width))
    else:
        tables.add(document, _grid(table, width))
    if table.note:
        note = _para(document, after=6)
        note.paragraph_format.space_before = Pt(3)
        run = note.add_run(escape(table.note))
        run.font.size, run.font.italic = Pt(8), True


def _grid(table: DocTable, width: float) -> str:
    relative = table.widths or [12.0] * len(table.headers)
    total = min(width, float(Cm(sum(relative) * _CHAR_CM)))
    widths = [round(w / _EMU_PER_TWIP) for w in _widths(relative, total)]
    aligns = [table.align[i] if i < len(table.align) else "left" for i in range(len(table.headers))]
    out = [_table_start("center"), *(f'<w:gridCol w:w="{w}"/>' for w in widths), _HEADER_ROW_START]
    for text, cell_width in zip(table.headers, widths, strict=True):
        out.append(_cell_xml(text, "center", cell_width, bold=True, shade=_HEADER_SHADE))
    out.append("</w:tr>")
    for row in table.rows:
        out.append("<w:tr>")
        out.extend(_cell_xml(text, align, w) for text, align, w in zip(row, aligns, widths, strict=True))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _table_start(align: Align) -> str:
    return (
        "<w:tbl><w:tblPr>"
        f'<w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="{align}"/>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0"'
        ' w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
    )


_HEADER_ROW_START = '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>'
_RUN_FONT = f'<w:rFonts w:ascii="{_FONT}" w:hAnsi="{_FONT}"/>'
_RUN_PROPERTIES = {
    True: f'<w:rPr>{_RUN_FONT}<w:b/><w:sz w:val="17"/></w:rPr>',
    False: f'<w:rPr>{_RUN_FONT}<w:b w:val="0"/><w:sz w:val="17"/></w:rPr>',
}


def _cell_xml(text: str, align: Align, width: int, *, bold: bool = False, shade: str = "") -> str:
    """One cell as python-docx would make it: 8.5 pt Arial, each line a run, breaks between."""
    fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>' if shade else ""
    properties = _RUN_PROPERTIES[bold]
    runs = "<w:r><w:br/></w:r>".join(
        f'<w:r>{properties}<w:t xml:space="preserve">{_xml_text(escape(line))}</w:t></w:r>'
        for line in text.split("\n")
    )
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{fill}</w:tcPr>'
        f'<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="{align}"/></w:pPr>{runs}</w:p></w:tc>'
    )


def _xml_text(text: str) -> str:
    """Text for an XML element: markup characters escaped, and a character XML cannot carry at all
    (a lone surrogate, U+FFFE, U+FFFF) shown as a marker, like the unsafe ones."""
    return xml_escape(_NOT_XML.sub(lambda found: f"\\u{ord(found.group()):04x}", text))


def _vertical(table: DocTable, width: float) -> str:
    """One record as "label | value" lines, written like `_grid` (python-docx's cell objects cost
    as much as a whole grid for these ten lines)."""
    widths = [round(w / _EMU_PER_TWIP) for w in _widths([0.7, 0.3], min(width, float(Cm(14))))]
    out = [_table_start("left"), *(f'<w:gridCol w:w="{w}"/>' for w in widths), "</w:tblGrid>"]
    for label, value in zip(table.headers, table.rows[0], strict=True):
        out.append("<w:tr>")
        out.append(_cell_xml(label, "left", widths[0], bold=True, shade=_LABEL_SHADE))
        out.append(_cell_xml(value, "right", widths[1]))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _widths(relative: Sequence[float], total: float) -> list[int]:
    whole = sum(relative) or 1.0
    return [int(total * part / whole) for part in relative]


def _set_widths(grid: DocxTable, widths: Sequence[int]) -> None:
    """Cell widths and the table grid both: Word reads the cells, LibreOffice the grid."""
    grid.autofit = False
    for column, width in zip(grid._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = Emu(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    grid._tbl.tblPr.append(layout)


def _repeat_header(grid: DocxTable) -> None:
    properties = grid.rows[0]._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)


def _signature(document: DocxDocument, signature: Signature, width: float) -> None:
    _para(document, after=6)
    layout = document.add_table(rows=1, cols=2)
    layout.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = layout.cell(0, 0), layout.cell(0, 1)
    _set_widths(layout, _widths([0.55, 0.45], width))
    left.paragraphs[0].text = ""
    first = right.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(first, signature.place_date)
    _run(_para(right, "center"), signature.jabatan, bold=True)
    for _ in range(3):
        _para(right, "center", after=6)
    name = _para(right, "center")
    run = name.add_run(escape(signature.name))
    run.font.bold, run.font.underline, run.font.size = True, True, Pt(10)
    for line in (signature.pangkat, signature.nip_line):
        if line:
            _run(_para(right, "center"), line)
    row = layout.rows[0]._tr
    row.get_or_add_trPr().append(_cant_split())


def _cant_split() -> OxmlElement:  # type: ignore[valid-type]
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    return element
