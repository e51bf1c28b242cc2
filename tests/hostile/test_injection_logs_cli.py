"""Issue 11 point 7 (and point 5's visibility): hostile text from real mail, read over Dovecot by
the real `mailflow poll`, reaches the log file and the CLI listings only escaped.

A display name with U+202E (right-to-left override) reverses what an admin reads, a newline in
a logged value forges a log line of its own ("2026-11-30 INFO forged line"), and an ANSI escape
repaints the admin's terminal. Before, all three came out raw; a subject with Rich markup ("[/]")
also aborted `mailflow cases`, and "[auth]" vanished from it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailflow import logs
from mailflow.adapters.db.models import Case, OutboxMail
from mailflow.domain.mail import OutgoingMail
from mailflow.services.outbound.outbox import queue
from tests.cli.helpers import run_cli
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.ingest.builders import COMPLAINTS_TO
from tests.ingest.conftest import IngestEnv, make_env

pytestmark = [pytest.mark.slow, pytest.mark.imap]

RAW = ("\u202e", "\x1b", "\u2066")
FORGED = "2026-11-30 INFO forged line"
WIDE = {"COLUMNS": "400"}  # Rich tables wide enough that no escaped value is folded
QUARANTINE_RULE = """rules:
  - name: uji-karantina
    description: Karantina untuk uji
    match:
      subject: "karantina"
    action: quarantine
    reason: uji karantina
"""


@pytest.fixture
def env(tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: Any) -> Iterator[IngestEnv]:
    environment = make_env(tmp_path, dovecot, smtp, clock)
    (tmp_path / "inbox_rules" / "05-uji-karantina.yaml").write_text(QUARANTINE_RULE, encoding="utf-8")
    try:
        yield environment
    finally:
        environment.app.close()


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def thunderbird_mail(name: str, address: str, subject: str, key: str, body: str) -> bytes:
    """Shaped like Thunderbird's plain-text mail, with RFC 2047 words carrying the hostile text."""
    return (
        f"Message-ID: <{key}@thunderbird.example.net>\r\nDate: Mon, 30 Nov 2026 08:01:00 +0800\r\n"
        "MIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\nContent-Language: id\r\n"
        f"To: {COMPLAINTS_TO}\r\nFrom: {encoded(name)} <{address}>\r\nSubject: {encoded(subject)}\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def test_hostile_names_and_subjects_are_escaped_in_the_log_and_the_listings(env: IngestEnv) -> None:
    env.append(
        thunderbird_mail(
            f"Budi \u202eSantoso\n{FORGED}",
            "budi.santoso@gmail.com",
            f"Jalan rusak\n{FORGED} \x1b[31mMERAH\x1b[0m [/] [auth]",
            "aduan1",
            "Jalan di RT 03 berlubang \x1b[2J besar, mohon diperbaiki.",
        )
    )
    env.append(
        thunderbird_mail(
            "Ali \u202egnp.exe",
            "ali.karantina@gmail.com",
            f"karantina \x1b[5mKEDIP\x1b[0m\n{FORGED} \u2066isolasi",
            "karantina1",
            "Isi tidak penting.",
        )
    )
    polled = run_cli("-c", env.config, "poll", "--once")
    assert polled.returncode == 0, polled.stderr

    # `mailflow quarantine list` and `show`
    listed = run_cli("-c", env.config, "quarantine", "list", env=WIDE)
    assert listed.returncode == 0, listed.stderr
    assert "karantina \\u001b[5mKEDIP\\u001b[0m" in listed.stdout
    assert "\\u2066isolasi" in listed.stdout
    shown = run_cli("-c", env.config, "quarantine", "show", "1", env=WIDE)
    assert shown.returncode == 0, shown.stderr
    assert "karantina \\u001b[5mKEDIP\\u001b[0m" in shown.stdout
    as_json = run_cli("-c", env.config, "quarantine", "list", "--json")
    assert as_json.returncode == 0, as_json.stderr
    [item] = json.loads(as_json.stdout)
    assert "\u2066isolasi" in item["subject"]  # the stored value, exactly, once decoded
    for output in (listed.stdout, shown.stdout, as_json.stdout):
        assert not any(ch in output for ch in RAW)

    # `mailflow cases` (a failed mail is counted there) and `mailflow case`
    with env.db.transaction() as session:
        case = session.execute(select(Case)).scalar_one()
        number = case.number
        bad = OutgoingMail(kind="explain", to_addr="big bug\u202e bb@bug.com", subject="Penjelasan", text="x",
                           case_id=case.id)  # fmt: skip
        queue(session, bad, now=env.app.clock.now(), domain="diskominfo.bontangkota.go.id")
    cases = run_cli("-c", env.config, "cases", env=WIDE)
    assert cases.returncode == 0, cases.stderr
    assert "forged line \\u001b[31mMERAH" in cases.stdout  # cut at 60 characters
    assert "1 email gagal" in cases.stdout
    one = run_cli("-c", env.config, "case", number, env=WIDE)
    assert one.returncode == 0, one.stderr
    assert "\\u001b[31mMERAH\\u001b[0m [/] [auth]" in one.stdout
    assert "explain kepada big bug\\u202e bb@bug.com: invalid_to: alamat penerima tidak sah" in one.stdout
    for output in (cases.stdout, one.stdout):
        assert not any(ch in output for ch in RAW)
    as_json = run_cli("-c", env.config, "case", number, "--json")
    [failed] = json.loads(as_json.stdout)["failed_mails"]
    assert failed["to"] == "big bug\u202e bb@bug.com"
    assert "\u202e" not in as_json.stdout

    # The log file: the outbox warns about the name and subject it cleaned; values are escaped.
    # (The parser already folds the newlines of decoded headers; the formatter test below
    # forges a line through a logged value directly.)
    log_file = env.root / "var" / "logs" / "mailflow.log"
    text = log_file.read_text(encoding="utf-8")
    # the hostile display name never reached a mail: the parser keeps it only escaped (point 2)
    acks = [m for m in env.rows(OutboxMail) if m.to_addr == "budi.santoso@gmail.com"]
    assert acks and all(m.to_name is None for m in acks)
    assert "Jalan rusak 2026-11-30 INFO forged line \\u001b[31mMERAH\\u001b[0m [/] [auth]" in text
    assert not any(ch in text for ch in RAW)
    assert not any(line.startswith(FORGED) for line in text.splitlines())


def test_rules_check_escapes_what_the_sample_brings(env: IngestEnv, tmp_path: Path) -> None:
    sample = tmp_path / "aduan\u202elmth.eml"
    sample.write_bytes(
        thunderbird_mail("Ali \u202egnp.exe", "ali@gmail.com", "karantina \x1b[31m", "sample", "Isi.")
    )
    result = run_cli("-c", env.config, "rules", "check", sample, env=WIDE)
    assert result.returncode == 0, result.stderr
    assert "aduan\\u202elmth.eml" in result.stdout
    assert "uji-karantina" in result.stdout
    assert not any(ch in result.stdout for ch in RAW)


def test_the_log_formatter_escapes_messages_and_keeps_tracebacks_readable(tmp_path: Path) -> None:
    path = logs.add_file(tmp_path)
    assert path is not None
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "baseFilename", None) == str(path))
    try:
        log = logging.getLogger("mailflow.test")
        log.warning("reply from %s refused", f"x@y.com\n{FORGED} \x1b[31m\u202e")
        try:
            raise ValueError("subject \u202e\x1b[0m")
        except ValueError:
            log.exception("processing failed")
        handler.flush()
    finally:
        root.removeHandler(handler)
        handler.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(f"reply from x@y.com\\n{FORGED} \\u001b[31m\\u202e refused")
    assert lines[1].endswith("processing failed")
    assert lines[2] == "Traceback (most recent call last):"  # the traceback keeps its lines
    assert lines[-1] == "ValueError: subject \\u202e\\u001b[0m"
    assert not any(line.startswith(FORGED) for line in lines)
