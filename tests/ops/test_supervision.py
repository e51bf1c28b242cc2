"""Supervision under a real `mailflow run`: the database goes away and comes back (a dedicated
PostgreSQL cluster stopped and started; a SQLite file locked by a second connection) while
complaints arrive over Dovecot and mails leave over aiosmtpd. Afterwards the poller and the sender
have resumed in the same process, every complaint is registered once and every mail reached the
SMTP server once. And a part that keeps dying (a watched folder that cannot be created: a real
fault) ends `run` with exit code 1 and a clear Indonesian message."""

from __future__ import annotations

import os
import pwd
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from mailflow.adapters.db.models import Case, Message, OutboxMail
from tests.fixtures.ports import wait_for_port
from tests.fixtures.postgres import PostgresCluster
from tests.ingest.builders import complaint
from tests.ops.conftest import RunProcess, count, migrated, wait_until, write_site

pytestmark = [pytest.mark.imap, pytest.mark.slow]


class PausableCluster(PostgresCluster):
    """This test's own cluster (the session's is shared), stopped hard (`-m immediate`, as a
    crash) and started again. Unlike the session's cluster it keeps synchronous_commit on, as
    a production server does: with it off, a crash forgets the last commits (a mail recorded
    as sent would be sent again), which is PostgreSQL's documented trade-off, not mailflow's."""

    options = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on -c max_connections=50"

    def start(self) -> None:
        self.sockets.mkdir(parents=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (self.base, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        self.resume()

    def pause(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def resume(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-w", "-l", str(self.base / "log.txt"),
            "-o", f"-p {self.port} -k {self.sockets} {self.options}", "start",
        )  # fmt: skip
        wait_for_port(self.port)


def message_ids(raws: list[bytes]) -> set[str]:
    from email import message_from_bytes  # noqa: PLC0415

    return {str(message_from_bytes(raw)["Message-ID"]) for raw in raws}


def assert_each_once(db, smtp, ids: set[str]) -> None:
    messages = [(m.message_id, m.status) for m in _rows(db, Message)]
    assert Counter(mid for mid, _ in messages) == Counter(dict.fromkeys(ids, 1))
    assert {status for _, status in messages} == {"processed"}
    assert count(db, Case) == len(ids)
    rows = _rows(db, OutboxMail)
    assert len(rows) == 2 * len(ids)  # acknowledgement + the step-2 mail per complaint
    assert {r.status for r in rows} == {"sent"}
    delivered = Counter(d.message_id for d in smtp.deliveries)
    assert set(delivered) == {r.message_id for r in rows}
    assert max(delivered.values()) == 1, "a mail reached the SMTP server twice"


def _rows(db, model):
    with db.reader() as session:
        from sqlalchemy import select  # noqa: PLC0415

        found = list(session.execute(select(model)).scalars())
        session.expunge_all()
        return found


def everything_done(db, smtp, total: int) -> bool:
    return (
        count(db, Message, Message.status == "processed") == total
        and count(db, OutboxMail, OutboxMail.status == "sent") == 2 * total
        and len(smtp.deliveries) >= 2 * total
    )


@pytest.mark.postgres
def test_postgresql_stopped_and_started_under_run_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, own_dovecot, own_smtp, runs
) -> None:
    cluster = PausableCluster()
    cluster.start()
    try:
        url = cluster.url()
        db = migrated(tmp_path, url)
        config, user = write_site(tmp_path, own_dovecot, own_smtp, database_url=url)
        run = RunProcess(config)
        runs.append(run)
        first = [complaint(i) for i in range(1, 6)]
        own_dovecot.append_many(user, first)
        wait_until(lambda: everything_done(db, own_smtp, 5), 90, "the first five complaints")

        cluster.pause()
        later = [complaint(i) for i in range(6, 11)]
        own_dovecot.append_many(user, later)  # they arrive while the database is away
        time.sleep(8)
        assert run.alive()
        cluster.resume()

        wait_until(lambda: everything_done(db, own_smtp, 10), 120, "all ten complaints after the outage")
        time.sleep(3)  # nothing more may come: a second delivery would show now
        assert run.alive(), run.stderr()
        assert_each_once(db, own_smtp, message_ids(first + later))
        log = "\n".join(run.log_lines())
        assert "basis data tidak dapat dipakai" in log
        assert "koneksi basis data pulih setelah" in log
        assert run.stop() == 0
        db.dispose()
    finally:
        cluster.stop()


def test_a_locked_sqlite_under_run_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, own_dovecot, own_smtp, runs
) -> None:
    db = migrated(tmp_path)
    config, user = write_site(tmp_path, own_dovecot, own_smtp)
    run = RunProcess(config)
    runs.append(run)
    first = [complaint(i) for i in range(1, 4)]
    own_dovecot.append_many(user, first)
    wait_until(lambda: everything_done(db, own_smtp, 3), 90, "the first three complaints")

    # A second connection holds the write lock longer than mailflow's 60 s busy timeout, so
    # its writers really fail with "database is locked" (a shorter lock only delays them).
    locker = sqlite3.connect(tmp_path / "var" / "mailflow.sqlite3", timeout=5, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    later = [complaint(i) for i in range(4, 7)]
    try:
        own_dovecot.append_many(user, later)
        wait_until(lambda: "database is locked" in "\n".join(run.log_lines()), 120, "the lock to be noticed")
        assert count(db, Message) == 3  # nothing got in while it was locked
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    wait_until(lambda: everything_done(db, own_smtp, 6), 120, "all six complaints after the lock")
    time.sleep(3)
    assert run.alive(), run.stderr()
    assert_each_once(db, own_smtp, message_ids(first + later))
    assert "koneksi basis data pulih setelah" in "\n".join(run.log_lines())
    assert run.stop() == 0
    db.dispose()


def test_a_part_that_keeps_dying_ends_run_with_exit_code_1(tmp_path: Path, own_dovecot, own_smtp) -> None:
    migrated(tmp_path).dispose()
    # A real fault, no mock: the watched folder's parent is a file, so it cannot be created
    # (even as root), and the watcher part dies each time it starts.
    (tmp_path / "blocker").write_text("not a folder")
    config, _ = write_site(
        tmp_path, own_dovecot, own_smtp,
        extra='max_restarts = 3\n\n[watcher]\nfolders = ["blocker/surat"]\n',
    )  # fmt: skip
    run = RunProcess(config)
    try:
        code = run.process.wait(60)
    except subprocess.TimeoutExpired:
        run.stop()
        raise AssertionError("run kept going although the watcher kept dying") from None
    stderr = run.stderr()
    assert code == 1, stderr
    assert "mailflow berhenti: bagian watcher mati 3x dalam 600 detik" in " ".join(stderr.split())
    assert "blocker/surat" in stderr  # the reason names the folder
    log = "\n".join(run.log_lines())
    assert log.count("bagian watcher berhenti") == 2  # two restarts, then it gave up
    assert log.count("bagian watcher dimulai ulang") == 2
