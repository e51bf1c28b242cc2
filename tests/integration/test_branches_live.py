"""Issue 13 end to end over Dovecot and aiosmtpd, on SQLite and PostgreSQL: every reply is a real
mail in the mailbox (Gmail, Outlook and iPhone shapes with the quoted history), read by the
poller with the engine plugged in; the engine's mails go out over SMTP.

One complaint takes every branch: the complainant adds a photo before anything happened, DISHUB
declines (TOLAK at step 5), the head re-routes to DPUPR, the IKP sends DPUPR's answer back, the
answer goes out with the satisfaction links, the complainant is not satisfied, the admin answers
with KIRIM and reopens with BUKA KEMBALI. On the way: a replayed token, a wrong actor and
auto-replies never trigger a branch. The signed PDFs themselves are tested with real signatures in
tests/signatures/test_revision_signed.py; here the signature step is completed through the engine.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import (
    CaseAnswer,
    CaseRoute,
    ComplainantReply,
    Message,
    OutboxMail,
)
from mailflow.bootstrap.ingest import build_sender
from tests.cli.helpers import run_cli
from tests.hostile.test_reply_over_dovecot import COMPLAINANT, IKP, KADIS, SEK_DISHUB, Site
from tests.hostile.test_reply_over_dovecot import site as site  # noqa: PLC0414  (the fixture)

pytestmark = [pytest.mark.imap, pytest.mark.slow]

ADMIN = "admin.lapor@bontangkota.go.id"
SEK_DPUPR = "sekretaris.dpupr@bontangkota.go.id"
KADIS_DPUPR = "kadis.dpupr@bontangkota.go.id"
KABID_BM = "binamarga.dpupr@bontangkota.go.id"


def sent_to(site: Site, address: str) -> list[bytes]:
    build_sender(site.env.app).send_pass()
    return [d.data for d in site.env.smtp.deliveries if address in d.rcpt_tos]


def auto_reply(site: Site, original: OutboxMail, sender: str, body: str) -> Message:
    return site.answer(original, body, sender=sender, sender_headers=(("Auto-Submitted", "auto-replied"),))


def test_every_branch_over_dovecot_and_smtp(site: Site) -> None:
    number = site.complaint()
    ack = site.mail("ack", COMPLAINANT)
    assert (
        ack.reply_to
        and ack.reply_to.startswith("lapor+")
        and ack.reply_to != "lapor@diskominfo.bontangkota.go.id"
    )
    delivered = message_from_bytes(sent_to(site, COMPLAINANT)[0], policy=policy.default)
    assert str(delivered["Reply-To"]).startswith("lapor+")

    # the complainant adds something before anything happened: kept, the IKP told
    added = site.answer(ack, "Ini ada foto tambahan, lampunya di depan masjid Al-Ikhlas.", name="Warga")
    assert added.status == "processed" and added.case_id is not None
    told = site.mail("complainant.added", IKP)
    assert "depan masjid Al-Ikhlas" in told.text_body
    # the complainant's out-of-office answer to the same mail is never stored as a reply
    away = auto_reply(site, ack, COMPLAINANT, "Saya sedang cuti sampai 7 Desember.")
    assert (away.kind, away.status) == ("auto_reply", "processed")

    # misrouted: DISHUB's secretary declines with TOLAK (its meaning at step 5), from Outlook
    site.answer(site.mail("action.2", IKP), "VALID DISHUB")
    site.answer(site.mail("action.4", KADIS), "Setuju.\n\nSalam,\nKadis")
    to_sek = site.mail("action.5", SEK_DISHUB)
    wrong = site.answer(to_sek, "TOLAK: bukan kewenangan kami", sender="pju.dishub@bontangkota.go.id")
    assert wrong.status == "quarantined" and (wrong.quarantine_reason or "").startswith("not_actor")
    office = auto_reply(site, to_sek, SEK_DISHUB, "TOLAK: saya sedang dinas luar")
    assert (office.kind, office.status) == ("auto_reply", "processed")
    with site.env.db.reader() as session:
        assert session.execute(select(CaseRoute.status)).scalar_one() == "open"
    declined = site.answer(to_sek, "Tolak: jalan ini kewenangan DPUPR, bukan Dishub.", style="outlook")
    assert declined.status == "processed"
    again = site.mail("action.4", KADIS)
    assert "DISHUB (Dinas Perhubungan) menyatakan bukan kewenangannya" in again.text_body
    replay = site.answer(to_sek, "BUKAN KEWENANGAN: sekali lagi")
    assert replay.status == "quarantined" and (replay.quarantine_reason or "").startswith("already_done")
    assert site.answer(again, "SETUJU").status == "quarantined"  # would go back to DISHUB
    site.answer(again, "TERUSKAN DPUPR", style="iphone")

    # DPUPR answers, the IKP sends it back, DPUPR drafts again, the head signs again
    site.answer(site.mail("action.5", SEK_DPUPR), "TERIMA")
    site.answer(site.mail("action.6", KADIS_DPUPR), "DISPOSISI BM: mohon dicek")
    site.answer(site.mail("action.7", KABID_BM), "TANGGAPAN\nJalan sudah ditambal.")
    site.sign_response("DPUPR", "Kepala DPUPR", KADIS_DPUPR)
    back = site.answer(site.mail("action.10", IKP), "KEMBALIKAN: mohon sebutkan tanggal penambalan.")
    assert back.status == "processed"
    redo = site.mail("action.7", KABID_BM)
    assert "mohon sebutkan tanggal penambalan" in redo.text_body
    site.answer(redo, "TANGGAPAN\nJalan sudah ditambal pada 2 Desember 2026.")
    site.sign_response("DPUPR", "Kepala DPUPR", KADIS_DPUPR)
    site.answer(site.mail("action.10", IKP), "SETUJU")
    site.answer(site.mail("action.11", ADMIN), "KIRIM\nTerima kasih atas laporan Bapak/Ibu.")

    # the answer carries the satisfaction links; the complainant is not satisfied (iPhone)
    answer = site.mail("complainant_answer", COMPLAINANT)
    assert "TIDAK PUAS" in answer.text_body and answer.reply_to and answer.reply_to.startswith("lapor+")
    unhappy = site.answer(answer, "Tidak puas, lubangnya muncul lagi.", style="iphone", name="Warga")
    assert unhappy.status == "processed"
    forward = site.mail("complainant.forward", ADMIN)
    assert "lubangnya muncul lagi" in forward.text_body and "BUKA KEMBALI" in forward.text_body
    assert site.mail("complainant.forward", IKP)
    # an auto-reply of the admin to the forward never reopens anything
    assert auto_reply(site, forward, ADMIN, "BUKA KEMBALI: saya cuti").kind == "auto_reply"
    assert site.open_steps(number) == []

    # the admin answers the complainant, then reopens
    site.answer(forward, "KIRIM\nMohon maaf, akan kami teruskan kembali ke DPUPR.")
    message = site.mail("complainant.message", COMPLAINANT)
    assert "akan kami teruskan kembali" in message.text_body
    reopened = site.answer(forward, "BUKA KEMBALI: lubang muncul lagi menurut pelapor")
    assert reopened.status == "processed"
    assert site.open_steps(number) == [2]
    stale = site.answer(forward, "BUKA KEMBALI: lagi")
    assert stale.status == "quarantined"

    with site.env.db.reader() as session:
        replies = list(session.execute(select(ComplainantReply).order_by(ComplainantReply.id)).scalars())
        answers = list(session.execute(select(CaseAnswer)).scalars())
    assert [(r.after_close, r.verb) for r in replies] == [(False, None), (True, "TIDAK PUAS")]
    assert [(a.verb, a.comment) for a in answers] == [("TIDAK PUAS", "lubangnya muncul lagi.")]

    # every mail to the complainant went out over SMTP with a reply token
    for raw in sent_to(site, COMPLAINANT):
        mail = message_from_bytes(raw, policy=policy.default)
        assert str(mail["Reply-To"]).startswith("lapor+"), mail["Subject"]

    # `mailflow case` shows the rounds, the returned route and the complainant's words
    result = run_cli("--config", site.env.config, "case", number, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    rounds = {(s["step"], s["opd"]): [] for s in shown["steps"]}
    for step in shown["steps"]:
        rounds[(step["step"], step["opd"])].append(step["attempt"])
    assert rounds[(4, None)] == [1, 2] and rounds[(7, "DPUPR")] == [1, 2] and rounds[(2, None)] == [1, 2]
    assert {r["opd"]: r["status"] for r in shown["routes"]} == {"DISHUB": "returned", "DPUPR": "done"}
    assert [d["revision"] for d in shown["documents"] if d["kind"] == "surat_tanggapan"] == [0, 1]
    assert shown["round"] == 2 and len(shown["complainant_replies"]) == 2
    text = run_cli("--config", site.env.config, "case", number)
    assert text.returncode == 0, text.stderr
    assert "putaran 2" in text.stdout and "Balasan pelapor" in text.stdout and "revisi 1" in text.stdout
