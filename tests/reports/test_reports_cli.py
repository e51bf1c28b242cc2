"""`mailflow report ...` end to end: the real command in a subprocess on a seeded starter site."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest

from mailflow.adapters.db.engine import Database
from mailflow.bootstrap import build_calendar
from mailflow.config.loader import load_config
from mailflow.config.sop_file import load_sop
from tests.cli.helpers import run_cli
from tests.reports.seed import seed_history

pytestmark = pytest.mark.slow  # every test starts the real command (about 2 s each)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("reports-cli") / "site"
    assert run_cli("init", target).returncode == 0
    config = target / "mailflow.toml"
    with config.open("a", encoding="utf-8") as handle:
        handle.write('\n[reports]\nweekly_recipients = ["admin.lapor@bontangkota.go.id"]\n')
    upgraded = run_cli("-c", config, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    settings = load_config(config, env={})
    database = Database(settings.database_url)
    seed_history(database, build_calendar(settings), load_sop(None))
    database.dispose()
    return target


def test_monthly_report_to_a_folder(site: Path, tmp_path: Path) -> None:
    result = run_cli(
        "-c", site / "mailflow.toml", "report", "monthly", "2026-12", "--out", tmp_path, "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["period"] == "2026-12"
    assert data["title"] == "Laporan Rekapitulasi Aduan Perbulan"
    xlsx = Path(data["files"]["xlsx"])
    assert xlsx.parent == tmp_path
    assert Path(data["files"]["docx"]).is_file()
    summary = [c.value for c in openpyxl.load_workbook(xlsx)["Ringkasan"][2]]
    assert summary[:3] == [6, 4, 1]


def test_daily_report_goes_under_the_data_dir(site: Path) -> None:
    result = run_cli("-c", site / "mailflow.toml", "report", "daily", "2026-12-21")
    assert result.returncode == 0, result.stderr
    assert "Laporan Identifikasi Permasalahan Aduan Perhari, Senin, 21 Desember 2026:" in result.stdout
    folder = site / "var" / "reports" / "daily" / "2026-12-21"
    assert sorted(p.name for p in folder.iterdir()) == [
        "laporan_identifikasi_aduan_harian_2026-12-21.docx",
        "laporan_identifikasi_aduan_harian_2026-12-21.xlsx",
    ]


def test_semester_and_yearly_in_english(site: Path, tmp_path: Path) -> None:
    for kind, period in (("semester", "2026-2"), ("yearly", "2026")):
        result = run_cli("-c", site / "mailflow.toml", "report", kind, period, "-o", tmp_path, "--lang", "en")
        assert result.returncode == 0, result.stderr
        assert "written:" in result.stdout
    assert (tmp_path / "semester_recap_opd_2026-S2.xlsx").is_file()
    assert (tmp_path / "yearly_report_2026.docx").is_file()


def test_a_bad_period_is_a_usage_error(site: Path) -> None:
    result = run_cli("-c", site / "mailflow.toml", "report", "semester", "2026-3")
    assert result.returncode == 2
    assert "periode '2026-3' tidak dapat dibaca untuk laporan semester; contoh: 2026-S2" in result.stderr


def test_weekly_out_and_send(site: Path, tmp_path: Path) -> None:
    config = site / "mailflow.toml"
    result = run_cli("-c", config, "report", "weekly", "2026-W52", "--out", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert sorted(files) == ["eml", "html", "png", "xlsx"]
    message = message_from_bytes(Path(files["eml"]).read_bytes(), policy=policy.default)
    assert message["To"] == "admin.lapor@bontangkota.go.id"
    assert "Minggu ke-52" in message["Subject"]
    sent = run_cli("-c", config, "report", "weekly", "2026-W52", "--send", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout) == {
        "kind": "weekly", "period": "2026-W52", "queued": ["admin.lapor@bontangkota.go.id"], "already": [],
    }  # fmt: skip
    again = run_cli("-c", config, "report", "weekly", "2026-W52", "--send")
    assert again.returncode == 0, again.stderr
    assert (
        "Email mingguan Minggu ke-52 Tahun 2026 (21–27 Desember 2026) diantrikan untuk 0 penerima."
        in again.stdout
    )
    assert "sudah pernah diantrikan" in again.stdout


def test_send_without_recipients_says_what_to_configure(site: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    assert run_cli("init", bare).returncode == 0
    result = run_cli("-c", bare / "mailflow.toml", "report", "weekly", "--send")
    assert result.returncode == 2
    assert "reports.weekly_recipients" in result.stderr
