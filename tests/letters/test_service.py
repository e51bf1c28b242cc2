"""LetterService.create on SQLite and PostgreSQL: numbers, ids, files, rows, redaction."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import docx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from mailflow.adapters.db.counters import current_value
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, Document
from mailflow.config.loader import settings_from_mapping
from mailflow.domain.documents import Audience, DocumentKind, DocumentStatus, normalise_doc_id, qr_payload
from mailflow.services.letters.service import LetterService
from tests.letters.helpers import (
    EMAIL,
    NAME,
    NOW,
    PHONE,
    TEMPLATES,
    directory,
    docx_text,
    docx_xml,
    make_case,
    make_settings,
)


def service(tmp_path: Path, **letters: object) -> LetterService:
    return LetterService(make_settings(tmp_path, **letters), directory())


def all_four(svc: LetterService, session, case, route):  # type: ignore[no-untyped-def]
    return [
        svc.create(session, DocumentKind.NOTA_DINAS, case, None, Audience.INTERNAL, NOW, {}),
        svc.create(
            session, DocumentKind.LEMBAR_DISPOSISI, case, None, Audience.OPD, NOW + timedelta(hours=1), {}
        ),
        svc.create(
            session, DocumentKind.LEMBAR_DISPOSISI, case, route, Audience.OPD, NOW + timedelta(hours=2), {}
        ),
        svc.create(
            session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW + timedelta(days=2), {}
        ),
    ]


def test_letters_are_numbered_stored_and_recorded(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session)
        documents = all_four(svc, session, case, route)
        ids = [d.id for d in documents]
    with database.reader() as session:
        rows = [session.get(Document, i) for i in ids]
        assert [r.number for r in rows] == [
            "700.1.2.4/0001/Diskominfo/2026",
            "0001/Agenda/Diskominfo/2026",  # disposition sheets have their own register
            "0001/Agenda/Dishub/2026",
            "700.1.2.4/0001/Dishub/2026",  # per unit: Dishub's first letter
        ]
        assert [r.unit for r in rows] == ["Diskominfo", "Diskominfo", "Dishub", "Dishub"]
        assert [r.audience for r in rows] == ["internal", "opd", "opd", "opd"]
        folder = tmp_path / "letters" / "2026" / "LPR-2026-00042"
        for row in rows:
            assert row.status == DocumentStatus.GENERATED
            assert normalise_doc_id(row.doc_uid) == row.doc_uid
            path = Path(row.docx_path)
            assert path.parent == folder and path.name.endswith(f"_{row.doc_uid}.docx")
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row.docx_sha256
            template = TEMPLATES / row.template_name
            assert row.template_version == hashlib.sha256(template.read_bytes()).hexdigest()
            assert row.case_id == case.id
        assert rows[0].route_id is None and rows[3].route_id == route.id
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 4
        assert len({r.doc_uid for r in rows}) == 4


def test_document_identity_is_in_the_docx_text_metadata_and_qr(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session)
        document = svc.create(session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {})
    data = Path(document.docx_path).read_bytes()
    text = docx_text(data)
    for needle in (document.doc_uid, document.number, "LPR-2026-00042"):
        assert needle in text
    core = docx.Document(io.BytesIO(data)).core_properties
    assert core.identifier == document.doc_uid
    assert document.doc_uid in core.keywords and document.number in core.title
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        images = [n for n in package.namelist() if n.startswith("word/media/")]
        assert len(images) == 1  # the QR code (no logo configured)
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(package.read(images[0]))))
    assert [b.text for b in decoded] == [qr_payload(document.doc_uid)]


def test_previous_letters_are_cited(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session)
        nota, step4, step6, tanggapan = all_four(svc, session, case, route)
    text4 = docx_text(Path(step4.docx_path).read_bytes())
    assert f"No. Surat\t:\t{nota.number}" in text4
    assert "Surat dari\t:\tKepala Bidang Informasi dan Komunikasi Publik" in text4
    assert f"No. Surat\t:\t{step4.number}" in docx_text(Path(step6.docx_path).read_bytes())
    assert f"Nomor {step4.number} tanggal 30 November 2026" in docx_text(
        Path(tanggapan.docx_path).read_bytes()
    )


def test_a_rolled_back_letter_gives_its_number_back(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, _ = make_case(session)
        case_id = case.id
    with pytest.raises(RuntimeError), database.transaction() as session:
        svc.create(
            session, DocumentKind.NOTA_DINAS, session.get(type(case), case_id), None, Audience.INTERNAL, NOW
        )
        raise RuntimeError("the engine failed after the letter")
    with database.transaction() as session:
        again = svc.create(
            session, DocumentKind.NOTA_DINAS, session.get(type(case), case_id), None, Audience.INTERNAL, NOW
        )
        assert again.number == "700.1.2.4/0001/Diskominfo/2026"
        assert current_value(session, "letter:Diskominfo", "2026") == 1


def test_numbers_follow_the_configured_pattern_and_restart_each_year(
    database: Database, tmp_path: Path
) -> None:
    raw = {
        "general": {"data_dir": "var"},
        "paths": {"templates": str(TEMPLATES), "letters": "letters"},
        "numbering": {
            "letter_pattern": "{sifat}/{kode_klasifikasi}/{nomor}/{unit}/{bulan_romawi}/{tahun}",
            "kode_klasifikasi": "100.3.4",
        },
    }
    svc = LetterService(settings_from_mapping(raw, tmp_path), directory())
    with database.transaction() as session:
        case, route = make_case(session, confidentiality="rahasia")
        first = svc.create(
            session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {"sifat": "Rahasia"}
        )
        second = svc.create(session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {})
        new_year = svc.create(
            session,
            DocumentKind.SURAT_TANGGAPAN,
            case,
            route,
            Audience.OPD,
            NOW.replace(year=2027, month=1, day=4),
        )
    assert first.number == "R/100.3.4/1/Dishub/XI/2026"
    assert second.number == "B/100.3.4/2/Dishub/XI/2026"
    assert new_year.number == "B/100.3.4/1/Dishub/I/2027"


def _secrets_in(blob: str) -> list[str]:
    found = [s for s in (NAME, "Siti", "Rahma", EMAIL, "siti.rahma", PHONE) if s in blob]
    digits = "".join(ch for ch in blob if ch.isdigit())
    if "81234567890" in digits:
        found.append("phone digits")
    return found


@pytest.mark.parametrize("confidentiality", ["rahasia", "anonim"])
def test_opd_documents_of_a_confidential_case_carry_no_identity(
    database: Database, tmp_path: Path, confidentiality: str
) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session, confidentiality=confidentiality)
        nota, step4, step6, tanggapan = all_four(svc, session, case, route)
        # an official who knows the complainant names them in the response: scrubbed all the same
        careless = f"Kami sudah menelepon Ibu {NAME} di +62 812 3456 7890 dan menulis ke {EMAIL}."
        named = svc.create(
            session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {"isi_tanggapan": careless}
        )
    for document in (step4, step6, tanggapan, named):
        data = Path(document.docx_path).read_bytes()
        assert _secrets_in(docx_xml(data)) == [], document.kind  # every XML part, metadata included
        assert _secrets_in(docx_text(data)) == []
    internal = docx_text(Path(nota.docx_path).read_bytes())
    if confidentiality == "rahasia":
        assert NAME in internal and EMAIL in internal  # Diskominfo itself may see who it is
    assert (
        "Kami sudah menelepon Ibu [dirahasiakan] di [dirahasiakan] dan menulis ke [dirahasiakan]."
        in docx_text(Path(named.docx_path).read_bytes())
    )


def test_a_configured_logo_is_placed_in_the_kop(database: Database, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 240), (200, 30, 30)).save(logo)
    svc = service(tmp_path)
    head = svc.directory.diskominfo.letterhead.model_copy(update={"logo": logo})
    svc.directory = svc.directory.model_copy(
        update={"diskominfo": svc.directory.diskominfo.model_copy(update={"letterhead": head})}
    )
    with database.transaction() as session:
        case, _ = make_case(session)
        nota = svc.create(session, DocumentKind.NOTA_DINAS, case, None, Audience.INTERNAL, NOW)
    with zipfile.ZipFile(nota.docx_path) as package:
        media = [package.read(n) for n in package.namelist() if n.startswith("word/media/")]
    assert logo.read_bytes() in media and len(media) == 2


def test_no_qr_when_disabled(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path, qr_code=False)
    with database.transaction() as session:
        case, _ = make_case(session)
        nota = svc.create(session, DocumentKind.NOTA_DINAS, case, None, Audience.INTERNAL, NOW)
    with zipfile.ZipFile(nota.docx_path) as package:
        assert not [n for n in package.namelist() if n.startswith("word/media/")]
    assert nota.doc_uid in docx_text(Path(nota.docx_path).read_bytes())  # the id is still printed


def test_unknown_kinds_and_extras_are_refused(database: Database, tmp_path: Path) -> None:
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session)
        with pytest.raises(ValueError, match="not a letter"):
            svc.create(session, DocumentKind.REPORT, case, None, Audience.INTERNAL, NOW)
        with pytest.raises(ValueError, match="unknown extra key"):
            svc.create(session, DocumentKind.SURAT_TANGGAPAN, case, route, Audience.OPD, NOW, {"teks": "x"})


def test_the_extras_the_engine_passes_are_understood(database: Database, tmp_path: Path) -> None:
    """The conversation engine names OPDs and divisions by name and the instruction `catatan`."""
    svc = service(tmp_path)
    with database.transaction() as session:
        case, route = make_case(session)
        nota = svc.create(
            session,
            DocumentKind.NOTA_DINAS,
            case,
            None,
            Audience.INTERNAL,
            NOW,
            {"opd_usulan": ["Dinas Perhubungan"]},
        )
        step4 = svc.create(
            session, DocumentKind.LEMBAR_DISPOSISI, case, None, Audience.OPD, NOW,
            {"diteruskan_kepada": ["Dinas Perhubungan", "Dinas Lingkungan Hidup"], "sifat": "Segera"},
        )  # fmt: skip
        step6 = svc.create(
            session, DocumentKind.LEMBAR_DISPOSISI, case, route, Audience.OPD, NOW,
            {"diteruskan_kepada": ["Bidang Penerangan Jalan Umum"], "catatan": "Cek lokasi hari ini.", "sifat": "Segera"},
        )  # fmt: skip
    assert "Usulan OPD\t:\tDinas Perhubungan" in docx_text(Path(nota.docx_path).read_bytes())
    text4 = docx_text(Path(step4.docx_path).read_bytes())
    assert "1. Kepala Dinas Perhubungan\n2. Kepala Dinas Lingkungan Hidup" in text4
    text6 = docx_text(Path(step6.docx_path).read_bytes())
    assert "Kepala Bidang Penerangan Jalan Umum" in text6 and "Cek lokasi hari ini." in text6
