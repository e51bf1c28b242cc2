"""Issue 11, point 8: read receipts (MDN), delivery reports of every kind and other machine reports
are recognised by their MIME structure, recorded and never answered.

Over the real Dovecot and aiosmtpd with the conversation engine plugged in: a case is registered,
the engine mails step 2 to the IKP head, and then the head's Outlook and Thunderbird send read
receipts to the token reply address, threaded to that mail. Before the fix the engine read each
receipt as a reply and answered "unknown command".
"""

from __future__ import annotations

import pytest

from mailflow.adapters.db.models import AuditEntry, Case, Message, OutboxMail
from mailflow.adapters.mime_parse import ParseLimits, parse_message
from mailflow.bootstrap import ingest as ingest_app
from mailflow.domain.noise import NoiseKind, detect_noise
from tests.hostile.mime_support import REPLY_ADDRESS, mail, mime_env_fixture  # noqa: F401 - the mime_env fixture
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.slow, pytest.mark.imap]

IKP = "ikp.kominfo@bontangkota.go.id"
OUTLOOK_TOKEN = "lapor+ab3dx7k2mq5rt8vw@diskominfo.bontangkota.go.id"
OUTLOOK_ID = "<ab3dx7k2mq5rt8vw.0a1b2c3d4e5f@diskominfo.bontangkota.go.id>"
THUNDERBIRD_TOKEN = "lapor+cd5ey8l3nr6su9xy@diskominfo.bontangkota.go.id"
THUNDERBIRD_ID = "<cd5ey8l3nr6su9xy.1a2b3c4d5e6f@diskominfo.bontangkota.go.id>"


def _receipt(name: str, token_address: str, message_id: str, reply_to: str, action_id: str) -> bytes:
    """A corpus receipt re-addressed to the real action mail (its token address and Message-ID)."""
    raw = mail(name)
    raw = raw.replace(token_address.encode(), reply_to.encode())
    return raw.replace(message_id.encode(), action_id.encode())


def test_read_receipts_from_outlook_and_thunderbird_are_recorded_and_never_answered(
    mime_env: IngestEnv,
) -> None:
    env = mime_env
    env.append(complaint(1, body="Lampu jalan mati di Jl. Ahmad Yani sejak 3 malam. Mohon diperbaiki."))
    env.poll_once(env.app.hooks)
    [case] = env.rows(Case)
    actions = env.rows(OutboxMail, OutboxMail.to_addr == IKP)
    assert len(actions) == 1, [(o.kind, o.to_addr) for o in env.rows(OutboxMail)]
    action = actions[0]
    assert action.reply_to and action.reply_to.startswith("lapor+")
    before = {o.id for o in env.rows(OutboxMail)}

    # the IKP head's clients answer the action mail with read receipts, threaded to it
    env.append(_receipt("p08_outlook_read_receipt.eml", OUTLOOK_TOKEN, OUTLOOK_ID, action.reply_to,
                        action.message_id))  # fmt: skip
    env.append(_receipt("p08_thunderbird_return_receipt.eml", THUNDERBIRD_TOKEN, THUNDERBIRD_ID,
                        action.reply_to, action.message_id))  # fmt: skip
    stats = env.poll_once(env.app.hooks)

    assert stats.processed == 2
    receipts = env.rows(Message, Message.kind == "receipt")
    assert sorted(m.from_addr for m in receipts) == ["binamarga.dpupr@bontangkota.go.id", IKP]
    assert {(m.status, m.attempts) for m in receipts} == {("processed", 1)}
    assert all("disposition-notification" in (m.last_error or "") for m in receipts)
    assert env.count(AuditEntry, AuditEntry.action == "message_receipt") == 2
    assert {o.id for o in env.rows(OutboxMail)} == before  # nobody is answered
    assert [c.id for c in env.rows(Case)] == [case.id]  # no case from a receipt
    assert env.rows(Case)[0].current_step == case.current_step  # and the step did not move

    # what goes out over SMTP: the acknowledgement and the action mail only
    sent = ingest_app.build_sender(env.app).send_pass()
    assert sent.sent == len(before)
    assert sorted(r for d in env.smtp.deliveries for r in d.rcpt_tos) == sorted(
        o.to_addr for o in env.rows(OutboxMail)
    )
    assert len([d for d in env.smtp.deliveries if IKP in d.rcpt_tos]) == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("p08_outlook_read_receipt.eml", NoiseKind.RECEIPT),
        ("p08_thunderbird_return_receipt.eml", NoiseKind.RECEIPT),
        ("p08_bare_disposition_notification.eml", NoiseKind.RECEIPT),
        ("p08_postfix_delayed_dsn.eml", NoiseKind.REPORT),
        ("p08_google_tlsrpt.eml", NoiseKind.REPORT),
        ("p08_arf_feedback_report.eml", NoiseKind.REPORT),
        ("p08_dmarc_aggregate_google.eml", NoiseKind.REPORT),
        ("p08_exchange_ndr_no_report_type.eml", NoiseKind.BOUNCE),
    ],
)
def test_machine_reports_are_judged_by_structure(name: str, kind: NoiseKind) -> None:
    parsed = parse_message(mail(name), store=None, limits=ParseLimits())
    noise = detect_noise(
        parsed, own_addresses=(REPLY_ADDRESS,), own_domains=("diskominfo.bontangkota.go.id",)
    )
    assert noise is not None and noise.kind is kind, noise


def test_a_receipt_forwarded_inside_a_persons_mail_does_not_make_it_machine_mail() -> None:
    parsed = parse_message(mail("p08_person_forwards_a_receipt.eml"), store=None, limits=ParseLimits())
    assert parsed.report_type is None
    assert detect_noise(parsed, own_addresses=(REPLY_ADDRESS,)) is None


def test_a_delayed_delivery_report_does_not_fail_the_mail_it_names(mime_env: IngestEnv) -> None:
    env = mime_env
    env.append(complaint(5, sender="warga.lambat@yahoo.co.id"))
    env.poll_once()
    [ack] = env.rows(OutboxMail)
    delayed = mail("p08_postfix_delayed_dsn.eml").replace(
        b"<ack.lpr-2026-00005@diskominfo.bontangkota.go.id>", ack.message_id.encode()
    )
    env.append(delayed)
    env.poll_once()
    [report] = env.rows(Message, Message.kind == "report")
    assert report.status == "processed" and "delayed" in (report.last_error or "")
    [ack] = env.rows(OutboxMail)
    assert ack.status == "queued"  # still being delivered: a warning is not a bounce
