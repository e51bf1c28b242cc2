"""Prometheus metrics and the health endpoint of `mailflow run --metrics HOST:PORT`.

The official prometheus-client with a registry of mailflow's own (never the global one, so a
library's metrics or a second Runtime in one process never mix in). Counters are incremented by
the loops; what the database knows (open cases, overdue steps, the outbox) is read by a custom
collector on each scrape (services.runtime.metrics). One small HTTP server answers:

    GET /metrics   the text exposition format
    GET /healthz   200 {"status": "ok", ...} or 503 {"status": "fail", "problems": [...]}
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

log = logging.getLogger("mailflow.metrics")
HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


class Metrics:
    """mailflow's registry and the counters the loops increment."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.ingested = Counter(
            "mailflow_mails_ingested", "Mails read from a mailbox and processed (final status), by kind",
            ["mailbox", "kind"], registry=registry,
        )  # fmt: skip
        self.ignored = Counter(
            "mailflow_mails_ignored", "Mails set aside as noise (newsletters, auto-replies)",
            ["mailbox"], registry=registry,
        )  # fmt: skip
        self.quarantined = Counter(
            "mailflow_mails_quarantined", "Mails put into quarantine, by reason code",
            ["mailbox", "reason"], registry=registry,
        )  # fmt: skip
        self.outbox_sent = Counter(
            "mailflow_outbox_sent", "Outbox mails the SMTP server accepted", registry=registry
        )
        self.outbox_deferred = Counter(
            "mailflow_outbox_deferred",
            "Outbox mails that failed for now and will be retried",
            registry=registry,
        )
        self.outbox_failed = Counter(
            "mailflow_outbox_failed", "Outbox mails that failed for good", registry=registry
        )
        self.part_restarts = Counter(
            "mailflow_part_restarts", "Parts of `mailflow run` restarted after they died", ["part"],
            registry=registry,
        )  # fmt: skip

    def add_collector(self, collect: Callable[[], Iterable[Metric]]) -> None:
        """Register `collect` (called on every scrape) for values computed when asked."""
        self.registry.register(_Collector(collect))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Collector(Collector):
    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()

    def describe(self) -> Iterable[Metric]:
        return []  # unchecked: registering must not query the database


class MetricsServer:
    """/metrics and /healthz on one address, in a daemon thread."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: HealthCheck) -> None:
        handler = _handler(metrics, health)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="mailflow-metrics",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)


def _handler(metrics: Metrics, health: HealthCheck) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, CONTENT_TYPE_LATEST, metrics.exposition())
            elif path == "/healthz":
                ok, body = health()
                data = json.dumps(body, ensure_ascii=False).encode()
                self._answer(200 if ok else 503, "application/json; charset=utf-8", data)
            else:
                self._answer(404, "text/plain; charset=utf-8", b"/metrics, /healthz\n")

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("metrics: " + format, *args)

    return Handler
