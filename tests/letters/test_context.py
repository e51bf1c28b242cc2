"""The pure letter contexts: fields, redaction, extras, the template comparison."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.letter_fields import (
    CHECKED,
    FIELDS,
    LETTER_KINDS,
    UNCHECKED,
    compare_fields,
    numbered,
)
from mailflow.domain.letter_samples import SAMPLE_CASE, SAMPLE_EXTRA, SAMPLE_ROUTE, SAMPLE_TIMES
from mailflow.domain.letters import Issue, PriorLetter, build_context, plan_letter, strictest
from tests.letters.helpers import directory

ZONE = ZoneInfo("Asia/Makassar")
DIRECTORY = directory()


def context(kind, *, case=SAMPLE_CASE, audience=Audience.OPD, extra=None, route=SAMPLE_ROUTE, prior=None):  # type: ignore[no-untyped-def]
    route = None if kind is DocumentKind.NOTA_DINAS else route
    extra = dict(SAMPLE_EXTRA[kind] if extra is None else extra)
    plan = plan_letter(kind, route, DIRECTORY, extra)
    issue = Issue(
        number="N/0042/X/2026",
        doc_id="MF-0000-0001-0",
        now=SAMPLE_TIMES[kind],
        zone=ZONE,
        place="Bontang",
        prior=prior,
    )
    return build_context(
        plan, case, route=route, directory=DIRECTORY, audience=audience, issue=issue, extra=extra
    )


@pytest.mark.parametrize("kind", LETTER_KINDS)
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("confidentiality", ["biasa", "rahasia", "anonim"])
def test_every_context_has_exactly_its_fields(kind, audience, confidentiality) -> None:
    values = context(kind, case=replace(SAMPLE_CASE, confidentiality=confidentiality), audience=audience)
    assert set(values) == FIELDS[kind]
    assert all(isinstance(v, str) for v in values.values())


def test_rahasia_identity_never_reaches_an_opd_context() -> None:
    case = replace(SAMPLE_CASE, confidentiality="rahasia")
    for kind in (DocumentKind.LEMBAR_DISPOSISI, DocumentKind.SURAT_TANGGAPAN):
        for audience in (Audience.OPD, Audience.PUBLIC):
            blob = "\n".join(context(kind, case=case, audience=audience).values())
            for secret in (
                "Siti",
                "Rahma",
                "siti.rahma@gmail.com",
                "0812-3456-7890",
                "3456",
                "Ahmad Yani RT 05",
            ):
                assert secret not in blob, (kind, audience, secret)
    tanggapan = context(DocumentKind.SURAT_TANGGAPAN, case=case)
    assert tanggapan["pelapor"] == "pelapor dengan identitas dirahasiakan"


def test_the_identity_stays_visible_inside_diskominfo() -> None:
    rahasia = context(
        DocumentKind.NOTA_DINAS,
        case=replace(SAMPLE_CASE, confidentiality="rahasia"),
        audience=Audience.INTERNAL,
    )
    assert rahasia["pelapor"].startswith("Siti Rahma (RAHASIA")
    assert rahasia["kontak_pelapor"] == "siti.rahma@gmail.com, 0812-3456-7890"
    assert "Siti Rahma" in rahasia["isi_aduan"]
    biasa = context(DocumentKind.SURAT_TANGGAPAN, audience=Audience.OPD)
    assert biasa["pelapor"] == "Siti Rahma"  # not confidential: the OPD may know who complained


def test_an_anonymous_complainant_has_no_identity_anywhere() -> None:
    case = replace(SAMPLE_CASE, confidentiality="anonim")
    values = context(DocumentKind.NOTA_DINAS, case=case, audience=Audience.INTERNAL)
    assert values["pelapor"].startswith("pelapor anonim") and values["kontak_pelapor"] == "-"
    opd = "\n".join(context(DocumentKind.SURAT_TANGGAPAN, case=case).values())
    assert "Siti" not in opd and "3456" not in opd


def test_redaction_leaves_the_problem_itself_alone() -> None:
    case = replace(SAMPLE_CASE, confidentiality="rahasia")
    values = context(DocumentKind.LEMBAR_DISPOSISI, case=case)
    assert values["ringkasan"] == SAMPLE_CASE.summary.rstrip(".")  # quoted mid-sentence: no full stop
    assert "Jl. Ahmad Yani" in values["perihal"]


def test_strictest_confidentiality_wins() -> None:
    assert strictest("biasa", "rahasia") == "rahasia"
    assert strictest("rahasia", "anonim") == "anonim"
    assert strictest(None, "unknown") == "biasa"


def test_disposition_boxes_and_recipients() -> None:
    values = context(
        DocumentKind.LEMBAR_DISPOSISI,
        extra={
            "level": "case",
            "sifat": "sangat segera",
            "harap": ["koordinasi"],
            "diteruskan_kepada": ["DISHUB", "DLH"],
        },
    )
    assert values["kotak_sangat_segera"] == CHECKED and values["kotak_segera"] == UNCHECKED
    assert values["harap_koordinasi"] == CHECKED and values["harap_tanggapan"] == UNCHECKED
    assert values["diteruskan_kepada"] == "1. Kepala Dinas Perhubungan\n2. Kepala Dinas Lingkungan Hidup"
    assert values["kop_instansi"] == "DINAS KOMUNIKASI DAN INFORMATIKA"  # step 4: Diskominfo's sheet
    step6 = context(DocumentKind.LEMBAR_DISPOSISI, extra={})
    assert step6["diteruskan_kepada"] == "Kepala Bidang Penerangan Jalan Umum"
    assert step6["kop_instansi"] == "DINAS PERHUBUNGAN"
    assert step6["catatan"] == SAMPLE_ROUTE.instruction
    assert step6["harap_tanggapan"] == CHECKED and step6["harap_proses"] == CHECKED


def test_response_letter_cites_the_disposition_and_signs_as_the_head() -> None:
    prior = PriorLetter("0017/Agenda/Diskominfo/2026", date(2026, 11, 30), "Kepala Dinas Kominfo")
    values = context(DocumentKind.SURAT_TANGGAPAN, extra={}, prior=prior)
    assert "Nomor 0017/Agenda/Diskominfo/2026 tanggal 30 November 2026" in values["rujukan"]
    assert values["ttd_nama"] == "Drs. Hendra Gunawan, M.Si."
    assert values["ttd_nip"] == "19720825 199803 1 004"
    assert values["yth"] == "Kepala Dinas Komunikasi dan Informatika Kota Bontang"
    assert values["tembusan"] == "Wali Kota Bontang (sebagai laporan)."
    assert values["isi_tanggapan"] == SAMPLE_ROUTE.response_text


def test_a_bumd_letter_has_no_government_line() -> None:
    route = replace(SAMPLE_ROUTE, opd_code="PDAM", bidang_code="DISTRIBUSI")
    values = context(DocumentKind.SURAT_TANGGAPAN, route=route, extra={})
    assert values["kop_pemerintah"] == ""
    assert values["kop_instansi"] == "PERUMDA AIR MINUM TIRTA TAMAN KOTA BONTANG"
    assert values["ttd_pangkat"] == "" and values["ttd_nip"] == ""


def test_unknown_extra_keys_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown extra key"):
        context(DocumentKind.NOTA_DINAS, extra={"nomor": "x"})
    with pytest.raises(ValueError, match="sifat must be one of"):
        context(DocumentKind.NOTA_DINAS, extra={"sifat": "kilat"})
    with pytest.raises(ValueError, match="harap"):
        context(DocumentKind.LEMBAR_DISPOSISI, extra={"harap": ["semua"]})
    with pytest.raises(TypeError, match="batas_waktu"):
        context(DocumentKind.NOTA_DINAS, extra={"batas_waktu": "besok"})


def test_numbered_lists() -> None:
    assert numbered(["A"]) == "A"
    assert numbered(["A", " ", "B"], last=".", sep=";") == "1. A;\n2. B."
    assert numbered([]) == ""


def test_field_comparison_names_missing_unused_and_required() -> None:
    used = (FIELDS[DocumentKind.SURAT_TANGGAPAN] - {"id_dokumen", "tembusan"}) | {"nama_pelapor", "kode_qr"}
    report = compare_fields(DocumentKind.SURAT_TANGGAPAN, used)
    assert report.missing == ("nama_pelapor",)
    assert report.required_absent == ("id_dokumen",)
    assert report.unused == ("logo", "tembusan")
    assert not report.ok
    assert compare_fields(DocumentKind.SURAT_TANGGAPAN, FIELDS[DocumentKind.SURAT_TANGGAPAN] | {"kode_qr"}).ok
    without_qr = compare_fields(DocumentKind.NOTA_DINAS, FIELDS[DocumentKind.NOTA_DINAS], qr_code=False)
    assert without_qr.ok
