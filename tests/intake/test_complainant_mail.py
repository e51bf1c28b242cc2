"""Issue 14 points 5 and 8, what the complainant receives, read from aiosmtpd as a mail client
reads it, over Dovecot, on SQLite and PostgreSQL:

- the language of each complaint (Indonesian, English from Gmail, English through the city's
  Indonesian web form) is detected at registration and kept on the case; the acknowledgement
  and the later notices to that complainant are written in it; officials' mails stay Indonesian;
- the acknowledgement, the rejection and the final answer thread under the citizen's own mail
  (In-Reply-To and References name its Message-ID), so a client shows them in one conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Case, OutboxMail
from mailflow.bootstrap import ingest as ingest_app
from mailflow.clock import ManualClock
from mailflow.domain.complaint import written_text
from mailflow.domain.language import detect_language
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.hostile.reply_mails import reply
from tests.ingest.builders import complaint
from tests.ingest.conftest import BACKENDS, IngestEnv, env_on_backend
from tests.intake import mails

IKP = "ikp.kominfo@bontangkota.go.id"


def test_written_text_leaves_out_the_forms_labels_and_footer() -> None:
    short = "Street lights off for two weeks near the market, please fix.\n"
    text = mails.CITY_FORM_TEXT.replace(
        "Jalan di depan rumah kami berlubang besar dan sudah dua orang jatuh dari motor. Mohon segera\n"
        "diaspal kembali.\n",
        short,
    )
    own = written_text(text)
    assert "Nama" not in own and "0812" not in own and "dikirim otomatis" not in own
    assert short.strip() in own
    assert detect_language(text).language == "id"  # the form's own words outweigh a short message ...
    assert detect_language(own).language == "en"  # ... what the resident wrote is English
    # a "---" divider followed by the message is no footer: what follows it stays
    divided = "Nama: A\nEmail: a@b.id\n-----\n" + "The lights are off and nobody has come to fix them.\n" * 8
    assert "nobody has come" in written_text(divided)


@pytest.fixture(params=BACKENDS)
def env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
) -> Iterator[IngestEnv]:
    with env_on_backend(request, tmp_path, dovecot, smtp, clock) as environment:
        yield environment


def received(env: IngestEnv, address: str) -> list[EmailMessage]:
    found = []
    for delivery in env.smtp.deliveries:
        if address in delivery.rcpt_tos:
            message = message_from_bytes(delivery.data, policy=policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def thread_root(messages: list[EmailMessage], message: EmailMessage) -> str:
    """The conversation a client (Thunderbird, Gmail) files `message` under: the first Message-ID
    of its References (else its In-Reply-To), followed up through the mails it knows."""
    by_id = {str(m["Message-ID"]): m for m in messages}
    current = message
    for _ in range(10):
        parents = str(current["References"] or current["In-Reply-To"] or "").split()
        if not parents:
            return str(current["Message-ID"])
        if parents[0] not in by_id:
            return parents[0]
        current = by_id[parents[0]]
    raise AssertionError("a reference loop")


@pytest.mark.imap
@pytest.mark.slow
def test_each_complainant_is_written_to_in_their_language_and_in_one_thread(
    env: IngestEnv, clock: ManualClock
) -> None:
    raws = {
        "emma.clarke@gmail.com": mails.gmail_english(),
        "j.miller@outlook.com": mails.city_form_english(),
        "warga1@gmail.com": complaint(1),
    }
    env.dovecot.append_many(env.user, list(raws.values()))
    poller = ingest_app.pollers(env.app, ingest_app.build_ingest(env.app))[0]
    sender = ingest_app.build_sender(env.app)
    poller.poll_once()
    sender.send_pass()

    with env.db.reader() as session:
        languages = {
            case.complainant.email: case.language for case in session.execute(select(Case)).scalars()
        }
    assert languages == {
        "emma.clarke@gmail.com": "en",
        "j.miller@outlook.com": "en",
        "warga1@gmail.com": "id",
    }
    originals = {
        address: message_from_bytes(raw, policy=policy.default) for address, raw in raws.items()
    }  # the citizens' own mails, as their clients keep them in Sent
    for address, lang in languages.items():
        [ack] = received(env, address)
        if lang == "en":
            assert str(ack["Subject"]).startswith("[LPR-2026-") and "complaint" in str(ack["Subject"]).lower()
            assert plain(ack).startswith("Dear ") and "Yth." not in plain(ack)
        else:
            assert plain(ack).startswith("Yth.") and "Dear" not in plain(ack)
        original = originals[address]
        assert str(ack["In-Reply-To"]) == str(original["Message-ID"])
        assert thread_root([original, ack], ack) == str(original["Message-ID"])
    assert "Dear James Miller" in plain(received(env, "j.miller@outlook.com")[0])
    # the officials' mail about the same complaints stays in the site's language
    [to_ikp] = received(env, IKP)
    assert plain(to_ikp).startswith("Yth.")

    # the Kabid IKP rejects Emma's complaint from Gmail: she is told in English, in her thread
    [action] = env.rows(OutboxMail, OutboxMail.kind == "action.2", OutboxMail.to_addr == IKP,
                        OutboxMail.subject.contains("Garbage"))  # fmt: skip
    clock.advance(timedelta(minutes=10))
    env.append(
        reply(
            sender=IKP,
            name="Muhammad Ridwan",
            to=str(action.reply_to),
            subject=action.subject,
            body="TOLAK sudah ditangani langsung oleh kelurahan",
            original_text=action.text_body,
            original_id=action.message_id,
            when=clock.now(),
        )
    )
    poller.poll_once()
    sender.send_pass()
    [_, rejection] = received(env, "emma.clarke@gmail.com")
    assert str(rejection["Subject"]).endswith("Your complaint cannot be processed")
    assert "sudah ditangani langsung oleh kelurahan" in plain(rejection)
    emma = originals["emma.clarke@gmail.com"]
    assert str(rejection["In-Reply-To"]) == str(emma["Message-ID"])
    assert thread_root([emma, rejection], rejection) == str(emma["Message-ID"])

    # the final answer (what step 11's KIRIM sends; the whole procedure to it is
    # tests/integration's) to the Indonesian complainant threads under their mail too
    with env.db.transaction() as session:
        case = session.execute(select(Case).where(Case.language == "id")).scalar_one()
        env.app.conversation.mails.complainant(
            session, case, "answer", clock.now(), text="Lubang sudah ditambal pada 2 Desember."
        )
    sender.send_pass()
    [ack, answer] = received(env, "warga1@gmail.com")
    assert "Lubang sudah ditambal" in plain(answer) and str(answer["Subject"]).endswith(
        "Jawaban atas aduan Anda"
    )
    citizen = originals["warga1@gmail.com"]
    assert str(answer["In-Reply-To"]) == str(citizen["Message-ID"])
    assert str(citizen["Message-ID"]) in str(answer["References"]).split()
    assert {thread_root([citizen, ack, answer], m) for m in (ack, answer)} == {str(citizen["Message-ID"])}
    assert parseaddr(str(answer["To"]))[1] == "warga1@gmail.com"
