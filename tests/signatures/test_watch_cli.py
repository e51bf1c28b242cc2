"""`mailflow watch --once` in a subprocess, on the configuration and database of a real case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mailflow.adapters.db.engine import Database
from tests.fixtures.pki import TestPki
from tests.signatures.conftest import WITA, Step8

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
# Until the lead registers `watch` in mailflow.cli.app, add it the way app.py will.
ENTRY = (
    "import sys\n"
    "from mailflow.cli import app as root, watch_cmds\n"
    "if 'watch' not in [c.name for c in root.app.registered_commands]:\n"
    "    watch_cmds.register(root.app)\n"
    "root.main(sys.argv[1:])\n"
)


def test_watch_once_processes_the_folder(
    sqlite_db: Database, step8: Callable[..., Step8], pki: TestPki, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'mailflow.sqlite3'}"
    yesterday = datetime.now(WITA).replace(microsecond=0) - timedelta(days=1)
    s = step8(sqlite_db, start=yesterday, edit={"[database]\n": f'[database]\nurl = "{url}"\n'})
    config = s.h.base / "mailflow.toml"
    returned = s.h.settings.paths.letters / "returned"
    returned.mkdir(parents=True, exist_ok=True)
    (returned / "ditandatangani.pdf").write_bytes(pki.sign(s.pdf, pki.hendra))
    (returned / "palsu.pdf").write_bytes(b"bukan pdf\n" * 10)
    proc = run_cli_entry(config, "watch", "--once", "--json")
    assert proc.returncode == 0, proc.stderr
    done = {Path(d["file"]).name: d for d in json.loads(proc.stdout)}
    assert done["ditandatangani.pdf"]["accepted"] is True
    assert done["palsu.pdf"]["accepted"] is False and "bukan PDF" in done["palsu.pdf"]["note"]
    assert Path(done["ditandatangani.pdf"]["moved_to"]).parent.name == "processed"
    steps = {e.step: e for e in s.h.events(s.number)}
    assert steps[9].finished_at is not None and steps[8].finished_by == "kadis.dishub@bontangkota.go.id"
    again = run_cli_entry(config, "watch", "--once")
    assert again.returncode == 0 and "0 berkas diproses" in again.stdout


def run_cli_entry(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1"})
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "-c", str(config), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        check=False,
    )
