"""DOCX -> PDF with one long-lived LibreOffice (docs/RECIPES.md: ~0.2 s a letter warm, ~2 s cold).

The converter runs `uno_worker.py` under `converter.uno_python` (default /usr/bin/python3, which
has python3-uno; mailflow's own interpreter cannot `import uno`). Our own worker rather than
unoserver: nothing to pip-install into Debian's externally-managed system Python, no TCP port to
pick, and the timeout, restart and profile handling stay in mailflow's hands. The worker starts
soffice with its own profile (`<work_dir>/profile-N`, one slot per converter, held with a file
lock: two soffice processes sharing a profile fail silently) and serves one request at a time.

A request that takes longer than `timeout` kills the worker's whole process group (worker, the
soffice launcher and soffice.bin) and raises ConversionError; the next request starts a fresh
LibreOffice. A crashed soffice is noticed the same way. A missing soffice or uno raises
DependencyError with what to install.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from mailflow.errors import DependencyError, TransientError

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("uno_worker.py")
_PROFILE_SLOTS = 32
_INSTALL_HINT = "install it with `apt-get install libreoffice-writer-nogui python3-uno`"


class ConversionError(TransientError):
    """One document could not be converted (LibreOffice refused it, hung or crashed)."""


class WarmConverter:
    """One warm LibreOffice; `convert()` is thread-safe (requests are served one at a time)."""

    def __init__(
        self,
        *,
        work_dir: Path,
        soffice: str = "soffice",
        uno_python: str = "/usr/bin/python3",
        timeout: float = 60.0,
        startup_timeout: float = 60.0,
    ) -> None:
        self.work_dir = work_dir
        self.soffice = soffice
        self.uno_python = uno_python
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.starts = 0  # how many LibreOffice processes were started (restarts + 1)
        self.office_pid: int | None = None
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._slot: IO[str] | None = None
        self._profile: Path | None = None
        self._next_id = 0

    # --- public -----------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._ensure_running()

    def convert(self, source: Path, target: Path) -> None:
        """Write the PDF of `source` to `target` (overwritten)."""
        with self._lock:
            self._ensure_running()
            self._next_id += 1
            request = {"id": self._next_id, "input": str(source.resolve()), "output": str(target.resolve())}
            target.unlink(missing_ok=True)
            reply = self._ask(request)
            if not reply.get("ok"):
                raise ConversionError(f"LibreOffice could not convert {source.name}: {reply.get('error')}")
            if not target.is_file() or target.stat().st_size == 0:
                raise ConversionError(f"LibreOffice wrote no PDF for {source.name}")

    def close(self) -> None:
        with self._lock:
            self._shutdown()
            if self._slot is not None:
                self._slot.close()
                self._slot = None

    def __enter__(self) -> WarmConverter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the worker process -------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            log.warning("LibreOffice worker ended (code %s); starting a new one", self._process.returncode)
            self._shutdown()
        soffice = shutil.which(self.soffice)
        if soffice is None:
            raise DependencyError(f"LibreOffice ({self.soffice}) was not found; {_INSTALL_HINT}")
        if not (Path(self.uno_python).is_file() and os.access(self.uno_python, os.X_OK)):
            raise DependencyError(
                f"the Python for LibreOffice ({self.uno_python}) was not found; {_INSTALL_HINT}"
            )
        profile = self._claim_profile()
        log_file = (self.work_dir / "converter.log").open("a", encoding="utf-8")
        with log_file:
            self._process = subprocess.Popen(
                [self.uno_python, str(WORKER), soffice, str(profile), str(self.startup_timeout)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                encoding="utf-8",
                start_new_session=True,  # its own process group: a hang is killed with all children
                env={**os.environ, "HOME": str(profile)},  # LibreOffice needs a writable HOME
            )
        self._replies = queue.Queue()
        threading.Thread(target=self._read, args=(self._process, self._replies), daemon=True).start()
        self._await_ready()

    def _await_ready(self) -> None:
        try:
            first = self._replies.get(timeout=self.startup_timeout + 10)
        except queue.Empty:
            first = None
        if first is None or not first.get("ready"):
            message = (first or {}).get("fatal") or "the LibreOffice worker ended while starting"
            kind = (first or {}).get("kind")
            self._shutdown()
            if kind == "dependency":
                raise DependencyError(f"{message}; see {self.work_dir / 'converter.log'}")
            raise ConversionError(f"LibreOffice did not start: {message}")
        self.starts += 1
        self.office_pid = int(first["pid"])
        log.info("LibreOffice ready (pid %s, profile %s)", self.office_pid, self._profile)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self._shutdown()
            raise ConversionError(f"the LibreOffice worker is gone ({exc}); it restarts next time") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._shutdown()
                raise ConversionError(
                    f"LibreOffice did not finish within {self.timeout:.0f} s; it was stopped and restarts"
                ) from None
            if reply is None:
                self._shutdown()
                raise ConversionError("LibreOffice stopped while converting; it restarts next time")
            if reply.get("id") == request["id"]:
                return reply

    @staticmethod
    def _read(process: subprocess.Popen[str], replies: queue.Queue[dict[str, Any] | None]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                with contextlib.suppress(json.JSONDecodeError):
                    replies.put(json.loads(line))
        replies.put(None)

    def _shutdown(self) -> None:
        """Close the worker's input (it closes LibreOffice), then kill what is left of its group."""
        process, self._process = self._process, None
        self.office_pid = None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15 if process.poll() is None else 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def _claim_profile(self) -> Path:
        """A profile folder no other converter on this machine uses right now (kept for reuse:
        a fresh LibreOffice profile costs seconds at every start)."""
        if self._profile is not None:
            return self._profile
        self.work_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(_PROFILE_SLOTS):
            handle = (self.work_dir / f"profile-{slot}.lock").open("w", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._slot, self._profile = handle, self.work_dir / f"profile-{slot}"
            self._profile.mkdir(exist_ok=True)
            return self._profile
        raise DependencyError(f"all {_PROFILE_SLOTS} LibreOffice profiles in {self.work_dir} are in use")
