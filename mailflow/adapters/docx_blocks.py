"""Small python-docx building blocks for the letter templates (page, kop, label lines, boxes).

Only what python-docx lacks is written as raw OOXML here (borders, cell margins, fields, compat
settings). Every block keeps a Jinja tag inside one run, which is what docxtpl needs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

FONT = "Arial"
BASE_SIZE = 11
_FIXED_TIME = datetime(2026, 1, 1)  # noqa: DTZ001 - a constant stamp for reproducible templates
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
LEFT, CENTER, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)


def new_document(*, title: str, margins_cm: tuple[float, float, float, float]) -> DocumentObject:
    """An A4 document in Arial, Indonesian proofing language; margins top, right, bottom, left."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    top, right, bottom, left = margins_cm
    section.top_margin, section.right_margin = Cm(top), Cm(right)
    section.bottom_margin, section.left_margin = Cm(bottom), Cm(left)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(0.7)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BASE_SIZE)
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    assert fonts is not None
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "id-ID")
    language.set(qn("w:bidi"), "ar-SA")
    r_pr.append(language)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    _compat(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "mailflow", "mailflow"
    props.created = props.modified = _FIXED_TIME
    props.revision = 1
    props.language = "id-ID"
    return doc


def _compat(doc: DocumentObject) -> None:
    """Lines ending in a line break (user text keeps its newlines) are not stretched when
    justified: Word's doNotExpandShiftReturn, honoured by LibreOffice's DOCX import too."""
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        settings.append(compat)
    compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
    theme = settings.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), "id-ID")


def reproducible_bytes(doc: DocumentObject) -> bytes:
    """The .docx bytes with fixed zip timestamps, so the same builder gives the same file."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


# --- paragraphs and runs --------------------------------------------------------------------


def para(
    container: Any,
    *parts: str | tuple[str, dict[str, Any]],
    align: Any = None,
    size: float | None = None,
    bold: bool = False,
    after: float = 0,
    before: float = 0,
    keep_next: bool = False,
    reuse_first: bool = False,
) -> Paragraph:
    """A paragraph of runs; a part is a text (formatted as the paragraph) or (text, overrides)."""
    paragraph: Paragraph
    if reuse_first and container.paragraphs and not container.paragraphs[0].text:
        paragraph = container.paragraphs[0]
    else:
        paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    if align is not None:
        paragraph.alignment = align
    fmt.keep_with_next = keep_next or None
    for part in parts:
        text, overrides = (part, {}) if isinstance(part, str) else part
        run(paragraph, text, **({"size": size, "bold": bold} | overrides))
    return paragraph


def run(
    paragraph: Paragraph,
    text: str,
    *,
    size: float | None = None,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    caps: bool = False,
    spacing: float | None = None,
) -> None:
    r = paragraph.add_run(text)
    if size:
        r.font.size = Pt(size)
    r.font.bold = bold or None
    r.font.italic = italic or None
    r.font.underline = underline or None
    r.font.all_caps = caps or None
    if spacing is not None:
        r_pr = r._element.get_or_add_rPr()
        element = OxmlElement("w:spacing")
        element.set(qn("w:val"), str(int(spacing * 20)))
        r_pr.append(element)


def tag(container: Any, text: str) -> Paragraph:
    """A paragraph holding only a docxtpl paragraph tag such as `{%p if tembusan %}`."""
    paragraph: Paragraph = container.add_paragraph()
    paragraph.add_run(text)
    return paragraph


def label_line(
    container: Any,
    label: str,
    value: str,
    *,
    label_cm: float,
    size: float | None = None,
    after: float = 0,
    bold_value: bool = False,
    reuse_first: bool = False,
) -> Paragraph:
    """ "Nomor    : 700.1.2.4/..." with the value wrapping under itself (a hanging indent)."""
    paragraph = para(container, label, "\t:\t", size=size, after=after, reuse_first=reuse_first)
    run(paragraph, value, size=size, bold=bold_value)
    fmt = paragraph.paragraph_format
    fmt.left_indent = Cm(label_cm + 0.45)
    fmt.first_line_indent = Cm(-(label_cm + 0.45))
    fmt.tab_stops.add_tab_stop(Cm(label_cm), WD_TAB_ALIGNMENT.LEFT)
    fmt.tab_stops.add_tab_stop(Cm(label_cm + 0.45), WD_TAB_ALIGNMENT.LEFT)
    return paragraph


def rule_below(paragraph: Paragraph, *, style: str = "single", size: int = 8, space: int = 1) -> None:
    """A line under a paragraph (the kop's thick-thin line is style thickThinSmallGap)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", style), ("w:sz", str(size)), ("w:space", str(space)), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # pBdr must come before spacing/ind/jc in CT_PPr: insert it right after the style, if any
    position = 1 if p_pr.find(qn("w:pStyle")) is not None else 0
    for name in ("w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:widowControl", "w:numPr"):
        if p_pr.find(qn(name)) is not None:
            position += 1
    p_pr.insert(position, borders)


def field(paragraph: Paragraph, instruction: str, *, size: float | None = None) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when laying out."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        r = paragraph.add_run()
        if size:
            r.font.size = Pt(size)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        r._r.append(element)


# --- tables -------------------------------------------------------------------------------


def table(container: Any, widths_cm: Sequence[float], *, rows: int = 1, grid: bool = False) -> Table:
    """A fixed-layout table with exact column widths (Word and LibreOffice agree on them)."""
    total = Cm(sum(widths_cm))
    t: Table
    try:
        t = container.add_table(rows=rows, cols=len(widths_cm))
    except TypeError:  # headers and footers want the width
        t = container.add_table(rows, len(widths_cm), total)
    t.autofit = False
    t.style = "Table Grid" if grid else None
    tbl_pr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    width.set(qn("w:type"), "dxa")
    for index, cm in enumerate(widths_cm):
        t.columns[index].width = Cm(cm)
        for cell in t.columns[index].cells:
            cell.width = Cm(cm)
    return t


def cell_margins(t: Table, *, left_cm: float = 0.1, right_cm: float = 0.1, top_cm: float = 0.0) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side, cm in (("top", top_cm), ("left", left_cm), ("bottom", top_cm), ("right", right_cm)):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(int(cm * 567)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    t._tbl.tblPr.append(margins)


def cell_border(cell: _Cell, **sides: str) -> None:
    """Borders of one cell, e.g. top="single:8" (style:eighths of a point) or top="nil"."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for side in ("top", "left", "bottom", "right"):
        if side not in sides:
            continue
        style, _, size = sides[side].partition(":")
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), style)
        if style != "nil":
            element.set(qn("w:sz"), size or "4")
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")
        borders.append(element)
    tc_pr.append(borders)


def middle(cell: _Cell) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def keep_rows_whole(t: Table) -> None:
    """A row never splits across pages (the signature block stays in one piece)."""
    for row in t.rows:
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))


def shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)
