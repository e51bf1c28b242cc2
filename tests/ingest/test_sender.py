"""Outbox delivery over a real SMTP server (aiosmtpd): once, retries, failures, limits, digests."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailflow.adapters.db.models import Document, OutboxMail
from mailflow.bootstrap import ingest as ingest_app
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.services.outbound.outbox import queue
from tests.fixtures.smtp import NO_SUCH_USER
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv, make_env

pytestmark = [pytest.mark.slow]  # servers and subprocesses: outside the fast subset

DOMAIN = "diskominfo.bontangkota.go.id"


def _queue(env: IngestEnv, count: int, to: str = "warga@gmail.com", **extra: object) -> list[int]:
    ids = []
    with env.db.transaction() as session:
        for i in range(count):
            mail = OutgoingMail(
                kind="notice", to_addr=to, subject=f"Pemberitahuan {i}", text=f"Isi pemberitahuan {i}",
                dedup_key=f"t:{to}:{i}", **extra,  # type: ignore[arg-type]
            )  # fmt: skip
            ids.append(queue(session, mail, now=env.app.clock.now(), domain=DOMAIN).id)
    return ids


def test_the_acknowledgement_is_delivered_once_with_its_fixed_message_id(env: IngestEnv) -> None:
    env.append(complaint(7))
    env.poll_once()
    sender = ingest_app.build_sender(env.app)
    first = sender.send_pass()
    again = sender.send_pass()
    assert (first.sent, again.sent) == (1, 0)
    [delivery] = env.smtp.deliveries
    [row] = env.rows(OutboxMail)
    assert row.status == "sent"
    assert row.raw == delivery.data  # what was sent is kept, byte for byte
    parsed = message_from_bytes(delivery.data, policy=policy.default)
    assert parsed["Message-ID"] == row.message_id
    assert delivery.rcpt_tos == ("warga7@gmail.com",)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert "LPR-2026-00001" in parsed["Subject"]


def test_transient_failures_retry_with_backoff_and_permanent_ones_fail(env: IngestEnv, clock) -> None:
    [retry_id] = _queue(env, 1, to="sabar@gmail.com")
    [refused_id] = _queue(env, 1, to="tidak.ada@gmail.com")
    env.smtp.reject("tidak.ada@gmail.com", NO_SUCH_USER)
    env.smtp.fail_next(1)
    sender = ingest_app.build_sender(env.app)
    stats = sender.send_pass()
    assert (stats.sent, stats.deferred, stats.failed) == (0, 1, 1)
    retry = env.rows(OutboxMail, OutboxMail.id == retry_id)[0]
    assert retry.status == "queued" and retry.attempts == 1 and retry.next_attempt_at > clock.now()
    refused = env.rows(OutboxMail, OutboxMail.id == refused_id)[0]
    assert refused.status == "failed" and "550" in (refused.last_error or "")
    assert sender.send_pass().sent == 0  # not due yet
    clock.advance(timedelta(seconds=5))
    assert sender.send_pass().sent == 1
    assert [d.rcpt_tos for d in env.smtp.deliveries] == [("sabar@gmail.com",)]


def test_a_letter_waiting_for_its_pdf_is_skipped_without_counting_an_attempt(
    env: IngestEnv, tmp_path: Path
) -> None:
    docx = tmp_path / "nota.docx"
    docx.write_bytes(b"PK docx")
    with env.db.transaction() as session:
        document = Document(doc_uid="MF-AAAA-BBBB-C", kind="nota_dinas", docx_path=str(docx),
                            status="generated", created_at=env.app.clock.now())  # fmt: skip
        session.add(document)
        session.flush()
        doc_id = document.id
    [mail_id] = _queue(env, 1, to="kadis@bontangkota.go.id", attachments=(AttachmentRef(document_id=doc_id),))
    sender = ingest_app.build_sender(env.app)
    assert sender.send_pass().waiting == 1
    row = env.rows(OutboxMail, OutboxMail.id == mail_id)[0]
    assert (row.status, row.attempts) == ("queued", 0)
    pdf = tmp_path / "nota.pdf"
    pdf.write_bytes(b"%PDF-1.7 nota")
    with env.db.transaction() as session:
        doc = session.get(Document, doc_id)
        assert doc is not None
        doc.pdf_path, doc.status = str(pdf), "converted"
    env.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    assert sender.send_pass().sent == 1
    parsed = message_from_bytes(env.smtp.deliveries[0].data, policy=policy.default)
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["nota_dinas_MF-AAAA-BBBB-C.pdf"]


def test_rate_limit_holds_mails_and_digests_them_after_midnight(tmp_path, dovecot, smtp, clock) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, limits="max_mails_per_address_per_day = 3")
    try:
        _queue(env, 5, to="kabid@bontangkota.go.id", reply_to="lapor+tok123456@diskominfo.bontangkota.go.id")
        sender = ingest_app.build_sender(env.app)
        stats = sender.send_pass()
        assert (stats.sent, stats.held) == (3, 2)
        assert sender.send_pass().sent == 0  # still the same day: nothing more
        clock.advance(timedelta(days=1))
        stats = sender.send_pass()
        assert (stats.digests, stats.sent) == (1, 1)
        digest = message_from_bytes(smtp.deliveries[-1].data, policy=policy.default)
        body = digest.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert "Pemberitahuan 3" in text and "Pemberitahuan 4" in text and "Pemberitahuan 0" not in text
        assert "lapor+tok123456@" in text
        statuses = sorted(r.status for r in env.rows(OutboxMail))
        assert statuses == ["digested", "digested", "sent", "sent", "sent", "sent"]
        assert sender.send_pass().digests == 0
    finally:
        env.app.close()


@pytest.mark.postgres
def test_two_senders_on_postgresql_never_send_a_row_twice(tmp_path, dovecot, smtp, clock, pg_url) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=pg_url,
                   limits="max_mails_per_address_per_day = 1000", sending="batch_size = 7")  # fmt: skip
    try:
        for n in range(6):
            _queue(env, 10, to=f"pejabat{n}@bontangkota.go.id")
        senders = [ingest_app.build_sender(env.app) for _ in range(3)]
        threads = [threading.Thread(target=lambda s=s: [s.send_pass() for _ in range(6)]) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = [d.message_id for d in smtp.deliveries]
        assert len(ids) == 60 and len(set(ids)) == 60
        assert {r.status for r in env.rows(OutboxMail)} == {"sent"}
    finally:
        env.app.close()


@pytest.mark.postgres
def test_several_senders_never_pass_the_daily_limit_of_an_address(
    tmp_path, dovecot, smtp, clock, pg_url
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=pg_url,
                   limits="max_mails_per_address_per_day = 3", sending="batch_size = 1")  # fmt: skip
    try:
        addresses = [f"kabid{n}@bontangkota.go.id" for n in range(4)]
        for address in addresses:
            _queue(env, 8, to=address)
        senders = [ingest_app.build_sender(env.app) for _ in range(4)]
        start = threading.Barrier(len(senders))

        def work(sender: object) -> None:
            start.wait()  # all four claim at the same moment
            for _ in range(8):
                sender.send_pass()  # type: ignore[attr-defined]

        threads = [threading.Thread(target=work, args=(s,)) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        delivered: dict[str, int] = {}
        for delivery in smtp.deliveries:
            for rcpt in delivery.rcpt_tos:
                delivered[rcpt] = delivered.get(rcpt, 0) + 1
        assert {a: delivered.get(a, 0) for a in addresses} == dict.fromkeys(addresses, 3)
        statuses = [r.status for r in env.rows(OutboxMail)]
        assert (statuses.count("sent"), statuses.count("held")) == (12, 20)
    finally:
        env.app.close()
