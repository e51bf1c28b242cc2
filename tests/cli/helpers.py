"""Run the real `mailflow` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1"})
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mailflow", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )
