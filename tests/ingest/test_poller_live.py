"""The long-running poller against the real Dovecot: IDLE, a server restart, UIDVALIDITY, TLS."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from mailflow.adapters.db.models import AuditEntry, Case, MailboxState, Message
from mailflow.services.ingest.poller import PROCESSED_KEYWORD, MailboxPoller, PollTuning
from tests.ingest.builders import complaint
from tests.ingest.conftest import make_env

pytestmark = [pytest.mark.imap, pytest.mark.slow]
FAST = PollTuning(backoff_base_seconds=0.2, backoff_max_seconds=1.0)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def running(poller: MailboxPoller) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the poller did not stop"


def test_idle_delivers_a_new_complaint_without_a_poll(tmp_path, dovecot, smtp, clock) -> None:
    # A poll interval of an hour: only IDLE can bring the mail in within the wait below.
    env = make_env(tmp_path, dovecot, smtp, clock, poll_interval=3600)
    try:
        poller = env.poller(tuning=FAST)
        with running(poller):
            wait_until(poller.idling.is_set, what="IDLE")
            env.append(complaint(1))
            wait_until(lambda: env.count(Case) == 1, what="the case")
        assert poller.stats.cycles >= 2  # the first sync, then one woken by IDLE
        assert env.dovecot.uids(env.user, "INBOX") == []
    finally:
        env.app.close()


def test_the_poller_reconnects_after_a_server_restart(tmp_path, dovecot, smtp, clock) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, poll_interval=3600)
    try:
        poller = env.poller(tuning=FAST)
        with running(poller):
            wait_until(poller.idling.is_set, what="IDLE")
            env.append(complaint(1))
            wait_until(lambda: env.count(Case) == 1, what="the first case")
            dovecot.restart(down_seconds=1.0)
            wait_until(lambda: poller.stats.reconnects >= 1, what="a reconnect")
            env.append(complaint(2))
            wait_until(lambda: env.count(Case) == 2, what="the case after the restart")
        assert sorted(c.number for c in env.rows(Case)) == ["LPR-2026-00001", "LPR-2026-00002"]
    finally:
        env.app.close()


def test_a_uidvalidity_change_rescans_without_registering_anything_twice(
    tmp_path, dovecot, smtp, clock
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, mark_processed="flag")
    try:
        for i in range(5):
            env.append(complaint(i))
        env.poll_once()
        assert env.count(Case) == 5
        old = env.rows(MailboxState)[0].uidvalidity
        new = dovecot.change_uidvalidity(env.user)
        with dovecot.client(env.user) as imap:  # a migration that also lost the custom keywords
            imap.select_folder("INBOX")
            imap.remove_flags(imap.search("ALL"), [PROCESSED_KEYWORD.encode()], silent=True)
        env.append(complaint(99))

        stats = env.poll_once()

        assert env.rows(MailboxState)[0].uidvalidity == new != old
        assert stats.seen == 6  # every message is new under the new UIDVALIDITY ...
        assert env.count(Case) == 6  # ... but only the really new one became a case
        assert env.count(Message, Message.status == "duplicate") == 5
        assert env.count(AuditEntry, AuditEntry.action == "uidvalidity_changed") == 1
        assert env.poll_once().seen == 0  # all flagged as processed now
    finally:
        env.app.close()


def test_a_folder_recreated_with_the_same_mails_is_deduplicated(tmp_path, dovecot, smtp, clock) -> None:
    # the mailbox reads a non-INBOX folder that can be deleted and created again
    env = make_env(tmp_path, dovecot, smtp, clock, folder="Aduan")
    try:
        raws = [complaint(i) for i in range(3)]
        for raw in raws:
            env.append(raw, folder="Aduan")
        env.poll_once()
        dovecot.recreate_folder(env.user, "Aduan")
        for raw in [*raws, complaint(3)]:
            env.append(raw, folder="Aduan")
        env.poll_once()
        assert env.count(Case) == 4
        assert env.count(Message, Message.status == "duplicate") == 3
    finally:
        env.app.close()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_connections(tmp_path, dovecot, smtp, clock, monkeypatch, security) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.tls.cert))
    port = dovecot.tls_port if security == "tls" else dovecot.port
    env = make_env(tmp_path, dovecot, smtp, clock, security=security, imap_port=port)
    try:
        env.append(complaint(1))
        assert env.poll_once().processed == 1
        assert env.count(Case) == 1
    finally:
        env.app.close()
