"""Exactly once, proven with real processes: kill -9 at random moments, and two pollers at once.

A crash may repeat work; it must never register a message twice, open a step twice, queue or
send a mail twice (beyond the documented SMTP window), and it must lose nothing.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailflow.adapters.db.models import Case, Message, MessageAttachment, OutboxMail, StepEvent
from mailflow.adapters.db.models import Counter as SerialCounter
from tests.fixtures.smtp import SmtpServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv, make_env
from tests.ingest.realistic import realistic_complaint

pytestmark = [pytest.mark.imap, pytest.mark.slow]


def mailflow(config: Path, *args: str) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    return subprocess.Popen(
        [sys.executable, "-m", "mailflow", "-c", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environ,
    )


def kill_repeatedly(
    config: Path,
    args: tuple[str, ...],
    rounds: int,
    rng: random.Random,
    progress: Callable[[], int] | None = None,
) -> int:
    """Start `mailflow <args>` and SIGKILL it at a random moment, `rounds` times; then let one run
    finish. Returns how many runs were really killed (not already finished).

    With `progress` (a count that grows as work is committed), the first half of the rounds kill
    a few random milliseconds after the child has committed something: the work is then spread
    over many kills however fast this machine processes it (a fixed schedule alone once let the
    child finish all the work within three kills). The other rounds kill at any moment, so start,
    fetch, commit and move are all hit."""
    kills = 0
    for round_ in range(rounds):
        before = progress() if progress is not None else 0
        child = mailflow(config, *args)
        if progress is not None and round_ < rounds // 2:
            deadline = time.monotonic() + 60
            while child.poll() is None and progress() == before and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.25))
        else:
            time.sleep(rng.uniform(0.8, 4.5))  # startup is ~2 s: kills land in start, fetch, commit, move
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.wait(timeout=60)
        assert child.stderr is not None
        child.stderr.close()
    final = mailflow(config, *args)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode(errors="replace")
    return kills


def assert_registered_exactly_once(env: IngestEnv, message_ids: set[str]) -> None:
    messages = env.rows(Message)
    assert Counter(m.message_id for m in messages) == Counter(dict.fromkeys(message_ids, 1))
    assert {m.status for m in messages} == {"processed"}
    cases = env.rows(Case)
    assert len(cases) == len(message_ids)
    assert len({c.source_message_id for c in cases}) == len(cases)
    assert sorted(c.number for c in cases) == [f"LPR-2026-{n:05d}" for n in range(1, len(cases) + 1)]
    assert env.count(StepEvent, StepEvent.step == 1) == len(cases)
    # the engine started step 2 once per case, and each mail was queued once
    assert env.count(StepEvent, StepEvent.step == 2) == len(cases)
    mails = env.rows(OutboxMail)
    assert Counter(m.kind for m in mails) == {"ack": len(cases), "action.2": len(cases)}
    assert len({m.dedup_key for m in mails}) == len(mails)
    assert len({m.case_id for m in mails if m.kind == "action.2"}) == len(cases)
    with env.db.reader() as session:
        serial = session.execute(select(func.max(SerialCounter.value))).scalar_one()
    assert serial == len(cases)  # gapless: no number was used and lost
    assert env.dovecot.uids(env.user, "INBOX") == []
    moved = env.dovecot.messages(env.user, "Diproses")
    assert len(moved) == len(message_ids)


def test_kill_9_at_random_moments_registers_every_message_exactly_once(
    tmp_path, dovecot, smtp, clock
) -> None:
    seed = int(os.environ.get("MAILFLOW_TEST_SEED", time.time()))
    rng = random.Random(seed)
    print(f"seed {seed}")
    # small batches: more commit/move boundaries for the kills to hit; no quarantine from kills;
    # the 300 step-2 mails to the IKP head are grouped (domain/pacing) in windows of 0.12 s, so
    # the kills also land while mails are bundled and grouped mails sent
    env = make_env(tmp_path, dovecot, smtp, clock, batch_size=25,
                   limits="max_attempts = 50\nmax_mails_per_address_per_day = 1000",
                   sending="group_minutes = 0.002")  # fmt: skip
    try:
        raws = [complaint(i) for i in range(300)]
        dovecot.append_many(env.user, raws)
        ids = {env_message_id(raw) for raw in raws}

        kills = kill_repeatedly(
            env.config, ("poll", "--once"), rounds=14, rng=rng, progress=lambda: env.count(Message)
        )

        print(f"{kills} kills")
        assert kills >= 5, "the child finished before most kills: the test proved too little"
        assert_registered_exactly_once(env, ids)

        # the same for delivery: every acknowledgement leaves, none twice beyond the SMTP window
        smtp.clear()
        send_kills = kill_repeatedly(env.config, ("send", "--once"), rounds=6, rng=rng)
        send_until_done(env)
        rows = env.rows(OutboxMail)
        assert {r.status for r in rows} <= {"sent", "grouped"}
        delivered = Counter(d.message_id for d in smtp.deliveries)
        assert set(delivered) == {r.message_id for r in rows if r.status == "sent"}
        repeats = sum(n - 1 for n in delivered.values())
        assert repeats <= send_kills, f"{repeats} repeated deliveries with {send_kills} kills"
        assert_each_case_in_one_mail(env, smtp)
    finally:
        env.app.close()


def test_a_kill_between_the_batch_commit_and_the_move_repeats_only_the_move(
    tmp_path, dovecot, smtp, clock
) -> None:
    # group commit: a whole batch is committed before its one MOVE; a kill right there must
    # leave it committed once, and the next pass must only move it
    env = make_env(tmp_path, dovecot, smtp, clock, batch_size=10,
                   limits="max_mails_per_address_per_day = 1000")  # fmt: skip
    try:
        raws = [realistic_complaint(i) for i in range(25)]  # photos and PDFs: files to keep
        dovecot.append_many(env.user, raws)
        ids = {env_message_id(raw) for raw in raws}
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
        child = subprocess.run(
            [sys.executable, "-m", "tests.ingest.kill_before_move_child", str(env.config)],
            capture_output=True, env=environ, timeout=300, check=False,
        )  # fmt: skip
        assert child.returncode == -signal.SIGKILL, child.stderr.decode(errors="replace")

        first = env.rows(Message)
        assert len(first) == 10  # the first batch, committed whole
        assert {(m.status, m.server_state) for m in first} == {("processed", "pending")}
        assert env.count(Case) == 10
        assert len(dovecot.uids(env.user, "INBOX")) == 25  # and not moved
        assert dovecot.uids(env.user, "Diproses") == []
        stored = env.rows(MessageAttachment)
        assert stored  # every file a committed row names is there, whole
        for attachment in stored:
            data = Path(attachment.stored_path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == attachment.sha256
        for message in first:
            assert hashlib.sha256(Path(message.raw_path).read_bytes()).hexdigest() == message.sha256

        final = mailflow(env.config, "poll", "--once")
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err.decode(errors="replace")
        assert_registered_exactly_once(env, ids)
        # the first batch was only moved, not ingested again
        assert [(m.id, m.case_id) for m in env.rows(Message)[:10]] == [(m.id, m.case_id) for m in first]
    finally:
        env.app.close()


@pytest.mark.postgres
def test_two_pollers_on_postgresql_never_register_a_message_twice(
    tmp_path, dovecot, smtp, clock, pg_url
) -> None:
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=pg_url, batch_size=20,
                   limits="max_mails_per_address_per_day = 1000")  # fmt: skip
    try:
        ids: set[str] = set()
        for round_ in range(2):
            raws = [complaint(round_ * 1000 + i) for i in range(120)]
            ids |= {env_message_id(raw) for raw in raws}
            dovecot.append_many(env.user, raws)
            first, second = mailflow(env.config, "poll", "--once"), mailflow(env.config, "poll", "--once")
            for child in (first, second):
                _, err = child.communicate(timeout=300)
                assert child.returncode == 0, err.decode(errors="replace")
        assert_registered_exactly_once(env, ids)
    finally:
        env.app.close()


def send_until_done(env: IngestEnv) -> None:
    """`send --once` until no mail waits: action mails wait for their person's grouping window."""
    for _ in range(30):
        if env.count(OutboxMail, OutboxMail.status.in_(("queued", "sending"))) == 0:
            return
        time.sleep(0.15)
        child = mailflow(env.config, "send", "--once")
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err.decode(errors="replace")
    raise AssertionError("mails still waiting after 30 passes")


def assert_each_case_in_one_mail(env: IngestEnv, smtp: SmtpServer) -> None:
    """Every case's step-2 mail reached the IKP head in exactly one mail (alone or in one grouped
    mail): a repeat after a kill is the same message again, never a second mail with the case."""
    ikp = "ikp.kominfo@bontangkota.go.id"
    cases = {case.id: case.number for case in env.rows(Case)}
    carriers: dict[str, set[str]] = {number: set() for number in cases.values()}
    for delivery in smtp.deliveries:
        if delivery.rcpt_tos != (ikp,):
            continue
        text = message_from_bytes(delivery.data, policy=policy.default).get_body(("plain",))
        assert text is not None
        for number in re.findall(r"LPR-2026-\d{5}", text.get_content()):
            carriers[number].add(delivery.message_id)
    assert {number: len(ids) for number, ids in carriers.items()} == dict.fromkeys(carriers, 1)
    groups = env.rows(OutboxMail, OutboxMail.kind == "group")
    assert groups, "no grouped mail: the test proved nothing about grouping"


def env_message_id(raw: bytes) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID")
