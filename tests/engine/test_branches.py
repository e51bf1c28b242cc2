"""The branches real complaints take (issue 13), on SQLite and PostgreSQL, replies written as people
write them (quoted history included): a misrouted disposition, an answer sent back for revision,
the complainant's replies before and after closing, satisfaction answers and the follow-up
question, and a closed case reopened. Letters are real DOCX files (LibreOffice is not needed for
what is checked here; the signed PDFs over Dovecot are in tests/integration/test_branches_live.py).
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import (
    Case,
    CaseAnswer,
    CaseRoute,
    ComplainantReply,
    Document,
    Message,
    OutboxMail,
    QuarantineItem,
)
from mailflow.adapters.docx_text import docx_text
from mailflow.config.directory_file import load_directory
from mailflow.config.loader import load_config
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.inbound import AttachmentInfo, InboundMail
from mailflow.domain.statuses import CaseStatus, RouteStatus
from mailflow.services.letters.service import LetterService
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)  # Monday
IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
ADMIN = "admin.lapor@bontangkota.go.id"
ADMIN2 = "admin2.lapor@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"
SEK_DPUPR = "sekretaris.dpupr@bontangkota.go.id"
KADIS_DPUPR = "kadis.dpupr@bontangkota.go.id"
KABID_BM = "binamarga.dpupr@bontangkota.go.id"
SITI = "siti.rahma@gmail.com"


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    harness = make_harness(database, tmp_path, START)
    settings = load_config(harness.base / "mailflow.toml", env={})
    harness.use_letters(LetterService(settings, load_directory(settings.paths.directory)))
    return harness


def only(mails: list[OutboxMail], to: str) -> OutboxMail:
    matching = [m for m in mails if m.to_addr == to]
    assert len(matching) == 1, [(m.to_addr, m.kind) for m in mails]
    return matching[0]


def route(h: Harness, number: str, opd: str) -> CaseRoute:
    with h.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        row = session.execute(
            select(CaseRoute).where(CaseRoute.case_id == case.id, CaseRoute.opd_code == opd)
        ).scalar_one()
        session.expunge(row)
        return row


def sign(h: Harness, number: str, opd: str, *, advance: timedelta = timedelta(hours=1)) -> None:
    """The head signs the newest response letter of the route (the signed-PDF checks themselves
    are the returned-letter service's, tested with real PDFs elsewhere)."""
    h.clock.advance(advance)
    with h.database.transaction() as session:
        row = route(h, number, opd)
        letter = (
            session.execute(
                select(Document)
                .where(Document.route_id == row.id, Document.kind == "surat_tanggapan")
                .order_by(Document.id.desc())
            )
            .scalars()
            .first()
        )
        assert letter is not None
        result = h.engine.letter_signed(session, letter, "Kepala", h.now, by=KADIS_DISHUB)
        assert type(result).__name__ == "Transition", result


def to_step_8(h: Harness, number: str, opd: str = "DISHUB") -> None:
    sek, head, kabid, bidang = (
        (SEK_DISHUB, KADIS_DISHUB, KABID_PJU, "PJU")
        if opd == "DISHUB"
        else (SEK_DPUPR, KADIS_DPUPR, KABID_BM, "BM")
    )
    h.reply(latest(h, sek, "action.5"), "Terima.\n\nSalam")
    h.reply(latest(h, head, "action.6"), f"DISPOSISI {bidang}: mohon segera ditangani")
    h.reply(
        latest(h, kabid, "action.7"),
        "TANGGAPAN\nLampu sudah diganti pada 1 Desember 2026.",
        advance=timedelta(hours=2),
    )
    latest(h, head, "action.8")


def latest(h: Harness, to: str, kind: str) -> OutboxMail:
    """The newest mail of `kind` to `to` (whether or not a test looked at it already)."""
    found = [m for m in h.mails(to=to, new=False) if m.kind == kind]
    assert found, (to, kind)
    return found[-1]


def to_step_10(h: Harness) -> str:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    to_step_8(h, number)
    sign(h, number, "DISHUB")
    assert only(h.mails(), IKP).kind == "action.10"
    return number


def closed_case(h: Harness) -> str:
    number = to_step_10(h)
    h.sent_seen.update(m.id for m in h.mails())
    h.reply(latest(h, IKP, "action.10"), "SETUJU")
    h.reply(latest(h, ADMIN, "action.11"), "KIRIM\nTerima kasih, lampu sudah menyala kembali.")
    assert h.case(number).status == CaseStatus.CLOSED
    h.sent_seen.difference_update(m.id for m in h.mails(to=SITI, new=False) if m.kind == "complainant_answer")
    return number


# --- 1. misrouted disposition ----------------------------------------------------------------------


def test_misrouted_disposition_goes_back_to_the_head_and_is_rerouted(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    to_sek = only(h.mails(), SEK_DISHUB)
    assert "BUKAN KEWENANGAN" in to_sek.text_body
    outcome = h.reply(
        to_sek, "Tolak: jalan kabupaten ini kewenangan DPUPR, bukan Dishub.", advance=timedelta(minutes=20)
    )
    assert outcome.status == "applied"
    declined = route(h, number, "DISHUB")
    assert declined.status == RouteStatus.RETURNED and "kewenangan DPUPR" in (declined.note or "")
    again = only(h.mails(), KADIS)
    assert again.kind == "action.4"
    assert "DISHUB (Dinas Perhubungan) menyatakan bukan kewenangannya" in again.text_body
    assert "kewenangan DPUPR" in again.text_body
    events = [e for e in h.events(number) if e.step == 4]
    assert [e.attempt for e in events] == [1, 2]
    assert events[1].due_at - events[1].started_at == timedelta(minutes=60)  # within office hours
    five = next(e for e in h.events(number) if e.step == 5)
    assert five.command == "BUKAN KEWENANGAN" and five.finished_at is not None
    # SETUJU would send it back to the OPD that declined: refused with the reason
    refused = h.reply(again, "SETUJU")
    assert refused.status == "quarantined" and refused.code == "route_returned"
    assert "DISHUB sudah menyatakan" in only(h.mails(), KADIS).text_body
    assert h.reply(again, "TERUSKAN DPUPR").status == "applied"
    to_dpupr = only(h.mails(), SEK_DPUPR)
    assert to_dpupr.kind == "action.5"
    assert route(h, number, "DPUPR").status == RouteStatus.OPEN


def test_a_declined_opd_needs_paksa_and_then_starts_a_new_round(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "TERIMA")
    to_head = only(h.mails(), KADIS_DISHUB)
    assert h.reply(to_head, "NOT OURS - this is a provincial road").status == "applied"
    again = only(h.mails(), KADIS)
    assert h.reply(again, "TERUSKAN DISHUB").code == "route_returned"
    assert h.reply(again, "TERUSKAN DISHUB PAKSA").status == "applied"
    assert route(h, number, "DISHUB").status == RouteStatus.OPEN
    fives = [e.attempt for e in h.events(number) if e.step == 5]
    assert fives == [1, 2]
    assert only(h.mails(), SEK_DISHUB).kind == "action.5"


def test_wrong_actor_and_replayed_token_never_decline(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    to_sek = only(h.mails(), SEK_DISHUB)
    wrong = h.reply(to_sek, "BUKAN KEWENANGAN: bukan urusan kami", sender=KABID_PJU)
    assert wrong.status == "quarantined" and wrong.code == "not_actor"
    assert route(h, number, "DISHUB").status == RouteStatus.OPEN
    assert h.reply(to_sek, "BUKAN KEWENANGAN: bukan urusan kami").status == "applied"
    h.reply(only(h.mails(), KADIS), "TERUSKAN DPUPR")
    replay = h.reply(to_sek, "TOLAK: bukan urusan kami")
    assert replay.status == "quarantined" and replay.code == "already_done"
    assert [e.attempt for e in h.events(number) if e.step == 4] == [1, 2]  # no third round


# --- 2. answer sent back for revision --------------------------------------------------------------


def test_answer_sent_back_is_drafted_again_as_a_revision_and_signed_again(h: Harness) -> None:
    number = to_step_10(h)
    with h.database.reader() as session:
        ten = session.execute(select(OutboxMail).where(OutboxMail.kind == "action.10")).scalars().first()
    assert ten is not None and "KEMBALIKAN" in ten.text_body
    outcome = h.reply(ten, "KEMBALIKAN: mohon cantumkan jadwal perbaikan dan nomor pengaduan.")
    assert outcome.status == "applied"
    to_kabid = only(h.mails(), KABID_PJU)
    assert to_kabid.kind == "action.7"
    assert "dikembalikan untuk diperbaiki (putaran ke-2)" in to_kabid.text_body
    assert "jadwal perbaikan" in to_kabid.text_body
    h.reply(to_kabid, "TANGGAPAN\nLampu sudah diganti pada 1 Desember 2026 pukul 10.00.")
    assert only(h.mails(), KADIS_DISHUB).kind == "action.8"
    with h.database.reader() as session:
        letters = list(
            session.execute(
                select(Document).where(Document.kind == "surat_tanggapan").order_by(Document.id)
            ).scalars()
        )
    assert [d.revision for d in letters] == [0, 1]
    assert letters[0].number == letters[1].number and letters[0].doc_uid != letters[1].doc_uid
    assert "pukul 10.00" in docx_text(Path(str(letters[1].docx_path)))
    with zipfile.ZipFile(str(letters[1].docx_path)) as docx:  # the id is printed in the footer
        footer = "".join(docx.read(n).decode() for n in docx.namelist() if n.startswith("word/footer"))
    assert f"{letters[1].doc_uid} revisi 1" in re.sub(r"<[^>]+>", "", footer)
    sign(h, number, "DISHUB")
    steps = [(e.step, e.attempt) for e in h.events(number)]
    for step in (7, 8, 9, 10):
        assert (step, 2) in steps
    assert only(h.mails(), IKP).kind == "action.10"


def test_return_with_two_opds_names_one(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB, DPUPR")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    to_step_8(h, number, "DISHUB")
    to_step_8(h, number, "DPUPR")
    sign(h, number, "DISHUB")
    sign(h, number, "DPUPR")
    ten = only(h.mails(), IKP)
    assert h.reply(ten, "KEMBALIKAN: kurang lengkap").code == "which_route"
    assert h.reply(ten, "KEMBALIKAN DPUPR: lampirkan foto").status == "applied"
    assert only(h.mails(), KABID_BM).kind == "action.7"
    assert route(h, number, "DISHUB").status == RouteStatus.DONE
    assert route(h, number, "DPUPR").status == RouteStatus.OPEN


# --- 3. the complainant writes back ----------------------------------------------------------------


def complainant_mail(
    h: Harness, number: str, body: str, *, sender: str = SITI, **extra: object
) -> InboundMail:
    with h.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        complainant = h.conversation.records.complainant(session, case)
        assert complainant is not None
        token = h.conversation.mails.complainant_token(case, complainant, h.now)
    quoted = "> Terima kasih, aduan Anda telah kami terima.\n> Nomor aduan: " + number
    return InboundMail(
        message_id=f"<c{token[:8]}{len(body)}@mail.gmail.com>",
        subject=f"Re: [{number}] Aduan Anda telah kami terima",
        from_addr=sender,
        from_name="Siti",
        to=(f"lapor+{token}@diskominfo.bontangkota.go.id",),
        text=f"{body}\n\nPada Sen, 30 Nov 2026 LAPOR Bontang menulis:\n{quoted}\n",
        **extra,  # type: ignore[arg-type]
    )


def test_complainant_reply_before_closing_is_kept_and_the_current_actor_told(h: Harness) -> None:
    number = h.register()
    h.mails()
    photo = AttachmentInfo(position=1, content_type="image/jpeg", size=120_000, original_name="lampu.jpg")
    outcome = h.deliver(
        complainant_mail(h, number, "Ini ada foto tambahan, lampunya di depan masjid.", attachments=(photo,))
    )
    assert outcome.status == "applied"
    told = only(h.mails(), IKP)
    assert (
        told.kind == "complainant.added"
        and "depan masjid" in told.text_body
        and "lampu.jpg" in told.text_body
    )
    with h.database.reader() as session:
        reply = session.execute(select(ComplainantReply)).scalar_one()
    assert not reply.after_close and reply.attachments == 1 and "depan masjid" in reply.text


def test_rahasia_complainant_reply_reaches_the_opd_without_identity(h: Harness) -> None:
    number = h.register(
        name="Budi Santoso", email="budi.s@gmail.com", phone="0813-1111-2222", confidentiality="rahasia"
    )
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.mails()
    body = "Saya Budi Santoso (0813-1111-2222), lampunya masih mati."
    assert h.deliver(complainant_mail(h, number, body, sender="budi.s@gmail.com")).status == "applied"
    told = only(h.mails(), SEK_DISHUB)
    for secret in ("Budi", "Santoso", "0813-1111-2222", "budi.s@gmail.com"):
        assert secret not in told.text_body and secret not in (told.html_body or "")
    assert "lampunya masih mati" in told.text_body


def test_complainant_asks_status_and_is_told_the_stage_without_troubling_anyone(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.mails()
    outcome = h.deliver(complainant_mail(h, number, "STATUS\n\nDikirim dari iPhone saya"))
    assert outcome.status == "answered" and outcome.code == "complainant.status"
    mails = h.mails()
    status = only(mails, SITI)  # the officials get nothing
    assert len(mails) == 1 and status.kind == "complainant.status"
    assert number in status.subject and "Perkembangan aduan Anda" in status.subject
    text = " ".join(status.text_body.split())
    assert f"Aduan Anda nomor {number}" in text and "sedang ditindaklanjuti" in text
    assert h.conversation.mails.sop.step(5).name.get("id") in text and "Dinas Perhubungan" in text
    for official in ("sekretaris.dishub", "kadis", "Kepala Dinas Perhubungan Kota"):
        assert official not in status.text_body  # the stage and the office, never an official
    assert status.reply_to and status.reply_to.startswith("lapor+")  # answerable again
    with h.database.reader() as session:
        assert session.execute(select(ComplainantReply)).first() is None  # not a reply to forward
    # asked again later ("Status?"): answered again; the same mail handled twice (a retry after a
    # crash) is answered once
    inbound = complainant_mail(h, number, "Status?")
    assert h.deliver(inbound).status == "answered" and only(h.mails(), SITI).kind == "complainant.status"
    with h.database.transaction() as session:
        row = session.execute(select(Message).where(Message.message_id == inbound.message_id)).scalar_one()
        assert h.replies.handle(session, row, inbound, h.now).status == "answered"
    assert h.mails() == []


def test_complainant_status_after_closing_says_it_was_answered(h: Harness) -> None:
    number = closed_case(h)
    h.mails()
    assert h.deliver(complainant_mail(h, number, "status")).status == "answered"
    status = only(h.mails(), SITI)
    text = " ".join(status.text_body.split())
    assert f"Aduan Anda nomor {number}" in text and "sudah selesai ditangani" in text
    assert h.case(number).status == CaseStatus.CLOSED  # asking reopens nothing


def test_someone_else_using_the_complainants_token_is_refused(h: Harness) -> None:
    number = h.register()
    h.mails()
    outcome = h.deliver(complainant_mail(h, number, "Saya juga mau lapor", sender="orang.lain@yahoo.com"))
    assert outcome.status == "quarantined" and outcome.code == "not_actor"
    with h.database.reader() as session:
        assert session.execute(select(ComplainantReply)).first() is None


def test_satisfaction_answers_once_per_case_the_last_counts(h: Harness) -> None:
    closed_case(h)
    answer = only(h.mails(), SITI)
    assert answer.kind == "complainant_answer" and answer.reply_to and answer.reply_to.startswith("lapor+")
    assert (
        "PUAS" in answer.text_body
        and "TIDAK PUAS" in answer.text_body
        and "mailto:lapor+" in answer.text_body
    )
    assert h.reply(answer, "Puas, terima kasih banyak").status == "applied"
    assert "(PUAS) telah kami catat" in only(h.mails(), SITI).text_body
    assert h.reply(answer, "PUAS").status == "applied"
    assert "sudah tercatat sebelumnya" in only(h.mails(), SITI).text_body
    assert h.reply(answer, "Tidak puas, lampu di ujung gang masih mati.").status == "applied"
    mails = h.mails()
    assert "sebelumnya (PUAS) kami ganti" in only(mails, SITI).text_body
    forward = only(mails, ADMIN)
    assert forward.kind == "complainant.forward" and "ujung gang masih mati" in forward.text_body
    assert "BUKA KEMBALI" in forward.text_body and only(mails, IKP).kind == "complainant.forward"
    with h.database.reader() as session:
        rows = list(session.execute(select(CaseAnswer)).scalars())
    assert [(r.question, r.verb, r.positive, r.changes) for r in rows] == [
        ("satisfaction", "TIDAK PUAS", False, 2)
    ]


def test_reply_after_closing_is_forwarded_and_the_admin_answers_with_kirim(h: Harness) -> None:
    number = closed_case(h)
    answer = only(h.mails(), SITI)
    assert h.reply(answer, "Terima kasih, tapi tiangnya miring.").status == "applied"
    mails = h.mails()
    forward = only(mails, ADMIN)
    assert {m.to_addr for m in mails} == {ADMIN, ADMIN2, IKP}
    assert "tiangnya miring" in forward.text_body and "Lampu jalan mati" in forward.text_body
    # a stranger to the after-close role cannot use the admin's token
    assert h.reply(forward, "KIRIM\nhalo", sender=KADIS_DISHUB).code == "not_actor"
    assert h.reply(forward, "KIRIM\nTiang akan kami laporkan ke DPUPR.").status == "applied"
    message = only(h.mails(), SITI)
    assert message.kind == "complainant.message" and "Tiang akan kami laporkan" in message.text_body
    assert message.reply_to and message.reply_to.startswith("lapor+")
    assert h.case(number).status == CaseStatus.CLOSED


def test_buka_kembali_reopens_the_case_as_a_new_round(h: Harness) -> None:
    number = closed_case(h)
    answer = only(h.mails(), SITI)
    h.reply(answer, "Tidak puas: lampunya mati lagi sejak kemarin.")
    forward = only(h.mails(), ADMIN)
    assert h.reply(forward, "BUKA KEMBALI: lampu mati lagi, perlu dicek ulang").status == "applied"
    case = h.case(number)
    assert case.status == CaseStatus.OPEN and case.round == 2 and case.closed_at is None
    to_ikp = [m for m in h.mails() if m.to_addr == IKP and m.kind == "action.2"]
    assert len(to_ikp) == 1 and "putaran tindak lanjut ke-2" in to_ikp[0].text_body
    assert [e.attempt for e in h.events(number) if e.step == 2] == [1, 2]
    # the same forward again is a replay: the case is open (and in a new round)
    replay = h.reply(forward, "BUKA KEMBALI: lagi")
    assert replay.status == "quarantined" and replay.code == "already_done"
    # the second round goes through the same OPD again as new rounds, and closes again
    h.reply(to_ikp[0], "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    assert [e.attempt for e in h.events(number) if e.step == 5] == [1, 2]
    to_step_8(h, number)
    sign(h, number, "DISHUB")
    h.reply(only(h.mails(), IKP), "SETUJU")
    h.reply(only(h.mails(), ADMIN), "KIRIM\nLampu sudah diperbaiki lagi.")
    assert h.case(number).status == CaseStatus.CLOSED
    second = [m for m in h.mails() if m.to_addr == SITI and m.kind == "complainant_answer"]
    assert len(second) == 1 and "diperbaiki lagi" in second[0].text_body
    with h.database.reader() as session:
        letters = session.execute(
            select(Document.number, Document.revision)
            .where(Document.kind == "surat_tanggapan")
            .order_by(Document.id)
        ).all()
    # a reopened case's new answer is a new letter, not a revision of the first one
    assert [r for _, r in letters] == [0, 0] and letters[0][0] != letters[1][0]


def test_follow_up_question_after_ten_working_days(h: Harness) -> None:
    number = closed_case(h)
    h.mails()
    closed = h.case(number).closed_at
    assert closed is not None
    with h.database.transaction() as session:
        assert h.conversation.followup.tick(session, closed + timedelta(days=9)) == 0
    asked_at = h.calendar.add(closed, BusinessDuration(days=10))
    with h.database.transaction() as session:
        assert h.conversation.followup.tick(session, asked_at) == 1
    with h.database.transaction() as session:
        assert h.conversation.followup.tick(session, asked_at + timedelta(days=1)) == 0
    question = only(h.mails(), SITI)
    assert question.kind == "complainant.followup" and "sudah selesai" in question.text_body
    assert "SUDAH" in question.text_body and "BELUM" in question.text_body
    h.clock.set(asked_at)
    assert h.reply(question, "Belum, lampunya berkedip-kedip.").status == "applied"
    mails = h.mails()
    assert only(mails, ADMIN).kind == "complainant.forward"
    assert "berkedip" in only(mails, ADMIN).text_body
    assert h.reply(question, "SUDAH").status == "applied"
    with h.database.reader() as session:
        row = session.execute(select(CaseAnswer).where(CaseAnswer.question == "resolved")).scalar_one()
    assert row.verb == "SUDAH" and row.positive and row.changes == 1


def test_complainant_auto_reply_address_spoof_and_quarantine(h: Harness) -> None:
    number = closed_case(h)
    h.mails()
    # a reply that claims the complainant's token from another address is set aside, not recorded
    outcome = h.deliver(complainant_mail(h, number, "PUAS", sender="spoof@evil.example"))
    assert outcome.status == "quarantined"
    with h.database.reader() as session:
        assert session.execute(select(CaseAnswer)).first() is None
        assert session.execute(select(QuarantineItem)).scalars().first() is not None


def test_rahasia_case_every_opd_mail_and_letter_of_the_branches_is_redacted(h: Harness) -> None:
    secrets = ("Budi", "Santoso", "0813-1111-2222", "budi.s@gmail.com")
    number = h.register(
        body="Saya Budi Santoso (0813-1111-2222) melapor: lampu jalan mati.",
        name="Budi Santoso",
        email="budi.s@gmail.com",
        phone="0813-1111-2222",
        confidentiality="rahasia",
    )
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "BUKAN KEWENANGAN: Pak Budi Santoso salah alamat, ini DPUPR")
    h.reply(only(h.mails(), KADIS), "TERUSKAN DISHUB PAKSA")
    to_step_8(h, number)
    sign(h, number, "DISHUB")
    h.reply(
        latest(h, IKP, "action.10"), "KEMBALIKAN: sebutkan bahwa Pak Budi Santoso (0813-1111-2222) dihubungi"
    )
    h.reply(latest(h, KABID_PJU, "action.7"), "TANGGAPAN\nLampu sudah diganti.")
    opd_addresses = {SEK_DISHUB, KADIS_DISHUB, KABID_PJU}
    scanned = 0
    for mail in h.mails(new=False):
        if mail.to_addr in opd_addresses:
            scanned += 1
            for secret in secrets:
                assert secret not in mail.text_body and secret not in (mail.html_body or ""), (
                    mail.kind,
                    secret,
                )
    assert scanned == 7  # steps 5, 5 again (PAKSA), 6, 7, 8, then 7 and 8 of the revision
    assert "dihubungi" in latest(h, KABID_PJU, "action.7").text_body  # the note, without the identity
    with h.database.reader() as session:
        letters = list(session.execute(select(Document).where(Document.audience == "opd")).scalars())
    assert any(d.revision == 1 for d in letters)
    for letter in letters:
        text = docx_text(Path(str(letter.docx_path)))
        for secret in secrets:
            assert secret not in text, (letter.kind, letter.revision, secret)
