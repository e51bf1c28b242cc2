"""Poison isolation: a message that keeps failing is quarantined (row, reason, IMAP folder) and
the loop goes on; `mailflow quarantine list|show|retry` works on it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from mailflow.adapters.db.models import Case, Message, QuarantineItem
from mailflow.errors import PolicyError
from tests.cli.helpers import run_cli
from tests.ingest.builders import complaint
from tests.ingest.conftest import make_env

pytestmark = [pytest.mark.slow, pytest.mark.imap]


class PoisonHooks:
    """The engine's seam, failing on purpose for one kind of case (a real failure inside the
    message's transaction; no mock of anything mailflow uses)."""

    def case_registered(self, session, case, now) -> None:
        if "RACUN" in case.subject:
            raise RuntimeError("engine cannot start step 2 for this case")
        if "TOLAK" in case.subject:
            raise PolicyError("sender not allowed", code="policy")

    def handle_reply(self, session, message, inbound, now) -> None:
        return None


@pytest.mark.slow
def test_a_failing_message_is_quarantined_after_max_attempts_and_the_loop_goes_on(
    tmp_path, dovecot, smtp, clock
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, limits="max_attempts = 3")
    try:
        env.append(complaint(1, subject="Aduan RACUN"))
        env.append(complaint(2))
        env.append(complaint(3, subject="Aduan TOLAK"))
        hooks = PoisonHooks()
        env.poll_once(hooks)
        [poison] = env.rows(Message, Message.subject == "Aduan RACUN")
        assert (poison.status, poison.attempts) == ("received", 1)
        assert "engine cannot start step 2" in (poison.last_error or "")
        assert env.count(Case) == 1  # complaint 2 went on; the failed case was rolled back
        [policy] = env.rows(Message, Message.subject == "Aduan TOLAK")
        assert policy.status == "quarantined" and (policy.quarantine_reason or "").startswith("policy:")

        env.append(complaint(4))
        env.poll_once(hooks)
        env.poll_once(hooks)

        [poison] = env.rows(Message, Message.subject == "Aduan RACUN")
        assert (poison.status, poison.attempts) == ("quarantined", 3)
        assert (poison.quarantine_reason or "").startswith("failed: RuntimeError")
        assert env.count(Case) == 2
        assert env.count(QuarantineItem) == 2
        assert len(dovecot.uids(env.user, "Karantina")) == 2
        assert dovecot.uids(env.user, "INBOX") == []

        listed = run_cli("-c", env.config, "quarantine", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        items = json.loads(listed.stdout)
        assert sorted(i["subject"] for i in items) == ["Aduan RACUN", "Aduan TOLAK"]
        item = next(i for i in items if i["subject"] == "Aduan RACUN")
        shown = run_cli("-c", env.config, "quarantine", "show", str(item["id"]))
        assert shown.returncode == 0 and "RuntimeError" in shown.stdout and "Karantina" not in shown.stderr

        retried = run_cli("-c", env.config, "quarantine", "retry", str(item["id"]), "--json")
        assert retried.returncode == 0, retried.stderr
        result = json.loads(retried.stdout)
        assert result["status"] == "processed" and result["case"] == "LPR-2026-00003"
        assert result["server_moved"] == 1 and result["server_problem"] is None
        left = json.loads(run_cli("-c", env.config, "quarantine", "list", "--json").stdout)
        assert [i["subject"] for i in left] == ["Aduan TOLAK"]
        # the mail client shows the same: only the still-quarantined message stays in Karantina
        assert [b"Aduan TOLAK" in raw for raw in dovecot.messages(env.user, "Karantina")] == [True]
        assert sum(b"Aduan RACUN" in raw for raw in dovecot.messages(env.user, "Diproses")) == 1
    finally:
        env.app.close()


def test_a_rule_can_quarantine_at_once(tmp_path, dovecot, smtp, clock) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock)
    try:
        (env.root / "inbox_rules" / "05-karantina.yaml").write_text(
            "rules:\n"
            "  - name: lampiran-berbahaya\n"
            "    match: {subject: {regex: 'virus|\\.exe'}}\n"
            "    action: quarantine\n"
            "    reason: lampiran berbahaya\n",
            encoding="utf-8",
        )
        env.append(complaint(1, subject="Hadiah.exe untuk Anda"))
        env.poll_once()
        [message] = env.rows(Message)
        assert (message.status, message.rule) == ("quarantined", "lampiran-berbahaya")
        assert message.quarantine_reason == "rule: lampiran berbahaya"
        assert len(dovecot.uids(env.user, "Karantina")) == 1
    finally:
        env.app.close()


def test_a_retried_message_leaves_karantina_flagged_and_is_not_ingested_again(
    tmp_path, dovecot, smtp, clock
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, mark_processed="flag")
    try:
        rule = env.root / "inbox_rules" / "05-karantina.yaml"
        rule.write_text(
            "rules:\n"
            "  - name: tahan-dulu\n"
            "    match: {subject: {contains: 'Lampu'}}\n"
            "    action: quarantine\n"
            "    reason: periksa manual\n",
            encoding="utf-8",
        )
        raw = complaint(1, subject="Lampu jalan mati di Jl. Ahmad Yani")
        env.append(raw)
        env.poll_once()
        assert len(dovecot.uids(env.user, "Karantina")) == 1
        # another message reusing the Message-ID (different bytes) must stay where it is
        decoy = raw.replace(b"Lampu jalan mati", b"Lampu taman mati")
        env.dovecot.append(env.user, decoy, folder="Karantina")

        rule.unlink()  # the admin decided the message is a normal complaint after all
        [item] = json.loads(run_cli("-c", env.config, "quarantine", "list", "--json").stdout)
        retried = run_cli("-c", env.config, "quarantine", "retry", str(item["id"]), "--json")
        assert retried.returncode == 0, retried.stderr
        result = json.loads(retried.stdout)
        assert (result["status"], result["server_moved"]) == ("processed", 1)
        assert [b"Lampu taman" in m for m in dovecot.messages(env.user, "Karantina")] == [True]
        assert [b"Lampu jalan" in m for m in dovecot.messages(env.user, "INBOX")] == [True]

        env.poll_once()  # carries the processed keyword: the poller must not take it as new mail
        assert env.count(Message) == 1
        assert env.count(Case) == 1
    finally:
        env.app.close()


def test_a_retry_says_so_when_the_server_copy_cannot_be_moved(tmp_path, dovecot, smtp, clock) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock)
    try:
        rule = env.root / "inbox_rules" / "05-karantina.yaml"
        rule.write_text(
            "rules:\n  - name: tahan\n    match: {subject: {contains: 'Lampu'}}\n    action: quarantine\n",
            encoding="utf-8",
        )
        env.append(complaint(1, subject="Lampu jalan mati"))
        env.poll_once()
        rule.unlink()
        # the mailbox's server is gone by the time the admin retries (a closed port: a real refusal)
        config = env.config.read_text(encoding="utf-8").replace(f"port = {dovecot.port}", "port = 9")
        env.config.write_text(config, encoding="utf-8")
        [item] = json.loads(run_cli("-c", env.config, "quarantine", "list", "--json").stdout)
        retried = run_cli("-c", env.config, "quarantine", "retry", str(item["id"]))
        assert retried.returncode == 0, retried.stderr
        assert "status pesan processed" in retried.stdout
        assert "tetap di folder Karantina" in retried.stderr
        assert len(dovecot.uids(env.user, "Karantina")) == 1
        assert env.count(Case) == 1
    finally:
        env.app.close()


def test_a_message_that_kills_the_process_is_quarantined_and_the_rest_go_on(
    tmp_path, dovecot, smtp, clock
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, limits="max_attempts = 2")
    try:
        env.append(complaint(1))
        env.append(complaint(2, subject="Aduan MATI"))
        env.append(complaint(3))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
        codes = []
        for _ in range(4):
            child = subprocess.run(
                [sys.executable, "-m", "tests.ingest.crash_child", str(env.config)],
                capture_output=True, env=environ, timeout=120, check=False,
            )  # fmt: skip
            codes.append(child.returncode)
            if child.returncode == 0:
                break
        # died on it, died again (attempt 1 counted), then attempt 2 = max_attempts: set aside
        assert codes == [-signal.SIGKILL, -signal.SIGKILL, 0]
        [dead] = env.rows(Message, Message.subject == "Aduan MATI")
        assert (dead.status, dead.attempts) == ("quarantined", 2)
        assert (dead.quarantine_reason or "").startswith("crashed: proses mailflow berhenti mendadak")
        assert dead.from_addr == "warga2@gmail.com"
        assert sorted(c.subject for c in env.rows(Case)) == [
            "Jalan berlubang di RT 001 Kelurahan Api-Api",
            "Jalan berlubang di RT 003 Kelurahan Api-Api",
        ]
        assert [b"Aduan MATI" in raw for raw in dovecot.messages(env.user, "Karantina")] == [True]
        assert dovecot.uids(env.user, "INBOX") == []
        assert list((env.root / "var" / "inflight").glob("*.json")) == []
    finally:
        env.app.close()
