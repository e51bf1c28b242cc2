"""A function of one input run in worker processes, its results streamed back as they finish.

    pool = WorkerPool(partial(inspect_path, trust=trust, max_bytes=n), workers=1, timeout=120)
    for ready in pool.stream(jobs):         # lists of (index, result or WorkerFailure)
        record(ready)                        # the workers go on with the next inputs meanwhile
    pool.close()

Why processes: reading a signed PDF is CPU-bound Python (pyHanko), so threads would share one
core; and a hostile input that hangs its reader or kills it (a crash in a C library, the OOM
killer) costs that input alone. A worker that dies, or works on one input longer than `timeout`,
is killed and replaced: the input it was reading gets a WorkerFailure saying which, the inputs
queued behind it go to the replacement.

Workers are spawned, never forked: the calling process runs threads (the poller, the watcher,
the converter), and a fork would copy their locks in whatever state they were. The function and
the inputs must therefore be picklable, the function importable by name. Each worker is sent up to
`window` inputs ahead, so it never waits for the caller between two of them; inputs must be small
(a path and a hash, not the file), because the caller must never block on a send while a worker
waits to send it a long answer. A worker blocked on its pipe ends when the caller's process ends,
killed or not: its end of the pipe is then closed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

log = logging.getLogger("mailflow.workers")
In = TypeVar("In")
Out = TypeVar("Out")
# a new worker first imports the function's modules (pyHanko: about a second, more on a loaded
# machine): its first input's time starts after this grace at the latest
_START_GRACE = 30.0


@dataclass(frozen=True)
class WorkerFailure:
    """An input its worker could not answer for: `kind` is crashed / timeout / error."""

    kind: str
    detail: str


def _serve(connection: Connection, function: Callable[[object], object]) -> None:
    # the caller decides when workers stop: Ctrl-C in a terminal reaches the whole process group
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the caller closed the pipe, or its process ended
            return
        if message is None:
            return
        index, item = message
        try:
            result: object = function(item)
        except Exception as exc:  # noqa: BLE001 - reported as that input's failure, never ends the worker
            result = WorkerFailure("error", f"{type(exc).__name__}: {exc}"[:500])
        connection.send((index, result))


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext, function: object, name: str) -> None:
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, function), name=name, daemon=True
        )
        self.process.start()
        child.close()  # only the worker holds that end: its death reads as EOF here
        self.queue: deque[int] = deque()  # inputs sent and not answered, in the order sent
        self.since = time.monotonic()  # when the input at the head of the queue became its work
        self.answered = False  # until its first answer, the worker may still be importing

    def deadline(self, timeout: float) -> float:
        return self.since + timeout + (0.0 if self.answered else _START_GRACE)

    def send(self, index: int, item: object) -> None:
        if not self.queue:
            self.since = time.monotonic()
        self.queue.append(index)
        self.connection.send((index, item))

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class WorkerPool(Generic[In, Out]):
    def __init__(
        self,
        function: Callable[[In], Out],
        *,
        workers: int,
        timeout: float,
        name: str = "worker",
        window: int = 2,
    ) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self.function = function
        self.workers = workers
        self.timeout = timeout
        self.name = name
        self.window = max(1, window)
        self.restarts = 0  # workers replaced after a crash or a timeout
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []

    def start(self) -> None:
        """Start the workers now (they import while the caller goes on); `stream` starts them too."""
        while len(self._pool) < self.workers:
            self._pool.append(self._spawn(len(self._pool)))

    def close(self) -> None:
        for worker in self._pool:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self._pool:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.connection.close()
        self._pool = []

    def stream(self, items: Sequence[In]) -> Iterator[list[tuple[int, Out | WorkerFailure]]]:
        """Each input's result, in lists of those finished by the same moment (at least one each),
        in the order they finished. A caller that stops iterating early leaves the pool usable:
        the workers still busy are replaced, since their answers would arrive in a later stream."""
        self.start()
        run = _Run(items)
        try:
            for slot in range(len(self._pool)):
                self._fill(slot, run)
            while run.answered < len(items):
                ready = self._collect(run)
                run.answered += len(ready)
                if ready:
                    yield ready
        finally:
            for slot, worker in enumerate(self._pool):
                if worker.queue:  # abandoned halfway: its answers would reach the next stream
                    worker.kill()
                    self._pool[slot] = self._spawn(slot)

    # --- internals ----------------------------------------------------------------------------

    def _spawn(self, slot: int) -> _Worker:
        return _Worker(self._context, self.function, f"mailflow-{self.name}-{slot + 1}")

    def _fill(self, slot: int, run: _Run[In]) -> None:
        worker = self._pool[slot]
        if not worker.queue and not worker.process.is_alive():  # died idle: no input was its doing
            log.error("%s worker (pid %s) ended while idle; replaced", self.name, worker.process.pid)
            worker.kill()
            worker = self._pool[slot] = self._spawn(slot)
            self.restarts += 1
        while run.waiting and len(worker.queue) < self.window:
            index = run.waiting.popleft()
            worker.send(index, run.items[index])

    def _collect(self, run: _Run[In]) -> list[tuple[int, Out | WorkerFailure]]:
        busy = [w for w in self._pool if w.queue]
        deadline = min(w.deadline(self.timeout) for w in busy)
        wait([w.connection for w in busy], timeout=max(0.0, deadline - time.monotonic()))
        ready: list[tuple[int, Out | WorkerFailure]] = []
        for slot, worker in enumerate(self._pool):
            if not worker.queue:
                continue
            try:
                while worker.queue and worker.connection.poll():
                    index, result = worker.connection.recv()
                    if index != worker.queue[0]:  # a worker answers in order; anything else is a bug
                        raise RuntimeError(f"worker answered input {index}, expected {worker.queue[0]}")
                    worker.queue.popleft()
                    worker.since, worker.answered = time.monotonic(), True
                    ready.append((index, result))
            except (EOFError, OSError):
                ready.extend(self._replace(slot, "crashed", _exit_text(worker), run))
            else:
                if worker.queue and time.monotonic() >= worker.deadline(self.timeout):
                    ready.extend(self._replace(slot, "timeout", f"no answer within {self.timeout:g} s", run))
            self._fill(slot, run)
        return ready

    def _replace(self, slot: int, kind: str, detail: str, run: _Run[In]) -> list[tuple[int, WorkerFailure]]:
        """Kill the worker in `slot` and give its inputs to a new one. The input it was working on
        is answered with a failure, except after its first crash: a worker may also die of
        something else (the OOM killer), so that input is tried once more, first on the new one."""
        worker = self._pool[slot]
        lost = worker.queue.popleft()
        worker.kill()
        self.restarts += 1
        log.error("%s worker (pid %s) %s on input %d: %s", self.name, worker.process.pid, kind, lost, detail)
        fresh = self._pool[slot] = self._spawn(slot)
        again = kind == "crashed" and lost not in run.crashed
        run.crashed.add(lost)
        for index in ([lost] if again else []) + list(worker.queue):
            fresh.send(index, run.items[index])
        return [] if again else [(lost, WorkerFailure(kind, detail))]


class _Run(Generic[In]):
    """One `stream` call's inputs and progress."""

    def __init__(self, items: Sequence[In]) -> None:
        self.items = items
        self.waiting = deque(range(len(items)))
        self.answered = 0
        self.crashed: set[int] = set()


def _exit_text(worker: _Worker) -> str:
    worker.process.join(1)
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            return f"its worker died of signal {signal.Signals(-code).name}"
        except ValueError:
            return f"its worker died of signal {-code}"
    return f"its worker ended with exit code {code}"


def default_workers(configured: int | None, *, limit: int = 4) -> int:
    """None: one worker per core beyond the caller's own, at most `limit` (0 on one core)."""
    if configured is not None:
        return configured
    return max(0, min(limit, (os.cpu_count() or 1) - 1))
