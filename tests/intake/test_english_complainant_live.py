"""Issue 14 point 5 over Dovecot and aiosmtpd, on SQLite and PostgreSQL: a complainant who writes
in English is answered in English in every mail they get (acknowledgement, rejection, the final
answer with its satisfaction links, the rating recorded, the admin's message after closing, the
follow-up question), while the officials' mails about the same case stay in Indonesian (the
site's language). Every mail is checked as it left over SMTP.
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Case, OutboxMail
from mailflow.bootstrap.ingest import build_sender
from tests.hostile.test_reply_over_dovecot import IKP, KADIS, SEK_DISHUB, Site
from tests.hostile.test_reply_over_dovecot import site as site  # noqa: PLC0414  (the fixture)
from tests.ingest.builders import complaint
from tests.intake.test_replies_live import KABID_PJU, KADIS_DISHUB

pytestmark = [pytest.mark.imap, pytest.mark.slow]

ADMIN = "admin.lapor@bontangkota.go.id"
EXPAT = "james.whitfield@outlook.com"
VISITOR = "sarah.tan@gmail.com"


def english(site: Site, index: int, sender: str, subject: str, body: str) -> str:
    site.env.append(complaint(index, subject=subject, body=body, sender=sender))
    site.poll()
    with site.env.db.reader() as session:
        case = session.execute(select(Case).order_by(Case.id.desc())).scalars().first()
        assert case is not None
        assert case.language == "en", case.language
        return case.number


def delivered(site: Site, address: str) -> list[EmailMessage]:
    build_sender(site.env.app).send_pass()
    return [
        message_from_bytes(d.data, policy=policy.default)  # type: ignore[misc]
        for d in site.env.smtp.deliveries
        if address in d.rcpt_tos
    ]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_an_english_complainant_is_answered_in_english(site: Site) -> None:
    # a rejected one: the rejection is in English, the reason as the official wrote it
    rejected = english(
        site,
        1,
        VISITOR,
        "Question about my hotel booking",
        "Hello,\n\nI booked a room at a private hotel in Bontang and they have not refunded my deposit.\n"
        "Could you please help me get my money back?\n\nThanks,\nSarah\n",
    )
    site.answer(site.mail("action.2", IKP), "TOLAK: bukan kewenangan Pemerintah Kota (urusan perdata).")
    (ack, refusal) = delivered(site, VISITOR)
    assert str(ack["Subject"]).endswith("We have received your complaint")
    assert f"[{rejected}] Your complaint cannot be processed" in str(refusal["Subject"])
    assert body(refusal).startswith("Dear ") and "urusan perdata" in body(refusal)

    # an answered one, with the satisfaction links, the rating, the admin's message, the follow-up
    number = english(
        site,
        2,
        EXPAT,
        "Street light out on Jalan Ahmad Yani",
        "Good morning,\n\nThe street light in front of the mosque on Jalan Ahmad Yani has been out for two "
        "weeks and the road is very dark at night.\nCould you please have it repaired?\n\n"
        "Kind regards,\nJames Whitfield\n",
    )
    action = site.mail("action.2", IKP)
    assert "Mohon periksa" in action.text_body or "Aduan" in action.text_body  # officials: Indonesian
    assert action.language == "id"
    site.answer(action, "VALID DISHUB")
    site.answer(site.mail("action.4", KADIS), "SETUJU")
    site.answer(site.mail("action.5", SEK_DISHUB), "TERIMA")
    site.answer(site.mail("action.6", KADIS_DISHUB), "DISPOSISI PJU: mohon dicek")
    site.answer(site.mail("action.7", KABID_PJU), "TANGGAPAN\nLampu sudah diganti pada 3 Desember 2026.")
    site.sign_response("DISHUB", "Kepala Dinas", KADIS_DISHUB)
    site.answer(site.mail("action.10", IKP), "SETUJU")
    site.answer(site.mail("action.11", ADMIN), "KIRIM\nThank you for your report.")
    answer = site.mail("complainant_answer", EXPAT)
    assert answer.language == "en"
    # the one-click answers in English words (SATISFIED parses as PUAS); before: "PUAS", "TIDAK PUAS"
    assert "  SATISFIED - I am satisfied" in answer.text_body and "body=NOT%20SATISFIED" in answer.text_body
    assert "PUAS" not in answer.text_body
    assert "Dear Warga 2," in answer.text_body and "Thank you for your complaint" in answer.text_body
    unhappy = site.answer(answer, "NOT SATISFIED, the light went out again after two days.", name="James")
    assert unhappy.status == "processed"
    recorded = site.mail("complainant.recorded", EXPAT)
    assert recorded.language == "en" and "Your answer (NOT SATISFIED) has been recorded" in recorded.text_body
    forward = site.mail("complainant.forward", ADMIN)
    assert forward.language == "id"  # the admin reads Indonesian
    site.answer(forward, "KIRIM\nWe are sorry; DISHUB will check the lamp again this week.")
    message = site.mail("complainant.message", EXPAT)
    assert message.language == "en" and "The complaint-service admin sends you" in message.text_body
    site.clock.advance(timedelta(days=20))
    assert site.env.app.conversation.followup.run(site.env.app.database, site.clock.now()) == 1
    followup = site.mail("complainant.followup", EXPAT)
    assert followup.language == "en"

    sent = delivered(site, EXPAT)
    subjects = [str(m["Subject"]).split("] ", 1)[1] for m in sent]
    assert all(str(m["Subject"]).startswith(f"[{number}]") or number in str(m["Subject"]) for m in sent)
    assert subjects == [
        "We have received your complaint",
        "The answer to your complaint",
        "Thank you for your rating",
        "A message about your complaint",
        "Has the problem been solved?",
    ]
    for mail in sent:
        text = body(mail)
        assert "Bapak/Ibu" not in text and "Terima kasih" not in text, text
    with site.env.db.reader() as session:
        kinds = session.execute(
            select(OutboxMail.kind, OutboxMail.language).where(OutboxMail.to_addr.in_((IKP, KADIS, ADMIN)))
        ).all()
    assert kinds and {language for _kind, language in kinds} == {"id"}
