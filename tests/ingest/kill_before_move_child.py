"""A poller that dies right after its first batch committed and before the server MOVE: with
group commit that window holds a whole batch (committed, still in INBOX). The IMAP seam sends
SIGKILL to its own process at the first MOVE to the processed folder; a kill placed at exactly
this instant cannot be had from outside, so this is that fault, placed exactly.

Run as `python -m tests.ingest.kill_before_move_child CONFIG`; it never ends on its own.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from mailflow.adapters.imap import ImapConnection
from mailflow.bootstrap import build_app
from mailflow.bootstrap import ingest as ingest_app
from mailflow.config.model import MailboxSection
from mailflow.services.ingest.poller import MailboxPoller, account_for


def dying_connection(box: MailboxSection) -> ImapConnection:
    connection = ImapConnection.open(account_for(box))
    real_move = connection.move

    def move(uids: Sequence[int], folder: str) -> None:
        if folder == box.processed_folder and uids:
            os.kill(os.getpid(), signal.SIGKILL)
        real_move(uids, folder)

    connection.move = move  # type: ignore[method-assign]
    return connection


def main() -> None:
    app = build_app(Path(sys.argv[1]))
    try:
        ingest = ingest_app.build_ingest(app)
        [box] = app.settings.mailboxes
        MailboxPoller(box, ingest, app.database, app.clock, connect=dying_connection).poll_once()
    finally:
        app.close()


if __name__ == "__main__":
    main()
