"""Web-form mails (issue 14, point 1, the domain side): the complainant comes from the form, then
Reply-To, then From, never the robot; such a mail is a complaint no ignore rule may swallow."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.adapters.mailstore import ContentStore
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.config.rules_file import load_rules
from mailflow.domain.complaint import (
    extract_complainant,
    form_block,
    is_robot_sender,
    looks_like_complaint,
    organisation,
)
from mailflow.domain.inbound import InboundMail
from mailflow.domain.rules import LOOKS_LIKE_COMPLAINT, Action, MailFacts, evaluate
from mailflow.resources import bundled
from tests.ingest.builders import complaint, sample
from tests.intake import mails

OPDS = ["DPUPR", "DISHUB", "DLH", "DINKES", "PDAM"]


def parse(raw: bytes) -> InboundMail:
    return parse_message(raw, store=None, limits=ParseLimits())


def decide(raw: bytes, *, automated: bool = False, folder: Path | None = None):
    rules = load_rules(folder or bundled("inbox_rules"), known_opds=OPDS)
    return evaluate(rules, MailFacts.of(parse(raw), "diskominfo", automated=automated))


@pytest.mark.parametrize("html_only", [False, True])
def test_the_city_form_gives_the_citizen_not_the_website(html_only: bool) -> None:
    who = extract_complainant(parse(mails.city_form(html_only=html_only)))
    assert (who.name, who.email, who.phone) == ("Budi Santoso", "budi.santoso88@gmail.com", "081255443321")
    assert who.address == "Jl. Cipto Mangunkusumo RT 08, Gunung Elai"
    assert who.source == "form"


def test_without_a_name_field_the_reply_to_name_is_used_and_never_the_robots() -> None:
    wordpress = extract_complainant(parse(mails.wordpress_form()))
    assert (wordpress.name, wordpress.email) == ("Sarah Miller", "sarah.m@outlook.com")
    nameless = extract_complainant(parse(mails.city_form(reply_name="", name_field=False)))
    assert nameless.email == "budi.santoso88@gmail.com"
    assert nameless.name is None  # not "Website Pemerintah Kota Bontang"


def test_a_sites_own_labels_from_fields() -> None:
    mail = parse(mails.own_labels_form())
    fields = (("Nama Warga", "name"), ("Nomor WA", "phone"), ("Alamat Tinggal", "address"))
    who = extract_complainant(mail, fields=fields)
    assert (who.name, who.phone, who.address) == ("Siti Aminah", "081344556677", "Gang Mawar 3, Api-Api")
    assert who.email == "layanan.api-api@bontangkota.go.id"  # no email field: the sender answers
    assert looks_like_complaint(mail) is None  # unknown labels: not a form block...
    assert looks_like_complaint(mail, fields=fields) == "form block: name, phone, address"  # ...now it is


def test_anonymous_form_keeps_only_the_address_to_answer() -> None:
    who = extract_complainant(parse(mails.city_form(message="Saya melapor secara anonim.")))
    assert (who.name, who.phone, who.address, who.confidentiality) == (None, None, None, "anonim")
    assert who.email == "budi.santoso88@gmail.com"


def test_direct_mail_is_unchanged() -> None:
    siti = extract_complainant(parse(sample("gmail_alternative.eml")))
    assert siti.source == "headers" and siti.name and siti.email
    hendra = extract_complainant(parse(mails.person_with_other_reply_to()))
    assert (hendra.name, hendra.email) == ("Hendra Wijaya", "hendra.wijaya@yahoo.co.id")


@pytest.mark.parametrize(
    ("raw", "signal"),
    [
        (mails.city_form(), "sent by noreply@bontangkota.go.id for budi.santoso88@gmail.com (Reply-To)"),
        (
            mails.wordpress_form(),
            "sent by wordpress@diskominfo.bontangkota.go.id for sarah.m@outlook.com (Reply-To)",
        ),
        (mails.own_labels_form(), None),
        (mails.newsletter_with_reply_to(), None),  # list mail to its own support desk
        (mails.robot_notification(), None),  # Reply-To inside the same organisation
        (mails.person_with_other_reply_to(), None),  # a person, not a robot
        (complaint(1), None),
    ],
)
def test_looks_like_complaint(raw: bytes, signal: str | None) -> None:
    assert looks_like_complaint(parse(raw)) == signal


def test_form_blocks_need_a_name_or_email_with_another_attribute_close_by() -> None:
    assert form_block("Nama: Budi\nNo. HP: 0812 1111 2222\n") == ("name", "phone")
    assert form_block("Name: Sarah\nE-mail: s@x.id\n") == ("name", "email")
    assert form_block("Alamat: Jl. Awang Long\nTelp: (0548) 21234\n") is None  # an office footer
    assert form_block("Nama: Budi\n" + "isi\n" * 20 + "Alamat: jauh di bawah\n") is None
    assert form_block("Alamat email: a@b.id\nNama lengkap: Andi\n") == ("email", "name")


def test_robot_senders_and_organisations() -> None:
    assert is_robot_sender("no-reply@bontangkota.go.id") and is_robot_sender("noreply@x.com")
    assert is_robot_sender("wordpress@diskominfo.bontangkota.go.id")
    assert not is_robot_sender("budi@gmail.com") and not is_robot_sender(None)
    assert organisation("x@reply.github.com") == organisation("y@github.com") == "github.com"
    assert organisation("a@diskominfo.bontangkota.go.id") == "bontangkota.go.id"
    assert organisation("b@yahoo.co.id") == "yahoo.co.id"


def test_ignore_rules_may_not_swallow_a_form_mail() -> None:
    """Before issue 14 the shipped `notifikasi-layanan` rule ignored the city's own form."""
    decision = decide(mails.city_form())
    assert (decision.action, decision.rule) == (Action.COMPLAINT, "aduan-warga")
    assert decision.not_ignored == ("notifikasi-layanan",)
    assert decision.complaint_signal and "Reply-To" in decision.complaint_signal
    spared = next(t for t in decision.trace if t.rule == "notifikasi-layanan")
    assert not spared.matched and spared.reasons[-1].startswith("not ignored:")
    assert decision.settings.opds == ("DPUPR",)  # and it is classified like any complaint


def test_a_machine_sent_form_mail_is_still_taken_by_the_citizens_rule() -> None:
    decision = decide(mails.city_form(auto_submitted=True), automated=True)
    assert (decision.action, decision.rule) == (Action.COMPLAINT, "aduan-warga")


def test_machine_mail_that_is_no_form_is_still_ignored() -> None:
    assert decide(mails.newsletter_with_reply_to(), automated=True).action is Action.IGNORE
    notification = decide(mails.robot_notification(), automated=True)
    assert (notification.action, notification.rule) == (Action.IGNORE, "notifikasi-layanan")


def test_a_form_mail_no_rule_takes_becomes_a_complaint(tmp_path: Path) -> None:
    (tmp_path / "10-abaikan.yaml").write_text(
        "rules:\n  - name: semua-robot\n    automated: true\n    match: {from: {regex: '^noreply@'}}\n"
        "    action: ignore\n",
        encoding="utf-8",
    )
    decision = decide(mails.city_form(), folder=tmp_path)
    assert (decision.action, decision.rule) == (Action.COMPLAINT, LOOKS_LIKE_COMPLAINT)
    assert decision.why == (f"looks like a complaint: {decision.complaint_signal}",)


def test_rule_files_declare_a_sites_form_fields(tmp_path: Path) -> None:
    (tmp_path / "10-formulir.yaml").write_text(
        "rules:\n"
        "  - name: formulir-kelurahan\n"
        "    match: {from: layanan.}\n"
        "    complaint: {channel: web, fields: {Nama Warga: name, Nomor WA: phone, Alamat Tinggal: address}}\n"
        "    continue: true\n"
        "  - name: abaikan-kelurahan\n"
        "    match: {from: layanan.}\n"
        "    action: ignore\n",
        encoding="utf-8",
    )
    decision = decide(mails.own_labels_form(), folder=tmp_path)
    assert (decision.action, decision.rule) == (Action.COMPLAINT, LOOKS_LIKE_COMPLAINT)
    assert decision.settings.channel == "web"
    fields = decision.settings.fields
    assert dict(fields) == {"Nama Warga": "name", "Nomor WA": "phone", "Alamat Tinggal": "address"}
    who = extract_complainant(parse(mails.own_labels_form()), fields=fields)
    assert who.name == "Siti Aminah"


def test_a_reply_to_whose_display_name_hides_an_address_is_read_from_the_raw_header(tmp_path) -> None:
    """Issue 11 point 2 for the web-form path: the citizen's address comes from Reply-To as the
    parser read it before decoding the name; a name hiding another address is not used."""
    raw = (
        b"From: Website Pemerintah Kota Bontang <no-reply@bontangkota.go.id>\r\n"
        b"Reply-To: =?utf-8?q?Ir=2E_Budi_=3Cbudi=2Esantoso=40dpupr=2Ebontangkota=2Ego=2Eid=3E?= <orang.lain@gmail.com>\r\n"
        b"To: lapor@diskominfo.bontangkota.go.id\r\nSubject: Aduan dari formulir\r\n"
        b"Message-ID: <f1@bontangkota.go.id>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Isi aduan: jalan rusak di Jl. Cipto.\r\n"
    )
    mail = parse_message(raw, store=ContentStore(tmp_path), limits=ParseLimits())
    assert mail.reply_to == ("orang.lain@gmail.com",) and mail.reply_to_name is None
    who = extract_complainant(mail)
    assert who.email == "orang.lain@gmail.com"
    assert who.name is None or "budi" not in who.name.lower()
