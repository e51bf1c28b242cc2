"""Functions the worker-pool tests run in real spawned processes (importable by name there).

Inputs are strings: "crash" kills its own process with SIGKILL (what a segfault or the OOM killer
does), "crash-once:<file>" does so only while <file> does not exist yet (creating it first),
"hang" sleeps far beyond any test's timeout, "raise" raises; anything else comes back upper-cased
with the worker's pid.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def work(item: str) -> tuple[str, int]:
    if item == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if item.startswith("crash-once:"):
        marker = Path(item.split(":", 1)[1])
        if not marker.exists():
            marker.write_text("crashed once", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
    if item == "hang":
        time.sleep(600)
    if item == "raise":
        raise ValueError("this input is refused by the function")
    return item.upper(), os.getpid()
