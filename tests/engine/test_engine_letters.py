"""The engine with the real letters service and the warm LibreOffice converter: each step's
mail carries the official letter (DOCX and PDF), numbered, and OPD letters stay redacted."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.converter import WarmConverter
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Document, OutboxMail
from mailflow.adapters.pdf_text import pdf_text
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.services.letters.conversion import ConversionService
from mailflow.services.letters.service import LetterService
from mailflow.services.outbound.outbox import resolve_attachments
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def h(sqlite_db: Database, tmp_path: Path) -> Harness:
    harness = make_harness(sqlite_db, tmp_path, datetime(2026, 11, 30, 8, 5, tzinfo=WITA))
    settings = load_config(harness.base / "mailflow.toml", env={})
    harness.use_letters(LetterService(settings, load_directory(settings.paths.directory)))
    return harness


def walk_to_step_8(h: Harness, **register: object) -> str:
    number = h.register(**register)  # type: ignore[arg-type]
    h.reply(h.mails(to="ikp.kominfo@bontangkota.go.id")[0], "VALID DISHUB")
    h.reply(h.mails(to="kadis.kominfo@bontangkota.go.id")[0], "SETUJU")
    h.reply(h.mails(to="sekretaris.dishub@bontangkota.go.id")[0], "TERIMA")
    h.reply(h.mails(to="kadis.dishub@bontangkota.go.id")[0], "DISPOSISI PJU: mohon segera dicek")
    h.reply(
        h.mails(to="pju.dishub@bontangkota.go.id")[0],
        "TANGGAPAN\nLampu di Jl. Ahmad Yani sudah diganti pada 1 Desember 2026.",
        advance=timedelta(hours=3),
    )
    return number


@pytest.mark.libreoffice
@pytest.mark.slow
def test_each_step_mail_carries_its_official_letter(h: Harness, warm_converter: WarmConverter) -> None:
    number = walk_to_step_8(h)
    with h.database.reader() as session:
        docs = {(d.kind, d.route_id is not None): d for d in session.execute(select(Document)).scalars()}
        kinds = sorted(d.kind for d in session.execute(select(Document)).scalars())
    assert kinds == ["lembar_disposisi", "lembar_disposisi", "nota_dinas", "surat_tanggapan"]
    assert docs[("nota_dinas", False)].number == "700.1.2.4/0001/Diskominfo/2026"
    assert docs[("surat_tanggapan", True)].number == "700.1.2.4/0001/Dishub/2026"
    conversion = ConversionService(h.database, h.settings, converter=warm_converter)
    summary = conversion.run_once()
    assert len(summary.converted) == 4 and summary.failed == []
    with h.database.reader() as session:
        to_sign = session.execute(select(OutboxMail).where(OutboxMail.kind == "action.8")).scalar_one()
        files = resolve_attachments(session, to_sign)
        assert files is not None
        names = [f.filename for f in files]
        assert names == [
            "surat_tanggapan_700.1.2.4-0001-Dishub-2026.pdf",
            "surat_tanggapan_700.1.2.4-0001-Dishub-2026.docx",
        ]
        text = pdf_text(files[0].path)
        assert "700.1.2.4/0001/Dishub/2026" in text and number in text
        assert "sudah diganti pada 1 Desember 2026" in text
        assert docs[("surat_tanggapan", True)].doc_uid in text
        to_head = session.execute(select(OutboxMail).where(OutboxMail.kind == "action.4")).scalar_one()
        head_files = resolve_attachments(session, to_head)
        assert head_files is not None and head_files[0].filename.startswith("nota_dinas_")


def test_rahasia_letters_for_the_opd_carry_no_identity(h: Harness) -> None:
    walk_to_step_8(
        h,
        confidentiality="rahasia",
        body="Ada pungutan liar di loket. Hormat saya, Siti Rahma (0812-3456-7890, siti.rahma@gmail.com)",
    )
    with h.database.reader() as session:
        documents = list(session.execute(select(Document)).scalars())
    for document in documents:
        assert document.docx_path is not None
        with zipfile.ZipFile(document.docx_path) as archive:
            xml = "".join(
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")
            )
        # every text run and every attribute value a reader could see (metadata included)
        xml = " ".join(
            re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml) + re.findall(r"<(?:dc|cp):\w+>([^<]*)<", xml)
        )
        if document.audience == "internal":
            assert "Siti Rahma" in xml  # the memo to the head of Diskominfo may name her
            continue
        for secret in ("Siti", "Rahma", "0812", "3456", "siti.rahma@gmail.com"):
            assert secret not in xml, (document.kind, secret)
