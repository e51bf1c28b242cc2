"""Ingest speed against a real Dovecot, with a bare-imapclient baseline in the same run.

    .venv/bin/python benchmarks/ingest.py [--count 5000] [--batch 200] [--latency 50]

1. Loads N complaint mails into a fresh Dovecot mailbox (MULTIAPPEND).
2. (a) Baseline: plain imapclient, UID FETCH BODY.PEEK[] of all of them in batches.
   (b) mailflow: `mailflow poll --once` over the same mailbox (the command's code in-process, so
   interpreter start-up is not counted): store raw (fsync), parse, classify, register each case
   with its step-1 event and acknowledgement (one SQLite transaction per message), move.
   Prints both rates and the ratio (b)/(a).
3. IDLE latency: a running poller in IDLE; APPEND one mail at a time and measure until its case
   is committed (p50, p95 over --latency mails). Dovecot's own notify delay is part of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient
from sqlalchemy import func, select

from mailflow.adapters.db.migrate import upgrade
from mailflow.adapters.db.models import Case
from mailflow.bootstrap import App
from mailflow.bootstrap import ingest as ingest_app
from mailflow.clock import SystemClock
from mailflow.config.loader import load_config
from tests.fixtures.dovecot import PASSWORD, DovecotServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import write_config


@dataclass
class _Port:
    port: int


def baseline(server: DovecotServer, user: str, batch: int) -> tuple[int, float]:
    client = IMAPClient(server.host, port=server.port, ssl=False)
    client.login(user, PASSWORD)
    client.select_folder("INBOX", readonly=True)
    start = time.perf_counter()
    uids = client.search("ALL")
    total = 0
    for i in range(0, len(uids), batch):
        data = client.fetch(uids[i : i + batch], ["BODY.PEEK[]"])
        total += len(data)
    elapsed = time.perf_counter() - start
    client.logout()
    return total, elapsed


def case_count(app: App) -> int:
    with app.database.reader() as session:
        return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


def idle_latency(app: App, server: DovecotServer, user: str, count: int) -> list[float]:
    stop = threading.Event()
    [poller] = ingest_app.run_pollers(app, stop)
    deadline = time.monotonic() + 30
    while not poller.idling.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    samples: list[float] = []
    try:
        for i in range(count):
            before = case_count(app)
            while not poller.idling.is_set():
                time.sleep(0.005)
            start = time.perf_counter()
            server.append(user, complaint(900_000 + i))
            while case_count(app) == before:
                time.sleep(0.005)
            samples.append(time.perf_counter() - start)
    finally:
        stop.set()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--latency", type=int, default=50)
    args = parser.parse_args()

    server = DovecotServer()
    server.start()
    user = server.add_user("lapor@diskominfo.bontangkota.go.id")
    root = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    try:
        start = time.perf_counter()
        server.append_many(user, [complaint(i) for i in range(args.count)])
        print(f"loaded {args.count} messages in {time.perf_counter() - start:.1f} s")

        fetched, base_s = baseline(server, user, args.batch)
        base_rate = fetched / base_s
        print(f"(a) imapclient UID FETCH BODY.PEEK[] x{args.batch}: {fetched} in {base_s:.2f} s", end=" ")
        print(f"= {base_rate:,.0f} msg/s")

        config = write_config(
            root, user=user, dovecot=server, smtp=_Port(2525),  # type: ignore[arg-type]
            batch_size=args.batch, limits="max_mails_per_address_per_day = 1000",
        )  # fmt: skip
        app = App(settings=load_config(config), clock=SystemClock())
        upgrade(app.database)
        start = time.perf_counter()
        stats = ingest_app.poll_once(app)["diskominfo"]
        poll_s = time.perf_counter() - start
        poll_rate = stats.processed / poll_s
        print(f"(b) mailflow poll --once: {stats.processed} registered in {poll_s:.2f} s", end=" ")
        print(f"= {poll_rate:,.0f} msg/s")
        ratio = poll_rate / base_rate
        print(f"ratio (b)/(a): {ratio:.4f} (the bare fetch is {1 / ratio:.0f}x faster)")
        assert case_count(app) == args.count

        samples = idle_latency(app, server, user, args.latency)
        quantiles = statistics.quantiles(samples, n=20)
        print(
            f"IDLE latency APPEND -> case registered over {len(samples)} mails: "
            f"p50 {statistics.median(samples) * 1000:.0f} ms, p95 {quantiles[18] * 1000:.0f} ms, "
            f"max {max(samples) * 1000:.0f} ms"
        )
        app.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()
