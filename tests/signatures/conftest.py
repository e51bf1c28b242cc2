"""Cases waiting for a signature, with their letters made by the real letters pipeline.

`step8(...)` drives a complaint through steps 1-7 with the conversation engine on a real database
(tests.engine.harness), the letters service renders the DOCX letters and the warm LibreOffice of
the session converts them, so the surat tanggapan waiting at step 8 is the PDF the Kepala Dishub
would receive. `pki` signs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.converter import WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case, Document
from mailflow.domain.documents import DocumentKind
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.letters.service import LetterService
from mailflow.services.returned.service import ReturnedLetterService
from tests.engine.harness import Harness, make_harness
from tests.fixtures.pki import TestPki

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)
IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"


@dataclass
class Step8:
    h: Harness
    number: str  # the case number
    letter_id: int
    doc_uid: str
    letter_number: str
    pdf: bytes  # the unsigned letter PDF as the pipeline made it
    service: ReturnedLetterService

    @property
    def database(self) -> Database:
        return self.h.database

    def only(self, to: str, kind: str | None = None):  # type: ignore[no-untyped-def]
        mails = [m for m in self.h.mails(kind=kind) if m.to_addr == to]
        assert len(mails) == 1, [(m.to_addr, m.kind) for m in mails]
        return mails[0]


def drive_to_step8(h: Harness, converter: WarmConverter, **register: Any) -> tuple[str, Document, bytes]:
    def only(to: str):  # type: ignore[no-untyped-def]
        mails = [m for m in h.mails() if m.to_addr == to]
        assert len(mails) == 1, [(m.to_addr, m.kind) for m in mails]
        return mails[0]

    number = h.register(**register)
    assert h.reply(only(IKP), "VALID DISHUB").status == "applied"
    assert h.reply(only(KADIS), "SETUJU").status == "applied"
    assert h.reply(only(SEK_DISHUB), "TERIMA").status == "applied"
    assert h.reply(only(KADIS_DISHUB), "DISPOSISI PJU: mohon segera dicek").status == "applied"
    assert (
        h.reply(only(KABID_PJU), "TANGGAPAN\nLampu sudah diganti pada 1 Desember 2026.").status == "applied"
    )
    assert only(KADIS_DISHUB).kind == "action.8"
    summary = ConversionService(h.database, h.settings, converter=converter).run_once()
    assert not summary.failed, summary
    with h.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        letter = session.execute(
            select(Document).where(
                Document.case_id == case.id, Document.kind == DocumentKind.SURAT_TANGGAPAN.value
            )
        ).scalar_one()
        session.expunge(letter)
    assert letter.pdf_path is not None
    return number, letter, Path(letter.pdf_path).read_bytes()


def signatures_config(pki: TestPki, policy: str = "digital") -> dict[str, str]:
    section = f'[signatures]\npolicy = "{policy}"\ntrust_roots = ["{pki.root_pem}"]\n\n'
    return {"[calendar]": section + "[watcher]\nstable_seconds = 0.3\n\n[calendar]"}


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def step8(tmp_path: Path, warm_converter: WarmConverter, pki: TestPki) -> Callable[..., Step8]:
    def make(
        database: Database,
        *,
        policy: str = "digital",
        folder: str = "a",
        start: datetime = START,
        edit: dict[str, str] | None = None,
    ) -> Step8:
        h = make_harness(
            database, tmp_path / folder, start, edit={**signatures_config(pki, policy), **(edit or {})}
        )
        h.use_letters(LetterService(h.settings, h.directory))
        number, letter, pdf = drive_to_step8(h, warm_converter)
        service = h.conversation.returned
        assert letter.number is not None
        return Step8(h, number, letter.id, letter.doc_uid, letter.number, pdf, service)

    return make


@dataclass(frozen=True)
class LetterPdf:
    pdf: bytes
    doc_uid: str
    number: str
    case_number: str


@pytest.fixture(scope="session")
def letter_pdf(tmp_path_factory: pytest.TempPathFactory, warm_converter: WarmConverter) -> LetterPdf:
    """One surat tanggapan through the real pipeline, for the tests that need no database of their own."""
    base = tmp_path_factory.mktemp("letter")
    database = Database(f"sqlite:///{base / 'mailflow.sqlite3'}")
    upgrade(database)
    try:
        h = make_harness(database, base, START)
        h.use_letters(LetterService(h.settings, h.directory))
        number, letter, pdf = drive_to_step8(h, warm_converter)
    finally:
        database.dispose()
    assert letter.number is not None
    return LetterPdf(pdf, letter.doc_uid, letter.number, number)
