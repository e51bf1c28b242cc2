"""The foundation's commands end to end: init, sop, due, db upgrade, config check, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

pytestmark = [pytest.mark.slow]  # servers and subprocesses: outside the fast subset


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cli") / "site"
    result = run_cli("init", target)
    assert result.returncode == 0, result.stderr
    assert (target / "mailflow.toml").is_file()
    return target


def test_sop_prints_eleven_steps_and_the_total(site: Path) -> None:
    result = run_cli("--config", site / "mailflow.toml", "sop")
    assert result.returncode == 0, result.stderr
    assert "4 hari 8 jam 30 menit" in result.stdout
    assert "14 hari" in result.stdout
    assert "TERIMA → 6" in result.stdout and "TOLAK → ditolak" in result.stdout  # where answers lead
    data = json.loads(run_cli("--config", site / "mailflow.toml", "sop", "--json").stdout)
    assert [s["number"] for s in data["steps"]] == list(range(1, 12))
    assert data["steps"][4]["name"] == "Menerima arahan dan menyampaikan kepada pimpinan OPD"
    assert data["steps"][7]["completion"] == "signed_letter"
    assert [c["next"] for c in data["steps"][3]["commands"]] == ["terima_arahan"] * 3


def test_sop_in_english(site: Path) -> None:
    result = run_cli("--config", site / "mailflow.toml", "sop", "--lang", "en")
    assert "4 days 8 hours 30 minutes" in result.stdout


def test_config_from_environment_variable(site: Path) -> None:
    result = run_cli("sop", env={"MAILFLOW_CONFIG": str(site / "mailflow.toml")})
    assert result.returncode == 0, result.stderr


def test_due_friday_case(site: Path) -> None:
    result = run_cli("--config", site / "mailflow.toml", "due", "--step", "2", "--start", "2026-11-27 10:30")
    assert result.returncode == 0, result.stderr
    assert "Batas waktu: Senin, 30 November 2026 pukul 08.00 WITA" in result.stdout


def test_due_json_and_special_track(site: Path) -> None:
    result = run_cli(
        "-c", site / "mailflow.toml", "due", "--step", "7", "--start", "2026-03-17 15:00", "--json"
    )
    data = json.loads(result.stdout)
    assert data["due"] == "2026-03-27T11:00:00+08:00"
    special = json.loads(
        run_cli(
            "-c",
            site / "mailflow.toml",
            "due",
            "-s",
            "7",
            "--start",
            "2026-11-30T10:00+08:00",
            "--track",
            "special",
            "--json",
        ).stdout
    )
    assert special["due"] == "2026-12-18T10:00:00+08:00"


@pytest.mark.parametrize(
    "args",
    [
        ("due", "--step", "12", "--start", "2026-11-27 10:30"),
        ("due", "--step", "2", "--start", "besok pagi"),
        ("due", "--step", "2"),
        ("sop", "--bogus"),
    ],
)
def test_usage_errors_exit_2_without_traceback(site: Path, args: tuple[str, ...]) -> None:
    result = run_cli("--config", site / "mailflow.toml", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_misspelled_key_is_one_line_exit_2(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "mailflow.toml"
    text = (site / "mailflow.toml").read_text(encoding="utf-8").replace("zone_label", "zone_lable")
    config.write_text(text, encoding="utf-8")
    (tmp_path / "directory.yaml").write_text((site / "directory.yaml").read_text(encoding="utf-8"))
    result = run_cli("--config", config, "sop")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "general.zone_lable" in lines[0]
    assert "zone_label" in lines[0]  # the suggestion
    assert f"{config}:" in lines[0]


def test_bad_address_in_directory_is_one_line_exit_2(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "mailflow.toml"
    config.write_text((site / "mailflow.toml").read_text(encoding="utf-8"), encoding="utf-8")
    text = (site / "directory.yaml").read_text(encoding="utf-8")
    (tmp_path / "directory.yaml").write_text(
        text.replace("kadis.dishub@bontangkota.go.id", "kadis.dishub(at)bontangkota.go.id"), encoding="utf-8"
    )
    result = run_cli("--config", config, "config", "check")
    assert result.returncode == 2
    assert "directory.yaml" in result.stderr and "email" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_refuses_to_overwrite(site: Path) -> None:
    result = run_cli("init", site)
    assert result.returncode == 2
    assert "--force" in result.stderr


def test_db_upgrade_creates_the_sqlite_database(site: Path) -> None:
    result = run_cli("--config", site / "mailflow.toml", "db", "upgrade", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["revision"]
    assert (site / "var" / "mailflow.sqlite3").is_file()
    again = run_cli("--config", site / "mailflow.toml", "db", "current", "--json")
    assert json.loads(again.stdout)["revision"] == json.loads(again.stdout)["head"]


def test_config_check_passes_on_the_starter(site: Path) -> None:
    result = run_cli("--config", site / "mailflow.toml", "config", "check")
    assert result.returncode == 0, result.stderr
    assert "Konfigurasi sah" in result.stdout
