"""`mailflow poll --once` and `mailflow send --once` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mailflow.adapters.db.models import Case
from tests.cli.helpers import run_cli
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv

pytestmark = [pytest.mark.imap, pytest.mark.slow]


def test_poll_once_then_send_once(env: IngestEnv) -> None:
    env.append(complaint(1))
    env.append(complaint(2))
    polled = run_cli("-c", env.config, "poll", "--once")
    assert polled.returncode == 0, polled.stderr
    assert "diskominfo: 2 pesan di folder, 2 diproses" in polled.stdout
    sent = run_cli("-c", env.config, "send", "--once", "--json")
    assert sent.returncode == 0, sent.stderr
    # each complaint: the acknowledgement to the citizen; the engine's two step-2 mails to the IKP
    # head, due at the same moment, go out as one grouped mail listing both cases (domain/pacing)
    result = json.loads(sent.stdout)
    assert (result["sent"], result["grouped"]) == (3, 1)
    assert sorted(d.rcpt_tos for d in env.smtp.deliveries) == [
        ("ikp.kominfo@bontangkota.go.id",), ("warga1@gmail.com",), ("warga2@gmail.com",),
    ]  # fmt: skip
    [grouped] = [d for d in env.smtp.deliveries if d.rcpt_tos == ("ikp.kominfo@bontangkota.go.id",)]
    assert b"LPR-2026-00001" in grouped.data and b"LPR-2026-00002" in grouped.data
    again = run_cli("-c", env.config, "--verbose", "send", "--once")
    assert again.returncode == 0 and "Terkirim 0" in again.stdout


def test_unknown_mailbox_is_a_clear_error(env: IngestEnv) -> None:
    result = run_cli("-c", env.config, "poll", "--once", "--mailbox", "dishub")
    assert result.returncode == 1
    assert "tidak ada kotak surat 'dishub'" in result.stderr


def test_long_running_poll_registers_new_mail_and_stops_on_sigterm(env: IngestEnv) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "mailflow", "-c", str(env.config), "poll"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
    )
    try:
        env.append(complaint(1))
        deadline = time.monotonic() + 60
        while env.count(Case) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert env.count(Case) == 1
    finally:
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err.decode()
    assert "Berhenti." in out.decode()
