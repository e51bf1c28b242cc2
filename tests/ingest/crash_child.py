"""A poller whose process dies on one message, the way a crash in a C library or the OOM killer
would end it: the engine's seam sends SIGKILL to its own process when the case's subject holds
"MATI". A segfault on demand cannot be produced for real, so this is that fault, placed exactly.

Run as `python -m tests.ingest.crash_child CONFIG`; exits 0 when the pass completes.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from mailflow.bootstrap import build_app
from mailflow.bootstrap import ingest as ingest_app


class DyingHooks:
    def case_registered(self, session, case, now) -> None:  # type: ignore[no-untyped-def]
        if "MATI" in case.subject:
            os.kill(os.getpid(), signal.SIGKILL)

    def handle_reply(self, session, message, inbound, now) -> None:  # type: ignore[no-untyped-def]
        return None


def main() -> None:
    app = build_app(Path(sys.argv[1]))
    try:
        ingest_app.poll_once(app, hooks=DyingHooks())
    finally:
        app.close()


if __name__ == "__main__":
    main()
