"""`mailflow backup` / `mailflow restore` on SQLite and PostgreSQL: a site with complaints, replies,
attachments and letters made by the real poller and engine is backed up and restored into a new
site, which then holds every case, letter and raw mail (by hash) and runs; a backup taken while the
poller writes is consistent; secrets never reach the backup."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Case, Document, Message, MessageAttachment, OutboxMail, StepEvent
from mailflow.errors import StorageError, UsageError
from mailflow.services.ingest.poller import PollTuning
from mailflow.services.ingest.service import DefaultHooks
from mailflow.services.operations.backup import backup, restore
from tests.cli.helpers import run_cli
from tests.ingest.builders import complaint, sample
from tests.ingest.conftest import IngestEnv, make_env

pytestmark = [pytest.mark.slow, pytest.mark.imap]
IKP = "ikp.kominfo@bontangkota.go.id"
REFRESH_TOKEN = "rt-rahasia-yang-tidak-boleh-ikut"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def empty_pg(request: pytest.FixtureRequest, name: str) -> str:
    cluster = request.getfixturevalue("pg_cluster")
    admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster.url(name)


def site_env(request, tmp_path, dovecot, smtp, clock, backend: str, **options) -> IngestEnv:
    url = None
    if backend == "postgres":
        from tests.conftest import new_pg_database  # noqa: PLC0415

        url = new_pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    env = make_env(tmp_path / "site", dovecot, smtp, clock, database_url=url, **options)
    # what must never reach a backup: an OAuth2 token file beside the data
    oauth = env.app.settings.data_dir / "oauth"
    oauth.mkdir(parents=True)
    (oauth / "smtp.json").write_text(json.dumps({"refresh_token": REFRESH_TOKEN}))
    return env


def ikp_reply(action: OutboxMail, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Muhammad Ridwan <{IKP}>"
    message["To"] = action.reply_to
    message["Subject"] = f"Re: {action.subject}"
    message["Message-ID"] = make_msgid("balasan", domain="bontangkota.go.id")
    message["In-Reply-To"] = action.message_id
    message.set_content(f"{body}\n\nPada Sen, 30 Nov 2026 pukul 08.10 LAPOR Bontang menulis:\n> ...\n")
    return message.as_bytes()


def fill(env: IngestEnv) -> None:
    """Complaints (one with attachments) through the real poller and engine, then the IKP's VALID
    reply, which makes the engine write the nota dinas (a letter)."""
    for index in range(3):
        env.append(complaint(index))
    env.append(sample("attachments_pdf_zip.eml"))
    env.poll_once(env.app.hooks)
    actions = [m for m in env.rows(OutboxMail) if m.to_addr == IKP and m.reply_to]
    assert actions, "the engine asked the IKP to validate"
    env.append(ikp_reply(actions[0], "VALID DISHUB"))
    env.poll_once(env.app.hooks)
    assert env.count(Document) >= 1, "the VALID reply produced a letter"
    assert env.count(MessageAttachment, MessageAttachment.stored_path.is_not(None)) >= 1


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(database: Database) -> dict[str, list[tuple]]:
    """What must come back: every case, step, letter, message and attachment, by content."""
    with database.reader() as session:
        return {
            "cases": [
                (c.number, c.subject, c.status, c.current_step, c.confidentiality)
                for c in session.execute(select(Case).order_by(Case.number)).scalars()
            ],
            "steps": [
                (e.case_id, e.step, e.attempt, e.started_at, e.finished_at, e.outcome)
                for e in session.execute(select(StepEvent).order_by(StepEvent.id)).scalars()
            ],
            "messages": [
                (m.id, m.message_id, m.sha256, m.status, m.case_id)
                for m in session.execute(select(Message).order_by(Message.id)).scalars()
            ],
            "letters": [
                (d.doc_uid, d.kind, d.number, d.docx_sha256, d.pdf_sha256, Path(d.docx_path or "").name)
                for d in session.execute(select(Document).order_by(Document.id)).scalars()
            ],
            "attachments": [
                (a.message_id, a.sha256, a.original_name)
                for a in session.execute(select(MessageAttachment).order_by(MessageAttachment.id)).scalars()
            ],
        }


def assert_files_match(database: Database, site: Path) -> int:
    """Every stored file the database names is inside `site` and has the recorded hash."""
    checked = 0
    with database.reader() as session:
        for message in session.execute(select(Message)).scalars():
            if message.raw_path == "-":
                continue
            assert Path(message.raw_path).is_relative_to(site), message.raw_path
            assert sha256(message.raw_path) == message.sha256
            checked += 1
        for attachment in session.execute(select(MessageAttachment)).scalars():
            if attachment.stored_path:
                assert Path(attachment.stored_path).is_relative_to(site)
                assert sha256(attachment.stored_path) == attachment.sha256
                checked += 1
        for document in session.execute(select(Document)).scalars():
            if document.docx_path:
                assert Path(document.docx_path).is_relative_to(site)
                assert sha256(document.docx_path) == document.docx_sha256
                checked += 1
    return checked


@pytest.mark.slow
def test_a_restored_site_has_every_case_letter_and_mail_and_runs(
    request, tmp_path, dovecot, smtp, clock, backend
) -> None:
    env = site_env(request, tmp_path, dovecot, smtp, clock, backend)
    try:
        fill(env)
        before = snapshot(env.db)
        result = backup(env.app.settings, env.db, tmp_path / "cadangan")
    finally:
        env.app.close()
    assert result.counts["cases"] == 4 and result.counts["documents"] == before["letters"].__len__()

    target_url = empty_pg(request, f"pulih_{int(time.time() * 1000)}") if backend == "postgres" else None
    restored = restore(tmp_path / "cadangan", tmp_path / "pulih", database_url=target_url)

    database = Database(target_url or f"sqlite:///{tmp_path / 'pulih' / 'var' / 'mailflow.sqlite3'}")
    try:
        assert snapshot(database) == before
        assert assert_files_match(database, tmp_path / "pulih") >= 6
    finally:
        database.dispose()

    # the restored site runs: the same complaints and timeline, from its own config
    env_vars = {"MAILFLOW_TOKEN_SECRET": "uji-rahasia-token"}
    old = run_cli("-c", env.config, "cases", "--json", env=env_vars)
    new = run_cli("-c", restored.config, "cases", "--json", env=env_vars)
    assert new.returncode == 0, new.stderr
    assert json.loads(new.stdout) == json.loads(old.stdout)
    number = before["cases"][0][0]
    timeline = run_cli("-c", restored.config, "case", number, env=env_vars)
    assert timeline.returncode == 0 and number in timeline.stdout
    original = run_cli("-c", env.config, "case", number, env=env_vars).stdout
    assert "letters/2026/" in timeline.stdout  # the letters are listed, now in the new site
    assert original.replace(str(tmp_path / "site"), str(tmp_path / "pulih")) == timeline.stdout


def test_secrets_never_reach_the_backup(request, tmp_path, dovecot, smtp, clock) -> None:
    env = site_env(request, tmp_path, dovecot, smtp, clock, "sqlite")
    try:
        env.append(complaint(1))
        env.poll_once(DefaultHooks())
        result = backup(env.app.settings, env.db, tmp_path / "cadangan")
    finally:
        env.app.close()
    secrets = [b"rahasia-uji", b"uji-rahasia-token", REFRESH_TOKEN.encode()]  # IMAP password, token secret
    for path in result.folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s in data], path
    config = (result.folder / "site" / "mailflow.toml").read_text()
    assert "MAILFLOW_TOKEN_SECRET" in config and "MAILFLOW_MAILBOX_DISKOMINFO_PASSWORD" in config
    assert not (result.folder / "files" / "oauth").exists()


@pytest.mark.slow
def test_backups_taken_while_the_poller_writes_are_consistent(
    request, tmp_path, dovecot, smtp, clock, backend
) -> None:
    # small batches keep the poller busy (files written, rows committed) while the backups run
    env = site_env(request, tmp_path, dovecot, smtp, clock, backend, poll_interval=1, batch_size=5)
    stop = threading.Event()
    poller = env.poller(DefaultHooks(), tuning=PollTuning(backoff_base_seconds=0.2, backoff_max_seconds=1))
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    results = []
    total = 150
    try:
        env.dovecot.append_many(env.user, [complaint(i) for i in range(total)])
        thread.start()
        deadline = time.monotonic() + 120
        while env.count(Case) < total and time.monotonic() < deadline:
            if len(results) < 8:
                results.append(backup(env.app.settings, env.db, tmp_path / f"cadangan{len(results)}"))
            else:
                time.sleep(0.2)
        stop.set()
        thread.join(timeout=30)
        final = env.count(Case)
    finally:
        stop.set()
        thread.join(timeout=30)
        env.app.close()
    assert final == total
    cases = [r.counts["cases"] for r in results]
    assert cases == sorted(cases) and sum(0 < c < total for c in cases) >= 2, cases  # taken mid-stream

    for index, result in enumerate(results):
        url = empty_pg(request, f"pulih{index}_{int(time.time() * 1000)}") if backend == "postgres" else None
        site = tmp_path / f"pulih{index}"
        restore(result.folder, site, database_url=url)
        database = Database(url or f"sqlite:///{site / 'var' / 'mailflow.sqlite3'}")
        try:
            assert assert_files_match(database, site) == result.counts["messages"]
            with database.reader() as session:
                orphans = session.execute(
                    select(Case.number).where(~Case.source_message_id.in_(select(Message.id)))
                ).all()
            assert orphans == []
            assert snapshot(database)["cases"].__len__() == result.counts["cases"]
        finally:
            database.dispose()


def test_restore_refuses_a_damaged_backup_and_an_existing_site(
    request, tmp_path, dovecot, smtp, clock
) -> None:
    env = site_env(request, tmp_path, dovecot, smtp, clock, "sqlite")
    try:
        env.append(complaint(1))
        env.poll_once(DefaultHooks())
        result = backup(env.app.settings, env.db, tmp_path / "cadangan")
    finally:
        env.app.close()
    with pytest.raises(UsageError, match="sudah ada"):
        restore(result.folder, tmp_path / "site")  # the original site: never overwritten
    raw = next((result.folder / "files" / "mail").rglob("*.eml"), None) or next(
        p for p in (result.folder / "files" / "mail").rglob("*") if p.is_file()
    )
    raw.write_bytes(raw.read_bytes().replace(b"berlubang", b"BERLUBANG"))
    with pytest.raises(StorageError, match="rusak"):
        restore(result.folder, tmp_path / "pulih")
    assert not (tmp_path / "pulih" / "mailflow.toml").exists()
    with pytest.raises(UsageError, match="sudah berisi"):
        backup(env.app.settings, env.db, result.folder)


def test_every_stored_path_column_is_rewritten_on_restore() -> None:
    # a new table or column holding a file path must be listed, or a restored site would point
    # into the old one
    from mailflow.adapters.db.models import Base  # noqa: PLC0415
    from mailflow.services.operations.backup import PATH_COLUMNS  # noqa: PLC0415

    found = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("path")
    }
    assert found == set(PATH_COLUMNS)
