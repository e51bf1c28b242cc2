"""An inspector for the inspection-worker tests, importable by name in a spawned worker.

A PDF carrying the comment line `%%mailflow-test: crash` kills the process reading it with
SIGKILL, as a crash in a PDF library's C code or the OOM killer would; any other file is
inspected for real.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from mailflow.adapters.pdf_signatures import TrustStore
from mailflow.services.returned.inspection import Inspection, inspect_path

CRASH = b"\n%%mailflow-test: crash\n"


def crashing_inspect(job: tuple[str, str], trust: TrustStore, *, max_bytes: int) -> Inspection | None:
    if CRASH in Path(job[0]).read_bytes():
        os.kill(os.getpid(), signal.SIGKILL)
    return inspect_path(job, trust, max_bytes=max_bytes)
