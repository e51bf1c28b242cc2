"""adapters.worker_pool with real spawned processes: results, crashes, hangs and the caller's death.

Each crash is a real SIGKILL of a real worker process (tests.adapters.pool_functions); nothing is
mocked. No timed assertions: a hang is bounded by the pool's own timeout, which the tests set
small, and they only check what came back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.adapters.worker_pool import WorkerFailure, WorkerPool, default_workers
from tests.adapters.pool_functions import work


@pytest.fixture
def pool() -> Iterator[WorkerPool[str, tuple[str, int]]]:
    p: WorkerPool[str, tuple[str, int]] = WorkerPool(work, workers=2, timeout=60, name="test")
    yield p
    p.close()


def run(pool: WorkerPool[str, tuple[str, int]], items: list[str]) -> dict[int, object]:
    results: dict[int, object] = {}
    for ready in pool.stream(items):
        assert ready  # never an empty list
        for index, result in ready:
            assert index not in results  # every input answered once
            results[index] = result
    assert sorted(results) == list(range(len(items)))
    return results


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too: its parent (this test) has not reaped it yet
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def test_every_input_is_answered_once_by_two_worker_processes(pool: WorkerPool[str, tuple[str, int]]) -> None:
    items = [f"surat-{n}" for n in range(40)]
    results = run(pool, items)
    assert [results[i][0] for i in range(40)] == [item.upper() for item in items]  # type: ignore[index]
    pids = {results[i][1] for i in range(40)}  # type: ignore[index]
    assert len(pids) == 2 and os.getpid() not in pids  # both workers worked, none of it here
    assert pool.restarts == 0
    again = run(pool, ["lagi"])  # the pool serves the next stream with the same workers
    assert again[0][1] in pids  # type: ignore[index]


def test_an_input_that_kills_its_worker_fails_alone_after_a_second_try(
    pool: WorkerPool[str, tuple[str, int]],
) -> None:
    items = ["a", "b", "crash", "c", "d", "e", "f"]
    results = run(pool, items)
    failure = results[2]
    assert isinstance(failure, WorkerFailure) and failure.kind == "crashed"
    assert "SIGKILL" in failure.detail
    assert pool.restarts == 2  # killed twice: once on the first try, once on its own second try
    assert {results[i][0] for i in (0, 1, 3, 4, 5, 6)} == set("ABCDEF")  # type: ignore[index]
    assert run(pool, ["g"])[0][0] == "G"  # type: ignore[index]


def test_a_worker_killed_once_by_something_else_gets_the_input_again(
    pool: WorkerPool[str, tuple[str, int]], tmp_path: Path
) -> None:
    marker = tmp_path / "crashed"
    results = run(pool, ["a", f"crash-once:{marker}", "b"])
    assert marker.exists() and pool.restarts == 1  # it did crash once
    assert results[1][0] == f"CRASH-ONCE:{marker}".upper()  # type: ignore[index]


def test_an_input_that_hangs_is_cut_off_by_the_timeout_and_the_rest_go_on() -> None:
    pool: WorkerPool[str, tuple[str, int]] = WorkerPool(work, workers=1, timeout=2, name="test")
    try:
        run(pool, ["warm"])  # the first answer may include the worker's imports
        results = run(pool, ["a", "hang", "b", "c"])
        failure = results[1]
        assert isinstance(failure, WorkerFailure) and failure.kind == "timeout"
        assert [results[i][0] for i in (0, 2, 3)] == ["A", "B", "C"]  # type: ignore[index]
        assert pool.restarts == 1
    finally:
        pool.close()


def test_an_exception_is_that_input_s_answer_and_the_worker_stays(
    pool: WorkerPool[str, tuple[str, int]],
) -> None:
    results = run(pool, ["a", "raise", "b"])
    failure = results[1]
    assert isinstance(failure, WorkerFailure) and failure.kind == "error"
    assert "ValueError: this input is refused" in failure.detail
    assert pool.restarts == 0


def test_a_stream_left_halfway_leaves_no_stale_answer_for_the_next(
    pool: WorkerPool[str, tuple[str, int]],
) -> None:
    stream = pool.stream([f"x{n}" for n in range(20)])
    next(stream)
    stream.close()  # the caller stops early (e.g. its transaction failed)
    results = run(pool, ["y0", "y1", "y2"])
    assert [results[i][0] for i in range(3)] == ["Y0", "Y1", "Y2"]  # type: ignore[index]


def test_a_worker_that_died_idle_is_replaced_without_blaming_an_input(
    pool: WorkerPool[str, tuple[str, int]],
) -> None:
    pids = {r[1] for r in run(pool, ["a", "b", "c", "d"]).values()}  # type: ignore[index]
    victim = min(pids)  # type: ignore[type-var]
    os.kill(victim, signal.SIGKILL)
    while alive(victim):
        time.sleep(0.05)
    results = run(pool, ["e", "f", "g", "h"])
    assert all(not isinstance(r, WorkerFailure) for r in results.values())
    assert victim not in {r[1] for r in results.values()}  # type: ignore[index]


def test_close_ends_every_worker(pool: WorkerPool[str, tuple[str, int]]) -> None:
    pids = {r[1] for r in run(pool, ["a", "b", "c", "d"]).values()}  # type: ignore[index]
    pool.close()
    assert not any(alive(pid) for pid in pids)  # type: ignore[arg-type]


CALLER = """
import sys, time
from mailflow.adapters.worker_pool import WorkerPool
from tests.adapters.pool_functions import work
if __name__ == "__main__":
    pool = WorkerPool(work, workers=1, timeout=60)
    ((index, (text, pid)),) = next(pool.stream(["a"]))
    print(pid, flush=True)
    time.sleep(600)
"""


def test_workers_end_when_their_caller_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "caller.py"
    script.write_text(CALLER, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    caller = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert caller.stdout is not None
        worker = int(caller.stdout.readline())
        assert alive(worker)
        caller.kill()  # kill -9: no close(), no atexit
        caller.wait()
        deadline = time.monotonic() + 30
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)  # its pipe closed: the worker ended instead of lingering
    finally:
        caller.kill()
        caller.wait()
        if caller.stdout is not None:
            caller.stdout.close()


def test_default_workers_leave_the_first_core_to_the_caller() -> None:
    assert default_workers(0) == 0 and default_workers(3) == 3  # configured: as configured
    cores = os.cpu_count() or 1
    assert default_workers(None) == max(0, min(4, cores - 1))
    assert default_workers(None, limit=1) == min(1, max(0, cores - 1))
