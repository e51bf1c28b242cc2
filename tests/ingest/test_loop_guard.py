"""Auto-replies and bounces are recorded, never answered, never commands; bounces fail the outbox row."""

from __future__ import annotations

import pytest

from mailflow.adapters.db.models import AuditEntry, Case, Message, OutboxMail
from mailflow.domain.inbound import InboundMail
from tests.ingest.builders import auto_reply, bounce_of, complaint, sample
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.imap]


class RecordingHooks:
    def __init__(self) -> None:
        self.replies: list[str] = []

    def case_registered(self, session, case, now) -> None:
        return None

    def handle_reply(self, session, message, inbound: InboundMail, now) -> None:
        self.replies.append(inbound.subject)
        message.status = "processed"


@pytest.mark.slow
def test_an_auto_reply_storm_creates_nothing_and_reaches_no_hook(env: IngestEnv) -> None:
    styles = ("rfc3834", "precedence", "x-autoreply", "empty-return-path")
    raws = [auto_reply(i, styles[i % len(styles)]) for i in range(60)]
    raws.append(sample("vacation_autoreply.eml"))  # In-Reply-To our domain, "SETUJU" in the text
    env.dovecot.append_many(env.user, raws)
    hooks = RecordingHooks()

    stats = env.poll_once(hooks)

    assert stats.processed == len(raws)
    assert hooks.replies == []
    assert env.count(Case) == 0
    assert env.count(OutboxMail) == 0
    assert {m.kind for m in env.rows(Message)} == {"auto_reply"}
    assert env.count(AuditEntry, AuditEntry.action == "message_auto_reply") == len(raws)
    assert env.dovecot.uids(env.user, "INBOX") == []


def test_a_bounce_of_our_acknowledgement_marks_that_outbox_row_failed(env: IngestEnv) -> None:
    env.append(complaint(1, sender="warga.salah@gmial.com"))
    env.poll_once()
    [ack] = env.rows(OutboxMail)
    assert ack.status == "queued"

    env.append(bounce_of(ack.message_id))
    env.poll_once()

    [ack] = env.rows(OutboxMail)
    assert ack.status == "failed" and "bounced" in (ack.last_error or "")
    bounce = env.rows(Message, Message.kind == "bounce")
    assert len(bounce) == 1 and bounce[0].status == "processed"
    assert env.count(Case) == 1  # the bounce is not a new complaint
    assert env.count(OutboxMail) == 1  # and nobody answers it


def test_a_real_reply_reaches_the_hook_and_machine_mail_does_not(env: IngestEnv) -> None:
    env.append(sample("reply_with_token.eml"))
    env.append(sample("newsletter.eml"))
    hooks = RecordingHooks()
    env.poll_once(hooks)
    assert hooks.replies == ["Re: [LPR-2026-00042] Mohon arahan: lampu jalan mati di Jl. Ahmad Yani"]
    kinds = sorted((m.kind, m.status) for m in env.rows(Message))
    assert kinds == [("ignored", "ignored"), ("reply", "processed")]
