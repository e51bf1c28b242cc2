"""Issue 14 point 1: nothing is silently dropped. Over Dovecot and the real `mailflow` command, on
SQLite and PostgreSQL:

- a site's form with its own labels (`fields:` in a rule file) and the city's web form become
  cases of the citizen, with the name, phone and address from the form;
- every ignored mail is listed with sender, subject and rule (`quarantine list --ignored`, its
  text escaped) and in the daily report;
- `quarantine retry --as-complaint` registers an ignored or a quarantined mail as a complaint,
  once however often (or concurrently) it runs, and moves a quarantined one out of Karantina.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from mailflow.adapters.db.models import AuditEntry, Case, Complainant, Message, OutboxMail, StepEvent
from mailflow.clock import ManualClock
from tests.cli.helpers import run_cli
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import BACKENDS, IngestEnv, env_on_backend
from tests.intake import mails

pytestmark = [pytest.mark.imap, pytest.mark.slow]

SITE_FORM_RULE = """\
rules:
  - name: formulir-kelurahan
    description: Formulir aduan Kelurahan Api-Api (label sendiri)
    match: {from: "layanan.api-api@bontangkota.go.id"}
    complaint: {channel: web, fields: {"Nama Warga": name, "Nomor WA": phone, "Alamat Tinggal": address}}
    continue: true
"""
QUARANTINE_RULE = """\
rules:
  - name: lampiran-berbahaya
    match: {subject: {regex: 'virus|\\.exe'}}
    action: quarantine
    reason: lampiran berbahaya
"""


@pytest.fixture(params=BACKENDS)
def env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
) -> Iterator[IngestEnv]:
    with env_on_backend(request, tmp_path, dovecot, smtp, clock) as environment:
        (environment.root / "inbox_rules" / "15-formulir-kelurahan.yaml").write_text(
            SITE_FORM_RULE, encoding="utf-8"
        )
        (environment.root / "inbox_rules" / "05-karantina.yaml").write_text(QUARANTINE_RULE, encoding="utf-8")
        yield environment


def cli_json(env: IngestEnv, *args: str) -> object:
    result = run_cli("-c", env.config, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_forms_become_cases_and_ignored_mail_is_listed_and_can_be_taken_in_once(env: IngestEnv) -> None:
    env.dovecot.append_many(
        env.user,
        [
            mails.own_labels_form(),
            mails.city_form(auto_submitted=True),
            mails.newsletter_with_reply_to(),
            mails.shop_complaint_from_info_address(),
            mails.hostile_newsletter(),
            complaint(1, subject="Hadiah.exe untuk Anda"),
        ],
    )
    env.poll_once(env.app.hooks)

    people = {p.name: p for p in env.rows(Complainant)}
    siti = people["Siti Aminah"]  # not the office that sent the form ("Layanan Aduan Kelurahan")
    assert (siti.phone, siti.address) == ("081344556677", "Gang Mawar 3, Api-Api")
    budi = people["Budi Santoso"]
    assert (budi.email, budi.address) == (
        "budi.santoso88@gmail.com",
        "Jl. Cipto Mangunkusumo RT 08, Gunung Elai",
    )
    assert env.count(Case) == 2
    # the city form's no-reply sender matched the notification rule, which may not swallow it
    [spared] = env.rows(AuditEntry, AuditEntry.action == "message_not_ignored")
    assert json.loads(spared.detail or "{}")["rules"] == ["notifikasi-layanan"]

    listed = cli_json(env, "quarantine", "list", "--ignored")
    assert isinstance(listed, list)
    assert sorted((m["from_addr"], m["rule"]) for m in listed) == [
        ("info@melati-bontang.com", "notifikasi-layanan"),
        ("noreply@tokopedia.com", "buletin-milis"),
        ("promo@belanja.example", "buletin-milis"),
    ]
    shop = next(m for m in listed if m["from_addr"] == "info@melati-bontang.com")
    assert (shop["subject"], shop["reason"]) == ("Saluran air tersumbat", "notifikasi otomatis")
    table = run_cli("-c", env.config, "quarantine", "list", "--ignored")
    assert table.returncode == 0, table.stderr
    assert "[bold red]DISKON[/] \\u202eakhir tahun" in table.stdout  # shown, neither styled nor reordered
    assert "\u202e" not in table.stdout
    assert "retry --as-complaint" in table.stdout

    report = cli_json(env, "report", "daily", "2026-11-30", "--out", str(env.root / "laporan"))
    assert isinstance(report, dict)
    sheet = openpyxl.load_workbook(report["files"]["xlsx"])["Diabaikan"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values.index(["ID Pesan", "Diterima (WITA)", "Pengirim", "Perihal", "Aturan", "Alasan"])
    assert [(r[2], r[3], r[4]) for r in values[header + 1 :] if r[0] == shop["id"]] == [
        ("info@melati-bontang.com", "Saluran air tersumbat", "notifikasi-layanan")
    ]

    taken = cli_json(env, "quarantine", "retry", "--as-complaint", str(shop["id"]))
    assert taken == {"message": shop["id"], "was": "ignored", "case": "LPR-2026-00003", "server_moved": None,
                     "server_problem": None}  # fmt: skip
    again = run_cli("-c", env.config, "quarantine", "retry", "--as-complaint", str(shop["id"]))
    assert again.returncode == 2 and "sudah menjadi aduan LPR-2026-00003" in again.stderr
    (row,) = env.rows(Message, Message.id == shop["id"])
    assert (row.status, row.kind, row.rule) == ("processed", "complaint", "aduan-warga")
    (case,) = env.rows(Case, Case.number == "LPR-2026-00003")
    assert env.count(StepEvent, StepEvent.case_id == case.id, StepEvent.step == 2) == 1  # the engine took it
    [ack] = env.rows(OutboxMail, OutboxMail.kind == "ack", OutboxMail.case_id == case.id)
    assert ack.to_addr == "info@melati-bontang.com"
    assert env.count(AuditEntry, AuditEntry.action == "message_taken_in") == 1
    still = cli_json(env, "quarantine", "list", "--ignored")
    assert isinstance(still, list) and shop["id"] not in [m["id"] for m in still]

    # a quarantined mail is taken in the same way, and its server copy leaves Karantina
    [quarantined] = env.rows(Message, Message.status == "quarantined")
    assert any(b"Hadiah.exe" in raw for raw in env.dovecot.messages(env.user, "Karantina"))
    taken = cli_json(env, "quarantine", "retry", "--as-complaint", str(quarantined.id))
    assert isinstance(taken, dict) and (taken["was"], taken["server_moved"]) == ("quarantined", 1)
    assert not any(b"Hadiah.exe" in raw for raw in env.dovecot.messages(env.user, "Karantina"))
    assert cli_json(env, "quarantine", "list") == []


def test_taking_in_runs_once_when_two_admins_do_it_at_the_same_moment(env: IngestEnv) -> None:
    env.append(mails.shop_complaint_from_info_address())
    env.poll_once(env.app.hooks)
    [row] = env.rows(Message)
    assert row.status == "ignored"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    command = [sys.executable, "-m", "mailflow", "-c", str(env.config), "quarantine", "retry",
               "--as-complaint", str(row.id)]  # fmt: skip
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
                for _ in range(3)]  # fmt: skip
    codes = sorted(child.wait(timeout=120) for child in children)
    for child in children:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        child.stderr.close()
    assert codes == [0, 2, 2]
    assert env.count(Case) == 1
    assert env.count(OutboxMail, OutboxMail.kind == "ack") == 1
    assert env.count(StepEvent, StepEvent.step == 2) == 1
