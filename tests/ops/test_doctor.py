"""`mailflow doctor` against the real servers: a healthy site passes every check, and each broken
variant fails (or warns) on the line it should, saying what to do, quickly."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import head_revision, upgrade
from mailflow.bootstrap import App
from mailflow.config.loader import load_config
from mailflow.services.operations.doctor import Doctor, DoctorOptions, Report
from tests.cli.helpers import run_cli
from tests.conftest import new_pg_database
from tests.fixtures.mail_servers import unique_address
from tests.fixtures.ports import free_port
from tests.ops.doctor_site import delivering_smtp, doctor_site, root_certificate

pytestmark = [pytest.mark.slow, pytest.mark.imap]
QUICK = {"converter"}  # LibreOffice takes seconds to start: only the full runs below include it


def lines(report: Report, check: str, status: str | None = None) -> list[str]:
    return [
        f"{f.subject}: {f.message} / {f.hint}"
        for f in report.findings
        if f.check == check and (status is None or f.status == status)
    ]


def statuses(report: Report) -> set[str]:
    return {f.status for f in report.findings}


def doctor(config: Path, *, skip: set[str] = QUICK, probe_wait: float = 10.0, **options) -> Report:
    app = App(settings=load_config(config, env={}))
    try:
        return Doctor(
            app.settings,
            app.database,
            DoctorOptions(skip=frozenset(skip), probe_wait=probe_wait, timeout=5, **options),
        ).run()
    finally:
        app.close()


def migrated_sqlite(root: Path) -> str:
    url = f"sqlite:///{root / 'var' / 'mailflow.sqlite3'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    return url


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    return tmp_path / "site"


def healthy(site_root: Path, dovecot, smtp_port: int, **options) -> tuple[Path, str]:
    user = dovecot.add_user(unique_address())
    options.setdefault("database_url", migrated_sqlite(site_root))
    valid = root_certificate(
        site_root.parent / "bsre.pem",
        not_before=datetime.now(UTC) - timedelta(days=30),
        not_after=datetime.now(UTC) + timedelta(days=3650),
    )
    options.setdefault("trust_roots", [valid])
    return doctor_site(site_root, user=user, dovecot=dovecot, smtp_port=smtp_port, **options), user


@pytest.mark.slow
@pytest.mark.libreoffice
def test_a_healthy_site_passes_every_check_and_leaves_no_probe_behind(site_root, dovecot) -> None:
    with delivering_smtp(dovecot) as (port, smtp):
        config, user = healthy(site_root, dovecot, port)
        report = doctor(config, skip=set(), send_to="admin.lapor@bontangkota.go.id")

    assert report.ok, [f for f in report.findings if f.status != "ok"]
    assert statuses(report) == {"ok"}
    checks = {f.check for f in report.findings}
    assert checks == {"database", "secret", "templates", "trust", "converter", "smtp", "mailboxes", "clock"}
    assert any("alamat plus" in line for line in lines(report, "mailboxes", "ok"))  # Indonesian
    assert any("Diproses" in line and "dibuat" in line for line in lines(report, "mailboxes"))
    probe = [r for r, _ in smtp.received if "+probe" in r]
    assert len(probe) == 1 and probe[0].startswith(user.split("@")[0] + "+probe")
    assert "admin.lapor@bontangkota.go.id" in [r for r, _ in smtp.received]
    assert dovecot.messages(user, "INBOX") == []  # the probe was deleted once found
    assert dovecot.uids(user, "Diproses") == [] and dovecot.uids(user, "Karantina") == []


@pytest.mark.postgres
def test_on_postgresql_an_unmigrated_database_fails_with_what_to_do(site_root, dovecot, pg_cluster) -> None:
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    name = f"kosong_{int(time.time() * 1000)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    config, _ = healthy(site_root, dovecot, free_port(), database_url=pg_cluster.url(name))

    report = doctor(config, skip={"converter", "smtp", "mailboxes"})

    assert not report.ok
    assert lines(report, "database", "fail") == [
        f"postgresql+psycopg://postgres@127.0.0.1:{pg_cluster.port}/{name}: "
        f"skema basis data revisi -, yang terbaru {head_revision()} / jalankan `mailflow db upgrade`"
    ]


@pytest.mark.postgres
def test_on_postgresql_a_migrated_database_passes(site_root, dovecot, pg_cluster, pg_template) -> None:
    config, _ = healthy(
        site_root, dovecot, free_port(), database_url=new_pg_database(pg_cluster, pg_template)
    )
    report = doctor(config, skip={"converter", "smtp", "mailboxes"})
    assert [f.status for f in report.findings if f.check == "database"] == ["ok"]


def test_an_unmigrated_sqlite_database_fails(site_root, dovecot) -> None:
    config, _ = healthy(
        site_root, dovecot, free_port(), database_url=f"sqlite:///{site_root / 'baru.sqlite3'}"
    )
    report = doctor(config, skip={"converter", "smtp", "mailboxes"})
    assert len(lines(report, "database", "fail")) == 1
    assert "mailflow db upgrade" in lines(report, "database", "fail")[0]


@pytest.mark.slow
def test_a_wrong_imap_password_fails_the_mailbox_but_not_the_rest(site_root, dovecot) -> None:
    with delivering_smtp(dovecot) as (port, _smtp):
        config, _ = healthy(site_root, dovecot, port, imap_password="salah")
        report = doctor(config)
    failed = lines(report, "mailboxes", "fail")
    assert len(failed) == 1 and "menolak login" in failed[0] and "MAILFLOW_MAILBOX_" in failed[0]
    assert lines(report, "smtp", "ok")  # SMTP itself was fine
    assert not report.ok


def test_a_wrong_smtp_password_fails_smtp_and_leaves_the_probe_untested(site_root, dovecot) -> None:
    with delivering_smtp(dovecot) as (port, _smtp):
        config, _ = healthy(site_root, dovecot, port, smtp_password="salah")
        report = doctor(config)
    assert "SMTP login refused" in lines(report, "smtp", "fail")[0]
    assert any("alamat plus tidak diuji" in line for line in lines(report, "mailboxes", "warn"))
    assert any("tidak dibandingkan" in line for line in lines(report, "clock", "warn"))


def test_unreachable_servers_fail_within_the_timeout(site_root, dovecot) -> None:
    config, _ = healthy(site_root, dovecot, free_port(), imap_port=free_port())
    started = time.monotonic()
    report = doctor(config)
    assert time.monotonic() - started < 10
    assert "smtp.port" in lines(report, "smtp", "fail")[0]
    assert "tidak dapat dihubungi" in lines(report, "mailboxes", "fail")[0]


@pytest.mark.slow
def test_a_mailbox_that_does_not_receive_plus_addresses_fails_with_the_fix(site_root, dovecot) -> None:
    with delivering_smtp(dovecot, plus=False) as (port, smtp):
        config, _ = healthy(site_root, dovecot, port)
        started = time.monotonic()
        report = doctor(config, probe_wait=2)
    assert time.monotonic() - started < 10
    failed = lines(report, "mailboxes", "fail")
    assert len(failed) == 1 and "tidak sampai" in failed[0] and "recipient_delimiter" in failed[0]
    assert len(smtp.received) == 1  # the probe was sent (and went elsewhere)


def test_a_server_clock_far_off_is_a_failure(site_root, dovecot) -> None:
    with delivering_smtp(dovecot, clock_offset=timedelta(minutes=-10)) as (port, _smtp):
        config, _ = healthy(site_root, dovecot, port)
        report = doctor(config)
    skew = lines(report, "clock", "fail")
    assert len(skew) == 1 and "berselisih" in skew[0] and "timedatectl" in skew[0]
    assert 590 <= int(skew[0].split("berselisih ")[1].split()[0]) <= 620


def test_trust_roots_expired_and_expiring(site_root, dovecot) -> None:
    now = datetime.now(UTC)
    expired = root_certificate(
        site_root.parent / "lama.pem", not_before=now - timedelta(days=900), not_after=now - timedelta(days=1)
    )
    soon = root_certificate(
        site_root.parent / "hampir.pem",
        not_before=now - timedelta(days=300),
        not_after=now + timedelta(days=20),
    )
    config, _ = healthy(site_root, dovecot, free_port(), trust_roots=[expired, soon])
    report = doctor(config, skip={"converter", "smtp", "mailboxes", "clock"})
    assert (
        len(lines(report, "trust", "fail")) == 1 and "kedaluwarsa sejak" in lines(report, "trust", "fail")[0]
    )
    warned = lines(report, "trust", "warn")
    assert len(warned) == 1 and ("(19 hari lagi)" in warned[0] or "(20 hari lagi)" in warned[0])


def test_a_short_token_secret_fails_and_a_medium_one_warns(site_root, dovecot) -> None:
    config, _ = healthy(site_root, dovecot, free_port(), secret="pendek")
    report = doctor(config, skip={"converter", "smtp", "mailboxes", "clock"})
    assert "hanya 6 bita" in lines(report, "secret", "fail")[0]
    config.write_text(config.read_text().replace('secret = "pendek"', 'secret = "' + "x" * 20 + '"'))
    report = doctor(config, skip={"converter", "smtp", "mailboxes", "clock"})
    assert lines(report, "secret", "warn") and report.ok


def test_a_broken_template_fails_the_templates_check(site_root, dovecot) -> None:
    config, _ = healthy(site_root, dovecot, free_port())
    (site_root / "templates" / "nota_dinas.docx").write_bytes(b"bukan docx")
    report = doctor(config, skip={"converter", "smtp", "mailboxes", "clock"})
    assert [line.split(":")[0] for line in lines(report, "templates", "fail")] == ["nota_dinas.docx"]
    assert len(lines(report, "templates", "ok")) == 2


@pytest.mark.slow
def test_the_command_without_libreoffice_fails_in_indonesian_and_exits_1(site_root, dovecot) -> None:
    with delivering_smtp(dovecot) as (port, _smtp):
        config, _ = healthy(site_root, dovecot, port, converter='soffice = "/opt/tidak-ada/soffice"')
        result = run_cli("-c", config, "doctor", "--probe-wait", "10", "--timeout", "5")
        as_json = run_cli(
            "-c", config, "doctor", "--json", "--skip", "smtp,mailboxes,clock", "--timeout", "5"
        )
    assert result.returncode == 1, result.stderr
    assert "GAGAL" in result.stdout and "converter · /opt/tidak-ada/soffice" in result.stdout
    assert "apt-get install libreoffice-writer-nogui python3-uno" in result.stdout
    assert "1 pemeriksaan GAGAL" in result.stdout
    assert result.stdout.count("OK ") >= 8
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and data["ok"] is False
    assert [c["status"] for c in data["checks"] if c["check"] == "converter"] == ["fail"]
    assert {c["check"] for c in data["checks"]} == {"database", "secret", "templates", "trust", "converter"}


def test_english_by_configuration(site_root, dovecot) -> None:
    config, _ = healthy(site_root, dovecot, free_port(), secret="pendek")
    config.write_text(config.read_text().replace('data_dir = "var"', 'data_dir = "var"\nlanguage = "en"'))
    result = run_cli("-c", config, "doctor", "--skip", "converter,smtp,mailboxes,clock,templates,trust")
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "the token secret has only 6 bytes" in result.stdout
