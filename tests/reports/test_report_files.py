"""The four SOP reports as files: XLSX read back with openpyxl (real numbers and dates, frozen
header, widths) and DOCX read back with python-docx (kop, title, tables, signature)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from mailflow.adapters.db.engine import Database
from mailflow.domain.periods import parse_period
from mailflow.services.reports import generate_report
from tests.reports.conftest import MakeContext
from tests.reports.seed import at

NOW = at("2027-01-04", "08:00")


def generate(
    make_context: MakeContext, db: Database, kind: str, name: str, lang: str = "id"
) -> tuple[Path, Path]:
    ctx = make_context(db, NOW, lang)
    _report, files = generate_report(ctx, kind, parse_period(kind, name, date(2027, 1, 4)))
    assert files.docx is not None
    assert files.xlsx is not None
    return files.docx, files.xlsx


def rows(sheet: Worksheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def by_first(sheet: Worksheet) -> dict[object, list[object]]:
    return {row[0]: row for row in rows(sheet)[1:]}


def docx_text(path: Path) -> str:
    """Body paragraphs and the text of every table cell (the signature block is a layout table)."""
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def docx_tables(path: Path) -> list[list[list[str]]]:
    document = docx.Document(str(path))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def test_monthly_xlsx_keeps_real_types(seeded_sqlite: Database, make_context: MakeContext) -> None:
    _docx, xlsx = generate(make_context, seeded_sqlite, "monthly", "2026-12")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == [
        "Ringkasan", "Per langkah", "Per OPD", "Kategori", "Kanal", "Terlambat", "Cabang", "Cabang per OPD",
    ]  # fmt: skip
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert all(sheet.column_dimensions[c].width for c in "AB")
    summary = rows(book["Ringkasan"])
    assert summary[0][:3] == ["Aduan Masuk", "Selesai Dijawab", "Ditolak"]
    # 6 received, 4 answered, 1 rejected, 5 finished, 1 within limit = 20 %, median 18 h, P90 99 h 40 m
    assert summary[1] == [6, 4, 1, 5, 1, 0.2, timedelta(hours=18), timedelta(hours=99, minutes=40), 2, 2]
    assert book["Ringkasan"]["F2"].number_format == "0.0%"
    steps = by_first(book["Per langkah"])
    assert steps[7][4:10] == [5, 5, 5, 1.0, timedelta(hours=11, minutes=30), timedelta(hours=91)]
    assert isinstance(steps[1][7], float)
    assert round(steps[1][7], 4) == round(5 / 6, 4)
    assert book["Per langkah"].column_dimensions["B"].width == 36
    overdue = by_first(book["Terlambat"])
    item = overdue["LPR-2026-00102"]
    assert item[7] == datetime(2026, 12, 21, 10, 30)  # due, WITA wall-clock time
    assert item[8] == timedelta(hours=56, minutes=30)
    assert book["Terlambat"]["H2"].number_format == "dd/mm/yyyy hh:mm"
    opds = by_first(book["Per OPD"])
    assert opds["DISHUB"][1] == "Dinas Perhubungan"
    assert opds["DISHUB"][2:6] == [2, 2, 2, 1.0]


def test_monthly_docx_is_an_official_report(seeded_sqlite: Database, make_context: MakeContext) -> None:
    path, _xlsx = generate(make_context, seeded_sqlite, "monthly", "2026-12")
    text = docx_text(path)
    for expected in (
        "PEMERINTAH KOTA BONTANG",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "LAPORAN REKAPITULASI ADUAN PERBULAN",
        "Periode: Desember 2026",
        "Keadaan per 01/01/2027 00.00 WITA",
        "Bontang, 4 Januari 2027",
        "Kepala Dinas Komunikasi dan Informatika",
        "Dr. Anwar Sadat, S.Kom., M.Si.",
        "NIP. 19740318 199903 1 005",
    ):
        assert expected in text, expected
    tables = docx_tables(path)
    summary = {row[0]: row[1] for row in tables[0]}
    assert summary["Aduan Masuk"] == "6"
    assert summary["% Sesuai Batas"] == "20%"
    assert summary["Median Waktu Penyelesaian"] == "18 jam"
    assert summary["P90 Waktu Penyelesaian"] == "99 jam 40 menit"
    steps = {row[0]: row for row in tables[1][1:]}
    assert steps["1"][7] == "83,3%"  # 5 of 6 on time, Indonesian decimal comma
    assert steps["7"][8:10] == ["11 jam 30 menit", "91 jam"]
    overdue = {row[0]: row for row in tables[5][1:]}
    assert overdue["LPR-2026-00102"][7:9] == ["21/12/2026 10.30", "56 jam 30 menit"]
    header = docx.Document(str(path)).tables[1].rows[0]._tr
    assert header.xpath("./w:trPr/w:tblHeader"), "the header row repeats on every page"


def test_daily_report_lists_the_days_complaints(seeded_sqlite: Database, make_context: MakeContext) -> None:
    path, xlsx = generate(make_context, seeded_sqlite, "daily", "2026-12-21")
    listing = rows(openpyxl.load_workbook(xlsx)["Aduan masuk"])
    assert listing[0] == [
        "No", "Nomor Aduan", "Diterima (WITA)", "Kanal", "Permasalahan", "Kategori", "OPD Tujuan", "Status",
    ]  # fmt: skip
    assert listing[1] == [
        1, "LPR-2026-00101", datetime(2026, 12, 21, 8, 0), "Email", "Lampu PJU padam di Jl. MT Haryono",
        "Penerangan Jalan", "Dishub", "Selesai dijawab",
    ]  # fmt: skip
    assert listing[2][1] == "LPR-2026-00105"
    assert listing[2][6] == "DPUPR, DLH"
    assert len(listing) == 3
    text = docx_text(path)
    assert "LAPORAN IDENTIFIKASI PERMASALAHAN ADUAN PERHARI" in text
    assert "Periode: Senin, 21 Desember 2026" in text
    friday, _ = generate(make_context, seeded_sqlite, "daily", "2026-12-18")
    (table, *_rest) = docx_tables(friday)
    assert table[1][1] == "LPR-2026-00102"
    assert table[1][6:8] == ["(belum ditentukan)", "Dalam proses (langkah 4)"]
    empty, _ = generate(make_context, seeded_sqlite, "daily", "2026-12-26")
    assert "Nihil." in docx_text(empty)


def test_semester_recap_per_opd(seeded_sqlite: Database, make_context: MakeContext) -> None:
    path, xlsx = generate(make_context, seeded_sqlite, "semester", "2026-S2")
    book = openpyxl.load_workbook(xlsx)
    months = rows(book["OPD per bulan"])
    assert months[0][2:] == ["Jul 2026", "Agu 2026", "Sep 2026", "Okt 2026", "Nov 2026", "Des 2026", "Jumlah"]
    per_opd = {row[0]: row for row in months[1:]}
    assert per_opd["DISHUB"][2:] == [0, 0, 0, 0, 1, 2, 3]
    assert per_opd["DPUPR"][-1] == 2
    steps = {row[0]: row for row in rows(book["OPD per langkah"])[1:]}
    # DLH: step 5 late, 6-9 on time -> 0 %, 100 % x 4; 5 steps finished, 80 %.
    assert steps["DLH"][2:] == [0.0, 1.0, 1.0, 1.0, 1.0, 5, 0.8]
    assert "LAPORAN REKAPITULASI ADUAN PERANGKAT DAERAH PER SEMESTER" in docx_text(path)
    assert "Periode: Semester II Tahun 2026 (Juli–Desember)" in docx_text(path)


def test_yearly_report_month_by_month(seeded_sqlite: Database, make_context: MakeContext) -> None:
    path, xlsx = generate(make_context, seeded_sqlite, "yearly", "2026")
    months = rows(openpyxl.load_workbook(xlsx)["Per bulan"])
    assert len(months) == 13
    assert months[3] == ["Maret 2026", 1, 1, 1, 1.0, timedelta(minutes=75), timedelta(minutes=75)]
    assert months[12][:5] == ["Desember 2026", 6, 5, 1, 0.2]
    assert months[11][:3] == ["November 2026", 1, 0]
    assert "LAPORAN PENGELOLAAN PENGADUAN PER TAHUN" in docx_text(path)


def test_reports_in_english(seeded_sqlite: Database, make_context: MakeContext) -> None:
    path, xlsx = generate(make_context, seeded_sqlite, "monthly", "2026-12", lang="en")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[:3] == ["Summary", "Per step", "Per department"]
    assert rows(book["Summary"])[0][0] == "Complaints received"
    text = docx_text(path)
    assert "MONTHLY COMPLAINT RECAP (LAPORAN REKAPITULASI ADUAN PERBULAN)" in text
    assert "Period: December 2026" in text
    summary = {row[0]: row[1] for row in docx_tables(path)[0]}
    assert summary["Median handling time"] == "18 hours"
    assert summary["% within limit"] == "20%"


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly", "semester", "yearly"])
def test_every_report_opens(seeded_sqlite: Database, make_context: MakeContext, kind: str) -> None:
    names = {"daily": "2026-12-21", "weekly": "2026-W52", "monthly": "2026-12", "semester": "2026-S2",
             "yearly": "2026"}  # fmt: skip
    path, xlsx = generate(make_context, seeded_sqlite, kind, names[kind])
    assert docx.Document(str(path)).tables
    assert openpyxl.load_workbook(xlsx).worksheets
