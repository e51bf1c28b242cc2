"""The demo's site: a starter configuration pointed at the embedded servers, a clock that stands
still until the script moves it, and certificates for every head of an OPD."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailflow.clock import ManualClock
from mailflow.services.operations.starter import write_starter

MAILBOX = "lapor@diskominfo.bontangkota.go.id"
IMAP_PASSWORD = "demo-lapor"  # noqa: S105 - a throwaway password of a loopback-only demo server
TOKEN_SECRET = "demo-secret-only-for-the-local-demo"  # noqa: S105


class DemoClock:
    """The script's clock: it stands still while the system works (so every business minute in
    the summary is exact), jumps when the script says, and with `release()` runs on in real time
    from where it stopped (for `--keep`, when a person plays an official)."""

    def __init__(self, start: datetime) -> None:
        self._manual = ManualClock(start)
        self._released_at: float | None = None
        self._base = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._released_at is None:
                return self._manual.now()
            return self._base + timedelta(seconds=time.monotonic() - self._released_at)

    def set(self, instant: datetime) -> None:
        self._manual.set(instant)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def release(self) -> None:
        with self._lock:
            self._base = self._manual.now()
            self._released_at = time.monotonic()


def libreoffice_available(soffice: str = "soffice", uno_python: str = "/usr/bin/python3") -> bool:
    """soffice on the PATH and a Python that can `import uno` (the warm converter needs both)."""
    if shutil.which(soffice) is None or not Path(uno_python).exists():
        return False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        check = subprocess.run([uno_python, "-c", "import uno"], capture_output=True, timeout=30, check=False)
        return check.returncode == 0
    return False


def write_site(
    folder: Path,
    *,
    imap_port: int,
    imap_user: str,
    imap_password: str,
    smtp_port: int,
    root_pem: Path,
    convert: bool,
    lang: str,
    sop: Path | None = None,
) -> Path:
    """The starter site of `mailflow init`, pointed at the demo's servers; returns the config."""
    result = write_starter(folder, force=True)
    config = result.config
    text = config.read_text(encoding="utf-8")
    replacements = {
        'language = "id"': f'language = "{lang}"',
        'host = "mail.bontangkota.go.id"\nport = 993\nsecurity = "tls"': (
            f'host = "127.0.0.1"\nport = {imap_port}\nsecurity = "plain"'
        ),
        (
            'user = "lapor@diskominfo.bontangkota.go.id"\n'
            '# password = ""              # better: MAILFLOW_MAILBOX_DISKOMINFO_PASSWORD'
        ): f'user = "{imap_user}"\npassword = "{imap_password}"',
        'host = "mail.bontangkota.go.id"\nport = 587\nsecurity = "starttls"': (
            f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "plain"'
        ),
        (
            'user = "lapor@diskominfo.bontangkota.go.id"\n'
            '# password = ""              # better: MAILFLOW_SMTP_PASSWORD\n'
        ): "",
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"the starter config changed; the demo cannot set {old.splitlines()[0]!r}")
        text = text.replace(old, new, 1)
    text = _replace_line(text, "secret = ", f'secret = "{TOKEN_SECRET}"')
    if sop is not None:  # `mailflow demo --sop FILE`: the site runs that procedure
        text = _replace_line(text, '# sop = "', f'sop = "{sop.resolve()}"')
    text += (
        "\n[reports]\n"
        'weekly_recipients = ["admin.lapor@bontangkota.go.id", "ikp.kominfo@bontangkota.go.id"]\n'
        f'\n[signatures]\ntrust_roots = ["{root_pem}"]\n'
        "\n[watcher]\nstable_seconds = 0.2\n"
        f"\n[converter]\nenabled = {'true' if convert else 'false'}\n"
    )
    config.write_text(text, encoding="utf-8")
    return config


def _replace_line(text: str, prefix: str, line: str) -> str:
    lines = text.splitlines()
    for index, current in enumerate(lines):
        if current.startswith(prefix):
            lines[index] = line
            return "\n".join(lines) + "\n"
    raise RuntimeError(f"no line starting with {prefix!r} in the starter config")


def start_of_demo() -> datetime:
    """Monday 30 November 2026, 07:30 WITA: the morning of EXAMPLE.md."""
    return datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
