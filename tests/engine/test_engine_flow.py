"""The conversation engine on a real database (SQLite and PostgreSQL), replies written as people write.

Letters are not attached here (the letters service has its own tests and the end-to-end test
uses both); this file checks the procedure, the timing and the authorisation rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import AuditEntry, Message, QuarantineItem
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)  # Monday, as in EXAMPLE.md
IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
KADIS_DISHUB = "kadis.dishub@bontangkota.go.id"
KABID_PJU = "pju.dishub@bontangkota.go.id"
ADMIN = "admin.lapor@bontangkota.go.id"


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    return make_harness(database, tmp_path, START)


def only(mails: list, to: str):  # type: ignore[no-untyped-def]
    matching = [m for m in mails if m.to_addr == to]
    assert len(matching) == 1, [(m.to_addr, m.kind) for m in mails]
    return matching[0]


def test_registration_asks_the_ikp_with_a_token_reply_address(h: Harness) -> None:
    number = h.register()
    mail = only(h.mails(kind="action"), IKP)
    assert mail.kind == "action.2"
    assert mail.subject.startswith(f"[{number}] Aduan baru, mohon diperiksa")
    assert mail.reply_to is not None and mail.reply_to.startswith("lapor+")
    token = mail.reply_to.split("+", 1)[1].split("@")[0]
    assert mail.message_id.startswith(f"<{token}.")
    assert "Senin, 30 November 2026 pukul 09.05 WITA" in mail.text_body
    assert "VALID [kode OPD]" in mail.text_body and "mailto:lapor+" in (mail.html_body or "")
    assert "Siti Rahma" in mail.text_body  # Diskominfo sees the complainant


def test_procedure_steps_2_to_7_with_business_times(h: Harness) -> None:
    number = h.register()
    outcome = h.reply(only(h.mails(), IKP), "VALID DISHUB", advance=timedelta(minutes=35))
    assert outcome.status == "applied"
    to_kadis = only(h.mails(), KADIS)
    assert to_kadis.kind == "action.4" and "Dinas Perhubungan" in to_kadis.text_body
    h.reply(to_kadis, "Setuju.\n\nSalam,\nKadis Kominfo", advance=timedelta(minutes=95))
    to_sek = only(h.mails(), SEK_DISHUB)
    assert to_sek.kind == "action.5"
    h.reply(to_sek, "TERIMA", advance=timedelta(minutes=35))
    to_head = only(h.mails(), KADIS_DISHUB)
    assert "DISPOSISI PJU: " in (to_head.html_body or "").replace("%20", " ").replace("%3A", ":")
    h.reply(to_head, "DISPOSISI PJU: mohon segera dicek dan diperbaiki", advance=timedelta(minutes=40))
    to_kabid = only(h.mails(), KABID_PJU)
    assert "mohon segera dicek dan diperbaiki" in to_kabid.text_body
    # Mon 11:30 -> Wed 2 Dec 14:00 is 19 business hours
    h.clock.set(datetime(2026, 12, 2, 14, 0, tzinfo=WITA) - timedelta(minutes=10))
    h.reply(
        to_kabid, "TANGGAPAN\nTerima kasih atas laporan Bapak/Ibu.\n\nLampu sudah diganti pada 1 Desember."
    )
    to_sign = only(h.mails(), KADIS_DISHUB)
    assert to_sign.kind == "action.8"
    assert to_sign.cc_addrs == SEK_DISHUB
    events = {(e.step, e.opd_code): e for e in h.events(number)}
    minutes = {
        step: events[(step, opd)].business_seconds // 60
        for step, opd in events
        if events[(step, opd)].finished_at
    }
    assert minutes == {1: 0, 2: 35, 3: 0, 4: 95, 5: 35, 6: 40, 7: 19 * 60}
    assert events[(4, None)].on_time is False and events[(4, None)].late_seconds == 35 * 60
    assert events[(2, None)].on_time is True
    seven = events[(7, "DISHUB")]
    assert seven.due_at == datetime(2026, 12, 3, 11, 30, tzinfo=WITA)
    eight = events[(8, "DISHUB")]
    assert eight.finished_at is None and eight.due_at == datetime(2026, 12, 3, 14, 0, tzinfo=WITA)
    case = h.case(number)
    assert case.current_step == 8 and case.status == "open"


def test_rejection_at_step_2_closes_and_tells_the_complainant(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "TOLAK aduan ini di luar kewenangan Pemerintah Kota Bontang.")
    case = h.case(number)
    assert case.status == "rejected" and case.closed_at is not None
    assert "kewenangan" in (case.close_reason or "")
    told = only(h.mails(), "siti.rahma@gmail.com")
    assert told.kind == "complainant_rejected" and "di luar kewenangan" in told.text_body
    assert [e.outcome for e in h.events(number) if e.step == 2] == ["rejected"]


def test_wrong_person_quarantined_and_explained_once_a_day(h: Harness) -> None:
    number = h.register()
    action = only(h.mails(), IKP)
    outcome = h.reply(action, "VALID DISHUB", sender=KADIS_DISHUB)
    assert outcome.status == "quarantined" and outcome.code == "not_actor"
    again = h.reply(action, "VALID DISHUB", sender=KADIS_DISHUB)
    assert again.code == "not_actor"
    explained = h.mails(to=KADIS_DISHUB, kind="explain")
    assert len(explained) == 1  # at most one explanation per address, reason and day
    assert "Kepala Bidang Informasi dan Komunikasi Publik" in explained[0].text_body
    assert [e.step for e in h.events(number) if e.finished_at is None] == [2]
    with h.database.reader() as session:
        assert session.execute(select(QuarantineItem.reason_code)).scalars().all() == [
            "not_actor",
            "not_actor",
        ]


def test_delegate_may_act_but_unknown_sender_may_not(h: Harness) -> None:
    h.register()
    action = only(h.mails(), IKP)
    assert h.reply(action, "SETUJU", sender="stranger@gmail.com").code == "unknown_sender"
    assert h.reply(action, "VALID DISHUB", sender="aisyah.ikp@bontangkota.go.id").status == "applied"


def test_forged_and_replayed_tokens_never_advance(h: Harness) -> None:
    number = h.register()
    action = only(h.mails(), IKP)
    assert action.reply_to is not None
    token = action.reply_to.split("+", 1)[1].split("@")[0]
    forged_token = token[:20] + ("a" if token[20] != "a" else "b") + token[21:]
    forged_address = action.reply_to.replace(token, forged_token)
    action_forged = type(action)(**{c.name: getattr(action, c.name) for c in action.__table__.columns})
    action_forged.reply_to = forged_address
    action_forged.message_id = "<other@example.org>"
    assert h.reply(action_forged, "VALID DISHUB").code == "forged"
    assert h.reply(action, "VALID DISHUB").status == "applied"
    # the same token again, after the step finished: a replay
    replay = h.reply(action, "TOLAK ganti keputusan")
    assert replay.status == "quarantined" and replay.code == "already_done"
    assert h.case(number).status == "open"
    with h.database.reader() as session:
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("reply.quarantined") == 2
    assert actions.count("message_quarantined") == 2


def test_reply_matched_through_in_reply_to_and_subject_tag(h: Harness) -> None:
    number = h.register()
    action = only(h.mails(), IKP)
    assert h.reply(action, "VALID", via="thread").status == "applied"
    to_kadis = only(h.mails(), KADIS)
    # the subject tag alone is information for the case, never a command (issue 11, point 3)
    by_subject = h.reply(to_kadis, "Setuju", via="subject")
    assert (by_subject.status, by_subject.code) == ("quarantined", "subject_only")
    assert [e.step for e in h.events(number) if e.finished_at is None] == [4]
    told = only(h.mails(kind="explain"), KADIS)
    assert "sebagai keterangan" in told.text_body and "mailto:lapor+" in (told.html_body or "")
    with h.database.reader() as session:
        assert session.execute(select(QuarantineItem.reason_code)).scalars().all() == ["subject_only"]
        stored = session.execute(select(Message).where(Message.status == "quarantined")).scalar_one()
        assert stored.case_id == h.case(number).id
    # the explanation carries the step's token: answering it directly acts
    assert told.reply_to is not None and told.reply_to.startswith("lapor+")
    assert h.reply(told, "Setuju").status == "applied"


def test_command_errors_are_explained_with_the_valid_choices(h: Harness) -> None:
    h.register(suggested=None)
    action = only(h.mails(), IKP)
    assert h.reply(action, "VALID").code == "missing_opd"
    assert h.reply(action, "VALID Dinas Kehutanan").code == "unknown_opd"  # the province's, not an OPD
    assert h.reply(action, "Baik, akan saya cek").code == "unknown"
    explanations = h.mails(to=IKP, kind="explain")
    assert len(explanations) == 3
    assert "DISHUB" in explanations[1].text_body and "Dinas Kehutanan" in explanations[1].text_body
    assert "VALID [kode OPD]" in explanations[2].text_body  # the commands of this step
    assert h.reply(action, "valid, dinas perhubungan").status == "applied"


def test_status_and_help_by_reply(h: Harness) -> None:
    number = h.register()
    action = only(h.mails(), IKP)
    assert h.reply(action, "STATUS").status == "answered"
    status = only(h.mails(kind="info"), IKP)
    assert status.subject == f"[{number}] Status aduan {number}"
    assert "Langkah 2" in status.text_body
    assert h.reply(action, "bantuan").status == "answered"
    assert "TOLAK <alasan>" in only(h.mails(kind="info"), IKP).text_body


def test_html_only_reply_from_outlook(h: Harness) -> None:
    h.register()
    action = only(h.mails(), IKP)
    html = (
        '<html><body><div>VALID DISHUB</div><div><br></div><div id="divRplyFwdMsg"><b>Dari:</b> LAPOR '
        "Bontang<br><b>Dikirim:</b> Senin, 30 November 2026 08.40</div><div>TOLAK</div></body></html>"
    )
    assert h.reply(action, "", html=html).status == "applied"


def test_two_opds_and_the_special_track(h: Harness) -> None:
    number = h.register(suggested="DPUPR")
    h.reply(only(h.mails(), IKP), "VALID")
    h.reply(only(h.mails(), KADIS), "TERUSKAN DPUPR, Dishub KHUSUS")
    case = h.case(number)
    assert case.track == "special"
    mails = h.mails(kind="action.5")
    assert {m.to_addr for m in mails} == {"sekretaris.dpupr@bontangkota.go.id", SEK_DISHUB}
    for mail in mails:
        h.reply(mail, "Terima", advance=timedelta(minutes=1))
    heads = h.mails(kind="action.6")
    for mail in heads:
        bidang = "BM" if "dpupr" in mail.to_addr else "PJU"
        h.reply(mail, f"DISPOSISI {bidang}: segera tinjau lapangan", advance=timedelta(minutes=1))
    sevens = [e for e in h.events(number) if e.step == 7]
    assert len(sevens) == 2 and all(e.track == "special" for e in sevens)
    for event in sevens:
        assert h.calendar.business_seconds(event.started_at, event.due_at) > 10 * 8 * 3600


def test_khusus_at_step_7_extends_the_deadline(h: Harness) -> None:
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "TERIMA")
    h.reply(only(h.mails(), KADIS_DISHUB), "DISPOSISI PJU: cek")
    to_kabid = only(h.mails(), KABID_PJU)
    before = next(e for e in h.events(number) if e.step == 7).due_at
    assert h.reply(to_kabid, "KHUSUS").code == "missing_reason"
    assert h.reply(to_kabid, "KHUSUS perlu koordinasi dengan PLN").status == "applied"
    after = next(e for e in h.events(number) if e.step == 7)
    assert after.finished_at is None and after.track == "special" and after.due_at > before
    confirm = only(h.mails(kind="confirm"), KABID_PJU)
    assert "jalur khusus" in confirm.text_body


def test_authentication_results_required_when_configured(database: Database, tmp_path: Path) -> None:
    h = make_harness(
        database,
        tmp_path,
        START,
        edit={
            "[calendar]": '[auth]\nrequire_authentication_results = true\ntrusted_authserv_ids = ["mx.bontangkota.go.id"]\n\n[calendar]'
        },
    )
    h.register()
    action = only(h.mails(), IKP)
    forged = ("mx.evil.example; dkim=pass header.d=bontangkota.go.id",)
    assert h.reply(action, "VALID", auth_results=forged).code == "unauthenticated"
    good = (
        "mx.bontangkota.go.id; dkim=pass header.d=bontangkota.go.id header.s=s1; spf=pass smtp.mailfrom=x@bontangkota.go.id",
    )
    assert h.reply(action, "VALID", auth_results=good).status == "applied"


def test_rahasia_case_opd_mails_carry_no_identity(h: Harness) -> None:
    number = h.register(
        confidentiality="rahasia",
        body="Ada pungutan liar di loket. Saya Siti Rahma, HP 0812-3456-7890, siti.rahma@gmail.com",
    )
    internal = only(h.mails(), IKP)
    assert "Siti Rahma" in internal.text_body  # Diskominfo may see it
    h.reply(internal, "VALID")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "TERIMA")
    h.reply(only(h.mails(), KADIS_DISHUB), "DISPOSISI PJU: cek")
    opd_mails = [
        m
        for m in h.mails(new=False)
        if m.to_addr.endswith("dishub@bontangkota.go.id")
        or m.to_addr in (SEK_DISHUB, KADIS_DISHUB, KABID_PJU)
    ]
    assert len(opd_mails) >= 3
    for mail in opd_mails:
        for text in (mail.text_body, mail.html_body or "", mail.subject):
            for secret in ("Siti", "Rahma", "0812", "3456-7890", "siti.rahma@gmail.com"):
                assert secret not in text, (mail.kind, secret)
        assert number in mail.subject
