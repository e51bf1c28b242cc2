"""`mailflow demo` as a newcomer runs it: the embedded pymap and SMTP servers, the exit code, the
DOCX-only mode without LibreOffice, and `--keep` serving a real client while `mailflow run`'s
parts (pollers with IDLE, sender, converter, watcher, scheduler) work on a live clock."""

from __future__ import annotations

import imaplib
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mailflow.adapters.db.models import Case, Document
from mailflow.demo.runner import DemoRunner
from tests.cli.helpers import run_cli

pytestmark = [pytest.mark.slow]


def test_without_libreoffice_letters_are_docx_and_the_case_still_closes(tmp_path: Path) -> None:
    runner = DemoRunner(tmp_path / "demo", convert=False)
    try:
        runner.start()
        outcome = runner.play({"A"})
        assert outcome.problems == []
        assert not outcome.converted
        assert runner.app is not None
        with runner.app.database.reader() as session:
            documents = session.execute(select(Document)).scalars().all()
        generated = [d for d in documents if d.kind != "surat_tanggapan_ttd"]
        assert {d.status for d in generated} == {"pdf_failed"} and all(d.pdf_path is None for d in generated)
        assert [d.status for d in documents if d.kind == "surat_tanggapan_ttd"] == ["signed"]
    finally:
        runner.stop()


def test_a_case_off_its_expected_end_is_reported(tmp_path: Path) -> None:
    runner = DemoRunner(tmp_path / "demo", convert=False)
    try:
        runner.start()
        assert runner.play({"E"}).problems == []
        assert runner.app is not None
        with runner.app.database.transaction() as session:
            session.execute(update(Case).values(status="open"))
        runner.check()
        assert runner.outcome.problems == [f"{runner.outcome.numbers['E']}: status open, expected rejected"]
    finally:
        runner.stop()


def test_the_cli_demo_runs_to_its_summary(tmp_path: Path) -> None:
    result = run_cli(
        "demo", tmp_path / "demo", "--cases", "E,A", "--no-pdf", env={"COLUMNS": "140"}, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "LibreOffice" in result.stderr  # said once: DOCX only
    assert "Selesai: semua aduan mencapai keadaan akhir yang diharapkan." in result.stdout
    assert "terlambat 35 menit" in result.stdout  # step 4 of the worked example
    assert ".eml" in result.stdout and (tmp_path / "demo" / "laporan" / "mingguan").is_dir()
    bad = run_cli("demo", tmp_path / "other", "--cases", "Z")
    assert bad.returncode == 2 and "Z" in bad.stderr
    # the site the demo left behind answers the case commands
    config = tmp_path / "demo" / "mailflow.toml"
    cases = json.loads(run_cli("-c", config, "cases", "--json").stdout)
    assert {c["number"]: c["status"] for c in cases} == {
        "LPR-2026-00001": "closed",
        "LPR-2026-00002": "rejected",
    }
    timeline = json.loads(run_cli("-c", config, "case", "LPR-2026-00001", "--json").stdout)
    steps = {(s["step"], s["opd"]): s for s in timeline["steps"]}
    assert (
        len(steps) == 11
        and steps[(4, None)]["late_seconds"] == 35 * 60
        and steps[(4, None)]["on_time"] is False
    )
    assert steps[(8, "DISHUB")]["business_seconds"] == 250 * 60
    assert [d["kind"] for d in timeline["documents"]].count("surat_tanggapan_ttd") == 1
    table = run_cli("-c", config, "case", "LPR-2026-00001", env={"COLUMNS": "200"})
    assert "terlambat 35 menit" in table.stdout and "tepat waktu" in table.stdout
    assert run_cli("-c", config, "cases", "--open").stdout.strip() == "Tidak ada aduan."
    missing = run_cli("-c", config, "case", "LPR-2026-09999")
    assert missing.returncode == 1 and "tidak ditemukan" in missing.stderr


def test_keep_serves_a_mail_client_and_runs_the_live_system(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")} | {"COLUMNS": "200"}
    child = subprocess.Popen(
        [sys.executable, "-m", "mailflow", "demo", str(tmp_path / "demo"), "--cases", "E", "--no-pdf", "--keep"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        lines = []
        while True:  # until the connection instructions are complete (their last line)
            line = child.stdout.readline()
            lines.append(line)
            if line.startswith("Aduan baru") or not line:
                break
        text = "".join(lines)
        imap_port = int(re.search(r"IMAP\s+127\.0\.0\.1 port (\d+)", text).group(1))  # type: ignore[union-attr]
        smtp_port = int(re.search(r"SMTP\s+127\.0\.0\.1 port (\d+)", text).group(1))  # type: ignore[union-attr]
        complaint = EmailMessage()
        complaint["From"] = "Warga Bontang <warga.live@gmail.com>"
        complaint["To"] = "lapor@diskominfo.bontangkota.go.id"
        complaint["Subject"] = "Sampah menumpuk di TPS Jl. Imam Bonjol"
        complaint.set_content("Sampah di TPS Jl. Imam Bonjol sudah tiga hari tidak diangkut. Mohon dibantu.")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            smtp.send_message(complaint)
        found = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not found:
            time.sleep(1)
            imap = imaplib.IMAP4("127.0.0.1", imap_port)
            imap.login("lapor@diskominfo.bontangkota.go.id", "demo-lapor")
            imap.select("Petugas", readonly=True)
            _, data = imap.search(None, "SUBJECT", '"LPR-2026-00002"')
            found = data[0].split()
            imap.logout()
        assert found, "the live system did not register and answer the new complaint"
    finally:
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
