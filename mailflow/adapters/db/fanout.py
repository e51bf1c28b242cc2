"""Read jobs of one report on extra PostgreSQL connections that see the report's own snapshot.

A long report's statements are independent reads (route percentiles, case counts, the cases'
timing per month); one connection runs them one after another while the second core idles.
`fanout` hands them to helper threads, each on its own connection whose transaction imports the
report reader's snapshot (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`): every job sees
exactly what the reader sees, as if it ran on the reader itself, whatever commits meanwhile.

SQLite (one connection per snapshot) and ``workers=0`` run each job at once on the reader's own
session: the same answers, in the caller's order.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailflow.adapters.db.engine import Database

T = TypeVar("T")
U = TypeVar("U")
# what pg_export_snapshot returns, e.g. 00000003-0000001B-1: checked before it is inlined in SET
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")


class Pending(Generic[T]):
    """The outcome of a submitted job: `result()` waits for it, then returns its value or raises
    what it raised."""

    def __init__(self, outcome: Callable[[], T]) -> None:
        self._outcome = outcome

    def result(self) -> T:
        return self._outcome()

    def then(self, function: Callable[[T], U]) -> Pending[U]:
        """The outcome passed through `function`, applied by the caller's thread on `result()`."""
        return Pending(lambda: function(self.result()))


class Fanout:
    """Runs `submit`ted read jobs (functions of a Session) on helper connections, or inline."""

    def __init__(
        self, session: Session, run: Callable[[Callable[[Session], Any]], Future[Any]] | None
    ) -> None:
        self._session = session
        self._run = run

    @property
    def parallel(self) -> bool:
        return self._run is not None

    def submit(self, job: Callable[[Session], T]) -> Pending[T]:
        if self._run is not None:
            future: Future[T] = self._run(job)
            return Pending(future.result)
        value = job(self._session)  # inline: what it raises reaches the caller at once
        return Pending(lambda: value)


def inline(session: Session) -> Fanout:
    """A Fanout that runs every job at once on `session`."""
    return Fanout(session, None)


@contextmanager
def fanout(database: Database, session: Session, workers: int) -> Iterator[Fanout]:
    """Within it, jobs submitted run on up to `workers` helper connections sharing `session`'s
    snapshot (PostgreSQL), else inline on `session`. `session` must be a reader of `database`
    (REPEATABLE READ: its snapshot is fixed at its first statement, and exported from there).
    On leaving, every job has ended and the helper connections are closed, even on an error."""
    if workers <= 0 or not database.is_postgres:
        yield inline(session)
        return
    snapshot = str(session.execute(text("SELECT pg_export_snapshot()")).scalar_one())
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    local = threading.local()
    lock = threading.Lock()
    with ExitStack() as helpers:

        def helper_session() -> Session:
            found: Session | None = getattr(local, "session", None)
            if found is None:
                with lock:  # ExitStack is not thread-safe
                    found = helpers.enter_context(database.reader())
                # the first statement of the helper's transaction: it then reads the exported
                # snapshot, which stays importable while the reader's transaction is open
                found.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
                local.session = found
            return found

        def run(job: Callable[[Session], T]) -> T:
            return job(helper_session())

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report-reader") as pool:
            yield Fanout(session, lambda job: pool.submit(run, job))
        # the pool has waited for every job; the helpers' sessions close (roll back) here
