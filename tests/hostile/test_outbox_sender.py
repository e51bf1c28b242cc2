"""Issue 11 point 5: no single mail can stop the sender (real aiosmtpd, real Dovecot for ingest).

Before: a complaint From `Big Bug bb@bug.com` queued an acknowledgement to "big bug bb@bug.com";
building it raised, every `send_pass` ended there, `mailflow send` exited 1 and the sender thread
of `mailflow run` died, and every mail queued behind it stayed queued for ever.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from mailflow.adapters.db.models import OutboxMail
from mailflow.bootstrap import ingest as ingest_app
from mailflow.domain.mail import AttachmentRef, OutgoingMail
from mailflow.services.outbound.outbox import make_message_id, queue
from mailflow.services.outbound.sender import SendTuning
from tests.cli.helpers import run_cli
from tests.conftest import new_pg_database
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.ingest.builders import COMPLAINTS_TO
from tests.ingest.conftest import IngestEnv, make_env

pytestmark = [pytest.mark.slow, pytest.mark.imap]
DOMAIN = "diskominfo.bontangkota.go.id"


@pytest.fixture
def env(tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: Any) -> Iterator[IngestEnv]:
    environment = make_env(tmp_path, dovecot, smtp, clock)
    try:
        yield environment
    finally:
        environment.app.close()


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def raw_complaint(from_header: str, key: str, subject: str = "Jalan rusak di RT 03") -> bytes:
    """A plain mail as a web-mail client sends it, with the From header exactly as given."""
    return (
        f"From: {from_header}\r\nTo: {COMPLAINTS_TO}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{key}@mail.example.net>\r\nDate: Mon, 30 Nov 2026 08:00:00 +0800\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Selamat pagi, jalan di RT 03 berlubang besar dan sudah dua motor jatuh.\r\n"
    ).encode()


def legacy_row(env: IngestEnv, **values: Any) -> int:
    """A row as an older mailflow queued it, without any check (an existing database)."""
    now = env.app.clock.now()
    fields: dict[str, Any] = {
        "message_id": make_message_id(DOMAIN),
        "kind": "ack",
        "to_addr": "warga@gmail.com",
        "subject": "[LPR-2026-00001] Aduan Anda telah kami terima",
        "text_body": "Terima kasih.",
        "language": "id",
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now - timedelta(hours=1),  # first in line
        "created_at": now - timedelta(hours=1),
    }
    fields.update(values)
    with env.db.transaction() as session:
        row = OutboxMail(**fields)
        session.add(row)
        session.flush()
        return row.id


def queue_many(env: IngestEnv, count: int, **extra: Any) -> list[int]:
    ids = []
    with env.db.transaction() as session:
        for i in range(count):
            mail = OutgoingMail(
                kind="notice", to_addr=f"pejabat{i % 40}@bontangkota.go.id", subject=f"Pemberitahuan {i}",
                text=f"Isi pemberitahuan {i}", dedup_key=f"many:{i}", **extra,
            )  # fmt: skip
            ids.append(queue(session, mail, now=env.app.clock.now(), domain=DOMAIN).id)
    return ids


def row(env: IngestEnv, outbox_id: int) -> OutboxMail:
    [found] = env.rows(OutboxMail, OutboxMail.id == outbox_id)
    return found


def test_hostile_froms_never_reach_the_outbox_as_recipients_and_the_rest_is_delivered(env: IngestEnv) -> None:
    env.append(raw_complaint("Big Bug bb@bug.com", "bigbug"))
    env.append(raw_complaint(encoded("Ali \u202egnp.exe") + " <ali@gmail.com>", "bidi"))
    env.append(raw_complaint("Siti Rahma <siti.rahma@gmail.com>", "siti"))
    env.poll_once()
    stats = ingest_app.build_sender(env.app).send_pass()  # raised InvalidHeaderDefect before
    rows = env.rows(OutboxMail)
    for outbox in rows:
        if outbox.status == "failed":
            assert (outbox.last_error or "").startswith("invalid_to: alamat penerima tidak sah")
        else:
            assert outbox.status == "sent", (outbox.to_addr, outbox.status)
    assert not any(r.to_addr == "big bug bb@bug.com" and r.status != "failed" for r in rows)
    recipients = sorted(r for d in env.smtp.deliveries for r in d.rcpt_tos)
    # `Big Bug bb@bug.com` is read as the one valid address it holds (the acknowledgement may go
    # there; the MIME side never trusts it as an identity); the bidi name never reaches a header
    assert recipients == ["ali@gmail.com", "bb@bug.com", "siti.rahma@gmail.com"]
    assert stats.sent == 3
    for delivery in env.smtp.deliveries:
        [to] = message_from_bytes(delivery.data, policy=policy.default)["To"].addresses
        assert "\u202e" not in str(to) and "\u202e" not in delivery.data.decode("utf-8", "replace")
        if to.addr_spec == "ali@gmail.com":
            assert to.display_name == ""  # a name with bidi controls is never used (issue 11 point 2)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_five_hundred_mails_behind_poisoned_rows_are_all_delivered(
    tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: Any, backend: str, request: Any
) -> None:
    url = None
    if backend == "postgres":
        url = new_pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=url,
                   limits="max_mails_per_address_per_day = 1000",
                   sending="batch_size = 50\nmax_attempts = 3")  # fmt: skip
    try:
        invalid_to = legacy_row(env, to_addr="big bug bb@bug.com")
        unbuildable = legacy_row(env, message_id="<poison\n@bug.com>", to_name="Ali \u202egnp.exe")
        vanished = tmp_path / "lampiran.pdf"
        vanished.write_bytes(b"%PDF-1.7 lampiran")
        [missing_file] = queue_many(env, 1, attachments=(AttachmentRef(path=str(vanished)),))
        vanished.unlink()  # the file went away after the mail was queued
        good = queue_many(env, 520)[1:]  # many:0 is the mail with the attachment above
        started = time.monotonic()
        stats = ingest_app.build_sender(env.app).send_pass()
        elapsed = time.monotonic() - started
        assert (stats.sent, stats.failed, stats.deferred) == (519, 2, 1), elapsed
        assert len(smtp.deliveries) == 519
        assert {r.status for r in env.rows(OutboxMail, OutboxMail.id.in_(good))} == {"sent"}
        first = row(env, invalid_to)
        assert first.status == "failed"
        assert first.last_error == "invalid_to: alamat penerima tidak sah: big bug bb@bug.com"
        second = row(env, unbuildable)
        assert second.status == "failed"
        assert (second.last_error or "").startswith("unbuildable: email tidak dapat disusun: ValueError")
        third = row(env, missing_file)
        assert (third.status, third.attempts) == ("queued", 1)  # an attempt, retried with backoff
        assert (third.last_error or "").startswith("unreadable: lampiran tidak dapat dibaca")
        # the failed ones are never claimed again; the vanished file fails after max_attempts
        for _ in range(3):
            clock.advance(timedelta(minutes=5))
            ingest_app.build_sender(env.app).send_pass()
        assert row(env, missing_file).status == "failed"
        assert (row(env, invalid_to).attempts, row(env, unbuildable).attempts) == (1, 1)
        assert len(smtp.deliveries) == 519
    finally:
        env.app.close()


def test_mailflow_send_exits_0_with_a_poisoned_row(env: IngestEnv) -> None:
    legacy_row(env, to_addr="big bug bb@bug.com")
    queue_many(env, 3)
    result = run_cli("--config", env.config, "send", "--once", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["sent"], stats["failed"]) == (3, 1)


def test_the_sender_thread_of_mailflow_run_survives_a_poisoned_row(env: IngestEnv) -> None:
    sender = ingest_app.build_sender(env.app, SendTuning(idle_seconds=0.05))
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), daemon=True)
    legacy_row(env, to_addr="big bug bb@bug.com")
    legacy_row(env, message_id="<poison\n@bug.com>")
    queue_many(env, 2)
    thread.start()
    try:
        _wait(lambda: len(env.smtp.deliveries) == 2)
        assert thread.is_alive()
        with env.db.transaction() as session:  # later mail still goes out: the loop goes on
            later = OutgoingMail(kind="notice", to_addr="kabid@bontangkota.go.id", subject="Nanti", text="x")
            queue(session, later, now=env.app.clock.now(), domain=DOMAIN)
        _wait(lambda: len(env.smtp.deliveries) == 3)
        assert thread.is_alive()
        # the server's 250 comes before the sender records `sent`: wait for the record too
        _wait(
            lambda: (
                sorted(r.status for r in env.rows(OutboxMail)) == ["failed", "failed", "sent", "sent", "sent"]
            )
        )
    finally:
        stop.set()
        thread.join(timeout=30)


def _wait(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
