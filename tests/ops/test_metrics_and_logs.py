"""Metrics, health and logs of a real `mailflow run`, read as an operator's tools read them:
/metrics and /healthz with urllib (the metrics parsed by prometheus-client's own parser), the log
file as a person or a log collector (--log-format json) reads it, during real outages: a
dedicated Dovecot stopped and started, a dedicated aiosmtpd stopped for ~20 s with 50 mails
queued, and a part that dies until its fault (a watched folder that cannot be created) is fixed."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from mailflow.adapters.db.models import OutboxMail, StepEvent
from tests.ingest.builders import complaint, sample
from tests.ops.conftest import RunProcess, count, metrics_port, migrated, wait_until, write_site

pytestmark = [pytest.mark.imap, pytest.mark.slow]
QUARANTINE_RULE = """rules:
  - name: lampiran-berbahaya
    match: {subject: {regex: 'virus|\\.exe'}}
    action: quarantine
    reason: lampiran berbahaya
"""


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def health(base: str) -> tuple[int, dict[str, Any]]:
    status, body = get(f"{base}/healthz")
    return status, json.loads(body)


def scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, body = get(f"{base}/metrics")
    assert status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_metrics_and_healthz_follow_a_running_system_through_a_part_death_and_an_imap_outage(
    tmp_path: Path, own_dovecot, own_smtp, runs
) -> None:
    db = migrated(tmp_path)
    (tmp_path / "blocker").write_text("not a folder")  # the watched folder cannot be created yet
    config, user = write_site(
        tmp_path, own_dovecot, own_smtp,
        extra='max_restarts = 1000\npoll_max_age_seconds = 6\n\n[watcher]\nfolders = ["blocker/surat"]\n',
    )  # fmt: skip
    (tmp_path / "inbox_rules" / "05-karantina.yaml").write_text(QUARANTINE_RULE, encoding="utf-8")
    port = metrics_port()
    base = f"http://127.0.0.1:{port}"
    run = RunProcess(config, "--metrics", f"127.0.0.1:{port}")
    runs.append(run)

    # a part that keeps dying: 503 naming it, and restarts counted
    wait_until(lambda: any("bagian watcher berhenti" in x for x in run.log_lines()), 60, "the watcher to die")
    _, body = wait_until(
        lambda: (h := health(base))[0] == 503 and "bagian watcher tidak berjalan" in h[1]["problems"] and h,
        60, "a 503 naming the dead watcher",
    )  # fmt: skip
    assert body["status"] == "fail" and body["parts"]["watcher"] is False
    (tmp_path / "blocker").unlink()  # the fault is fixed: the next restart holds
    wait_until(lambda: health(base)[0] == 200, 30, "healthz 200 once the watcher runs")
    _, body = health(base)
    assert body == {
        "status": "ok", "problems": [], "parts": dict.fromkeys(body["parts"], True),
        "last_poll_seconds": {"diskominfo": body["last_poll_seconds"]["diskominfo"]},
    }  # fmt: skip
    assert set(body["parts"]) == {"poller-diskominfo", "sender", "converter", "watcher", "scheduler"}

    own_dovecot.append_many(user, [complaint(1), complaint(2), complaint(3), sample("newsletter.eml"),
                                   complaint(4, subject="Hadiah.exe untuk Anda")])  # fmt: skip
    wait_until(lambda: count(db, OutboxMail, OutboxMail.status == "sent") == 6, 60, "six mails sent")
    with db.transaction() as session:  # one case's step 2 is now past its deadline
        first = session.query(StepEvent).filter(StepEvent.step == 2).order_by(StepEvent.id).first()
        assert first is not None
        session.execute(
            update(StepEvent)
            .where(StepEvent.id == first.id)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    samples = wait_until(
        lambda: (s := scrape(base)) and value(s, "mailflow_outbox_sent_total") == 6 and s, 20, "sent counter"
    )
    assert value(samples, "mailflow_mails_ingested_total", mailbox="diskominfo", kind="complaint") == 3
    assert value(samples, "mailflow_mails_ignored_total", mailbox="diskominfo") == 1
    quarantined = {
        dict(k[1])["reason"]: v for k, v in samples.items() if k[0] == "mailflow_mails_quarantined_total"
    }
    assert sum(quarantined.values()) == 1 and "unknown" not in quarantined
    assert value(samples, "mailflow_open_cases", step="2", opd="") == 3
    assert value(samples, "mailflow_overdue_steps", step="2", opd="") == 1
    assert value(samples, "mailflow_outbox_mails", status="sent") == 6
    assert value(samples, "mailflow_quarantine_open", reason=next(iter(quarantined))) == 1
    assert value(samples, "mailflow_part_restarts_total", part="watcher") >= 1
    assert value(samples, "mailflow_part_up", part="sender") == 1
    assert value(samples, "mailflow_database_up") == 1
    assert value(samples, "mailflow_converter_restarts_total") == 0
    assert value(samples, "mailflow_mailbox_last_poll_age_seconds", mailbox="diskominfo") < 6

    # IMAP outage: the mailbox is not read -> 503 naming it; back -> recovery line, 200
    # Stopping Dovecot's master leaves an open IMAP session served for a while: kick it first,
    # so the mailbox really cannot be read
    subprocess.run([own_dovecot._doveadm(), "-c", str(own_dovecot.conf), "kick", user],
                   check=True, capture_output=True)  # fmt: skip
    own_dovecot.stop()
    down_at = time.monotonic()
    _, body = wait_until(
        lambda: (h := health(base))[0] == 503 and h, 30, "a 503 while the mailbox cannot be read"
    )
    assert any("kotak surat diskominfo terakhir berhasil dibaca" in p for p in body["problems"]), body
    time.sleep(max(0.0, 10 - (time.monotonic() - down_at)))
    own_dovecot.start()
    line = wait_until(
        lambda: [x for x in run.log_lines() if "diskominfo: koneksi IMAP pulih setelah" in x],
        60,
        "IMAP recovery",
    )
    seconds = int(line[0].split("pulih setelah ")[1].split()[0])
    assert seconds >= 8, line
    wait_until(lambda: health(base)[0] == 200, 30, "healthz 200 after the IMAP outage")
    imap_lines = [x for x in run.log_lines() if "diskominfo: IMAP tidak dapat dihubungi" in x]
    assert 1 <= len(imap_lines) <= 2, imap_lines  # one at the start, at most one summary per minute
    assert run.stop() == 0


def test_an_smtp_outage_with_50_queued_mails_gives_a_few_json_log_lines_and_a_recovery(
    tmp_path: Path, own_dovecot, own_smtp, runs
) -> None:
    db = migrated(tmp_path)
    config, user = write_site(tmp_path, own_dovecot, own_smtp)
    run = RunProcess(config, "--log-format", "json")
    runs.append(run)
    own_dovecot.append_many(user, [complaint(100)])
    wait_until(lambda: len(own_smtp.deliveries) == 2, 60, "the first two mails")

    own_smtp.stop()
    down_at = time.monotonic()
    raws = [complaint(i) for i in range(1, 26)]
    own_dovecot.append_many(user, raws)
    wait_until(lambda: count(db, OutboxMail, OutboxMail.status != "sent") == 50, 60, "50 mails queued")
    time.sleep(max(0.0, 20 - (time.monotonic() - down_at)))
    outage_seconds = time.monotonic() - down_at
    own_smtp.start()
    wait_until(lambda: count(db, OutboxMail, OutboxMail.status == "sent") == 52, 90, "all 52 mails sent")
    assert run.stop() == 0

    records = [json.loads(line) for line in run.log_lines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    sender = [r for r in records if r["logger"] == "mailflow.sender" and r["level"] != "INFO"]
    print(f"outage {outage_seconds:.1f} s; sender lines: {[r['message'] for r in sender]}")
    assert 2 <= len(sender) <= 5, sender  # not one per mail per attempt
    assert "sender: SMTP tidak dapat dihubungi" in sender[0]["message"]
    recovered = [r for r in sender if "sender: koneksi SMTP pulih setelah" in r["message"]]
    assert len(recovered) == 1 and recovered[0]["part"] == "sender"
    assert int(recovered[0]["message"].split("pulih setelah ")[1].split()[0]) >= 15
    # nothing lost, nothing twice, and the outage was not charged to the mails as attempts
    delivered = Counter(d.message_id for d in own_smtp.deliveries)
    rows = _all(db)
    assert set(delivered) == {r.message_id for r in rows} and max(delivered.values()) == 1
    assert {r.attempts for r in rows} == {1}


def _all(db):
    from sqlalchemy import select  # noqa: PLC0415

    with db.reader() as session:
        rows = list(session.execute(select(OutboxMail)).scalars())
        session.expunge_all()
        return rows
