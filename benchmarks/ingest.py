"""Ingest speed and IDLE latency against a real Dovecot, each beside its bare baseline in one run.

    .venv/bin/python benchmarks/ingest.py [--count 1000] [--batch 100] [--rounds 5] [--latency 40]
                                          [--simple] [--database-url URL]

1. Loads N complaints into a staging folder of a fresh Dovecot mailbox (MULTIAPPEND): realistic
   ones (tests/ingest/realistic.py: a third text only, the rest with phone photos or PDFs, ~310 KB
   on average), or `--simple` one-paragraph text mails.
2. In `--rounds` rounds over a share of the messages each, alternately:
   (a) the bare per-message baseline, the work no ingest can avoid: plain imapclient UID FETCH
   BODY.PEEK[] in batches, each message parsed with the standard library (`email.policy.default`,
   every leaf part decoded with get_content()), its raw bytes written to a file and fsynced;
   (b) mailflow's poller over the same messages, copied into INBOX (a pass of `mailflow poll
   --once`, the poller built once as `mailflow run` does): store raw, parse, store attachments,
   classify, register each case with its step-1 event and acknowledgement, the engine starts
   step 2 and queues its action mail, under group commit (one fsync round and one transaction
   per batch of `--batch`), then one MOVE per batch.
   Alternating rounds keep a neighbour's load, which comes and goes on this shared machine, from
   tilting the ratio. Prints both rates over all rounds and the ratio (b)/(a) (target >= 0.5),
   with the spread of the per-round ratios.
3. IDLE latency, sampled alternately: (c) Dovecot's own notification, a bare imapclient IDLE on
   another folder, from the start of an APPEND to the EXISTS it announces; (d) mailflow: a running
   poller in IDLE, from the start of an APPEND to the commit of its case (the poller's outcome
   callback). Prints p50/p95 of both and the p50 difference (target <= 100 ms).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
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
from mailflow.services.ingest.service import Outcome
from tests.fixtures.dovecot import PASSWORD, DovecotServer
from tests.ingest.builders import complaint
from tests.ingest.conftest import write_config
from tests.ingest.realistic import realistic_complaint

PARSER = BytesParser(policy=policy.default)
STAGING = "Muatan"  # the loaded messages wait here; each round copies its share into INBOX


@dataclass
class _Port:
    port: int


def bare_ingest(client: IMAPClient, uids: list[int], batch: int, out: Path) -> float:
    """FETCH + full parse + fsynced raw write, per message: what any ingest must do. Seconds."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i in range(0, len(uids), batch):
        data = client.fetch(uids[i : i + batch], ["BODY.PEEK[]"])
        for uid, parts in data.items():
            raw = bytes(parts[b"BODY[]"])
            message = PARSER.parsebytes(raw)
            for part in message.walk():
                if not part.is_multipart():
                    part.get_content()
            descriptor = os.open(out / f"{uid}.eml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(descriptor, raw)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
    return time.perf_counter() - start


def compare(app: App, server: DovecotServer, user: str, args: argparse.Namespace, root: Path) -> None:
    """Rounds of (a) then (b) over the same messages; prints the rates and the ratio."""
    client = IMAPClient(server.host, port=server.port, ssl=False)
    client.login(user, PASSWORD)
    client.select_folder(STAGING)
    staged = sorted(client.search("ALL"))
    [poller] = ingest_app.pollers(app, ingest_app.build_ingest(app))
    share = -(-len(staged) // args.rounds)
    bare_s = mailflow_s = 0.0
    ratios = []
    for start in range(0, len(staged), share):
        uids = staged[start : start + share]
        a = bare_ingest(client, uids, args.batch, root / "bare")
        shutil.rmtree(root / "bare")
        client.copy(uids, "INBOX")
        before = poller.stats.processed
        began = time.perf_counter()
        poller.poll_once()
        b = time.perf_counter() - began
        assert poller.stats.processed - before == len(uids), "mailflow did not register every message"
        bare_s, mailflow_s = bare_s + a, mailflow_s + b
        ratios.append(a / b)
        print(f"  round {len(ratios)}: {len(uids)} messages, (a) {a:.2f} s, (b) {b:.2f} s, ratio {a / b:.2f}")
    client.logout()
    total = len(staged)
    print(f"(a) bare FETCH x{args.batch} + parse + fsynced write: {total} in {bare_s:.2f} s", end=" ")
    print(f"= {total / bare_s:,.1f} msg/s")
    print(f"(b) mailflow poller: {total} registered in {mailflow_s:.2f} s = {total / mailflow_s:,.1f} msg/s")
    spread = f"rounds {min(ratios):.2f}-{max(ratios):.2f}"
    print(f"ratio (b)/(a): {bare_s / mailflow_s:.2f} (target >= 0.5; {spread})")
    assert case_count(app) == total


def case_count(app: App) -> int:
    with app.database.reader() as session:
        return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


class BareIdle:
    """An imapclient connection idling on `folder`: how long Dovecot takes to announce a mail."""

    def __init__(self, server: DovecotServer, user: str, folder: str) -> None:
        server.ensure_folder(user, folder)
        self.client = IMAPClient(server.host, port=server.port, ssl=False)
        self.client.login(user, PASSWORD)
        self.client.select_folder(folder)
        self.server, self.user, self.folder = server, user, folder

    def sample(self, raw: bytes) -> float:
        self.client.idle()
        try:
            start = time.perf_counter()
            self.server.append(self.user, raw, folder=self.folder)
            deadline = start + 10
            while time.perf_counter() < deadline:
                for response in self.client.idle_check(timeout=0.5):
                    if len(response) > 1 and response[1] == b"EXISTS":
                        return time.perf_counter() - start
            raise RuntimeError("no EXISTS within 10 s")
        finally:
            self.client.idle_done()

    def close(self) -> None:
        self.client.logout()


def idle_latency(
    app: App, server: DovecotServer, user: str, count: int, make: Callable[[int], bytes]
) -> tuple[list[float], list[float]]:
    """(Dovecot's own IDLE notification, mailflow APPEND -> case committed), sampled alternately."""
    stop = threading.Event()
    [poller] = ingest_app.run_pollers(app, stop)
    committed = threading.Event()
    stamp: list[float] = []

    def observe(outcome: Outcome) -> None:
        if outcome.case_id is not None and not outcome.skipped:
            stamp.append(time.perf_counter())
            committed.set()

    poller.observe = observe
    bare = BareIdle(server, user, "Latensi")
    deadline = time.monotonic() + 30
    while not poller.idling.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    dovecot: list[float] = []
    mailflow: list[float] = []
    try:
        for i in range(count):
            dovecot.append(bare.sample(make(800_000 + i)))
            while not poller.idling.is_set():
                time.sleep(0.005)
            time.sleep(0.05)  # let the poller's IDLE reach the server
            committed.clear()
            stamp.clear()
            start = time.perf_counter()
            server.append(user, make(900_000 + i))
            if not committed.wait(30):
                raise RuntimeError("the poller did not register the mail within 30 s")
            mailflow.append(stamp[0] - start)
    finally:
        stop.set()
        bare.close()
    return dovecot, mailflow


def describe(samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[18]
    return f"p50 {statistics.median(samples) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100, help="mailboxes.batch_size (group commit)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=int, default=40)
    parser.add_argument("--simple", action="store_true", help="one-paragraph text mails instead")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite, e.g. postgresql+psycopg://...")
    args = parser.parse_args()
    make = complaint if args.simple else realistic_complaint

    server = DovecotServer()
    server.start()
    user = server.add_user("lapor@diskominfo.bontangkota.go.id")
    root = Path(tempfile.mkdtemp(prefix="mailflow-bench-"))
    try:
        raws = [make(i) for i in range(args.count)]
        size = sum(len(r) for r in raws) / len(raws) / 1024
        start = time.perf_counter()
        server.append_many(user, raws, folder=STAGING, chunk=50)
        del raws
        print(f"loaded {args.count} {'simple' if args.simple else 'realistic'} messages", end=" ")
        print(f"(mean {size:.0f} KB) in {time.perf_counter() - start:.1f} s")
        config = write_config(
            root, user=user, dovecot=server, smtp=_Port(2525),  # type: ignore[arg-type]
            batch_size=args.batch, limits="max_mails_per_address_per_day = 1000",
            database_url=args.database_url,
        )  # fmt: skip
        app = App(settings=load_config(config), clock=SystemClock())
        upgrade(app.database)
        compare(app, server, user, args, root)

        dovecot, mailflow = idle_latency(app, server, user, args.latency, make)
        print(f"(c) Dovecot IDLE notification over {len(dovecot)} mails: {describe(dovecot)}")
        print(f"(d) mailflow APPEND -> case committed over {len(mailflow)} mails: {describe(mailflow)}")
        gap = (statistics.median(mailflow) - statistics.median(dovecot)) * 1000
        print(f"p50 (d) - (c): {gap:.0f} ms (target <= 100 ms)")
        app.close()
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
