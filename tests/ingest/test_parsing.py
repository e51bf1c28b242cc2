"""Parsing, noise detection and complaint extraction on literal messages (no servers)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from mailflow.adapters.mail_templates import MailTemplates
from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.domain.backoff import backoff_delay
from mailflow.domain.complaint import detect_confidentiality, extract_complainant, summarise
from mailflow.domain.noise import NoiseKind, detect_noise
from mailflow.resources import bundled
from tests.ingest.builders import auto_reply, bounce_of, complaint, sample

OWN = ("lapor@diskominfo.bontangkota.go.id",)
DOMAINS = ("diskominfo.bontangkota.go.id",)


def parse(raw: bytes, store: ContentStore | None = None, **limits: int):
    return parse_message(raw, store=store, limits=ParseLimits(**limits))


def test_headers_and_bodies_survive_broken_encodings() -> None:
    mail = parse(sample("malformed_mime.eml"))
    assert mail.message_id == "<broken-mime-1@mail.example.id>"
    assert "Puskesmas Bontang Selatan" in mail.text
    assert mail.date is None and "NoBoundaryInMultipartDefect" in mail.defects
    raw8 = parse(sample("raw8bit_badbase64.eml"))
    assert raw8.subject == "Jalan rusak \u00e9 parah" and raw8.text.startswith("Jalan rusak parah")
    unknown = parse(complaint(1).replace(b'charset="utf-8"', b'charset="x-klingon"'))
    assert "Jalan di RT 001" in unknown.text


def test_attachments_stream_to_generated_names_and_stop_at_the_limit(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "att")
    mail = parse(sample("attachments_pdf_zip.eml"), store)
    pdf, archive = mail.attachments
    assert pdf.original_name == "../../etc/bukti kuitansi.pdf"
    assert Path(pdf.stored_path or "").name == f"{pdf.sha256}.pdf"
    assert Path(archive.stored_path or "").suffix == ".zip"
    payload = os.urandom(300_000)
    raw = (
        b"From: a@b.id\r\nTo: lapor@x.id\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nisi\r\n'
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="x.bin"\r\n\r\n'
        + base64.encodebytes(payload)
        + b"--b--\r\n"
    )
    [kept] = parse(raw, store).attachments
    assert Path(kept.stored_path or "").read_bytes() == payload
    [refused] = parse(raw, store, max_attachment_bytes=100_000).attachments
    assert refused.stored_path is None and refused.refused_reason == "too_large"
    assert not [p for p in (tmp_path / "att").iterdir() if p.name.endswith(".tmp")]


def test_an_oversized_message_keeps_only_its_header() -> None:
    mail = parse(complaint(1), max_message_bytes=200)
    assert mail.truncated and mail.text == "" and mail.subject.startswith("Jalan berlubang")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (auto_reply(1, "rfc3834"), NoiseKind.AUTO_REPLY),
        (auto_reply(2, "precedence"), NoiseKind.AUTO_REPLY),
        (auto_reply(3, "x-autoreply"), NoiseKind.AUTO_REPLY),
        (auto_reply(4, "empty-return-path"), NoiseKind.AUTO_REPLY),
        (sample("vacation_autoreply.eml"), NoiseKind.AUTO_REPLY),
        (sample("dsn_bounce.eml"), NoiseKind.BOUNCE),
        (sample("newsletter.eml"), NoiseKind.AUTOMATED),
        (sample("lapor_portal.eml"), NoiseKind.AUTOMATED),
    ],
)
def test_noise_is_judged_from_headers(raw: bytes, kind: NoiseKind) -> None:
    noise = detect_noise(parse(raw), own_addresses=OWN, own_domains=DOMAINS)
    assert noise is not None and noise.kind is kind


def test_people_are_not_noise_even_when_they_write_balasan_otomatis() -> None:
    raw = complaint(1, subject="Balasan otomatis dari sistem antrean tidak berfungsi")
    assert detect_noise(parse(raw), own_addresses=OWN, own_domains=DOMAINS) is None
    own = complaint(2, sender="lapor@diskominfo.bontangkota.go.id")
    noise = detect_noise(parse(own), own_addresses=OWN, own_domains=DOMAINS)
    assert noise is not None and noise.kind is NoiseKind.OWN


def test_a_bounce_names_the_message_we_sent() -> None:
    noise = detect_noise(parse(bounce_of("<abc.123@diskominfo.bontangkota.go.id>")), own_domains=DOMAINS)
    assert noise is not None and noise.bounced_message_ids == ("<abc.123@diskominfo.bontangkota.go.id>",)


def test_complainant_identity_and_confidentiality() -> None:
    siti = extract_complainant(parse(sample("gmail_alternative.eml")))
    assert (siti.name, siti.email, siti.phone, siti.confidentiality) == (
        "Siti Rahma", "siti.rahma@gmail.com", "081255443321", "biasa",
    )  # fmt: skip
    rina = extract_complainant(parse(sample("iphone_inline_photo.eml")))
    assert rina.phone == "082150127788"
    anonymous = extract_complainant(parse(complaint(5, body="Saya melapor secara anonim. HP 081234567890")))
    assert (anonymous.confidentiality, anonymous.name, anonymous.phone) == ("anonim", None, None)
    assert anonymous.email == "warga5@gmail.com"
    assert detect_confidentiality("[RAHASIA] pungli", "")[0] == "rahasia"
    assert detect_confidentiality("pungli", "isi", "anonim") == ("anonim", "rule")


def test_summary_skips_greetings_and_quotes() -> None:
    text = "Selamat pagi,\n\nLampu jalan mati sejak 3 malam.\nMohon diperbaiki.\n\n> kutipan lama\n"
    assert summarise("Lampu", text) == "Lampu jalan mati sejak 3 malam. Mohon diperbaiki."


def test_backoff_grows_and_stays_jittered_within_its_cap() -> None:
    assert backoff_delay(0, base=1, cap=300, draw=0.0) == 0.5
    assert backoff_delay(3, base=1, cap=300, draw=0.999) < 8
    assert backoff_delay(30, base=1, cap=300, draw=0.0) == 150.0


def test_mail_templates_prefer_the_admins_copy_and_escape_html(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "ack.id.txt.j2").write_text("Nomor {{ case_number }} (salinan admin)\n")
    templates = MailTemplates([tmp_path, bundled("templates")])
    context = {
        "instance_name": "LAPOR <Bontang>", "office": "Diskominfo", "case_number": "LPR-2026-00042",
        "complainant_name": "Siti & <b>Rahma</b>", "subject": "Lampu", "received": "Senin",
        "promised": "4 hari", "promised_due": "Jumat", "special": False, "special_limit": "14 hari",
        "confidentiality": "biasa", "anonymous": False,
    }  # fmt: skip
    text, html = templates.render_mail("ack", "id", context)
    assert text == "Nomor LPR-2026-00042 (salinan admin)\n"
    assert html is not None and "Siti &amp; &lt;b&gt;Rahma&lt;/b&gt;" in html
    english, _ = MailTemplates([bundled("templates")]).render_mail("ack", "en", context)
    assert english.startswith("Dear Siti & <b>Rahma</b>,")
