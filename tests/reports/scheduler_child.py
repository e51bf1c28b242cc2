"""A worker that claims a job and then dies mid-run (the parent kills it with SIGKILL).

Run as `python -m tests.reports.scheduler_child DATABASE_URL MARKER_FILE START_ISO`.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mailflow.adapters.db.engine import Database
from mailflow.clock import ManualClock
from mailflow.services.runtime.scheduler import JobContext, Scheduler


def main() -> None:
    url, marker, start = sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    clock = ManualClock(start)
    scheduler = Scheduler(Database(url), clock, ZoneInfo("Asia/Makassar"), owner="child", lease_seconds=60)

    def hang(job: JobContext) -> str:
        marker.write_text(job.period, encoding="utf-8")
        while True:  # the parent kills this process here
            time.sleep(1)

    scheduler.daily("report", "16:30", hang)
    scheduler.run_pending(start)


if __name__ == "__main__":
    main()
