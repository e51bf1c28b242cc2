"""Keeping the parts of `mailflow run` alive: each part is a loop in its own thread; one that
dies (an exception escaped it, or it returned while the service was not stopping) is started
again after a backoff, with the reason logged. A part that dies `max_restarts` times within
`window` seconds is beyond restarting in-process (a folder that cannot be created, a bug hit by
every run): the supervisor gives up and `mailflow run` exits non-zero, so systemd restarts the
whole service and the operator finds the reason in the log.

    supervisor = Supervisor(stop, RestartPolicy(), lang="id")
    supervisor.add("sender", sender.run)         # target(stop) runs until stop is set
    supervisor.start()
    while not stop.wait(0.5):
        supervisor.check()                       # restarts what died; sets `fatal` when it gives up
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from mailflow.domain.backoff import backoff_delay
from mailflow.i18n import translate

log = logging.getLogger("mailflow.run")
Target = Callable[[threading.Event], None]


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    window: float = 600.0
    backoff: float = 1.0
    backoff_max: float = 60.0


@dataclass
class Part:
    name: str
    target: Target
    thread: threading.Thread | None = None
    reason: str | None = None  # why the last run ended (set by the thread itself)
    deaths: deque[float] = field(default_factory=deque)
    restart_at: float | None = None  # when a dead part is due to start again
    restarts: int = 0

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class Supervisor:
    def __init__(
        self,
        stop: threading.Event,
        policy: RestartPolicy | None = None,
        *,
        lang: str = "id",
        on_restart: Callable[[str], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stop = stop
        self.policy = policy or RestartPolicy()
        self.lang = lang
        self.on_restart = on_restart
        self._now = monotonic
        self.parts: dict[str, Part] = {}
        self.fatal: str | None = None  # set when the supervisor gave up; `run` exits with it

    def add(self, name: str, target: Target) -> Part:
        if name in self.parts:
            raise ValueError(f"part {name!r} is added twice")
        part = Part(name, target)
        self.parts[name] = part
        return part

    def start(self) -> None:
        for part in self.parts.values():
            self._launch(part)

    def alive(self) -> dict[str, bool]:
        """Each part: running now (a part waiting for its restart is not)."""
        return {name: part.alive for name, part in self.parts.items()}

    def check(self) -> None:
        """Note the parts that died since the last check, restart those whose backoff is over,
        and give up (`fatal`, stop set) on a part that keeps dying."""
        if self.stop.is_set():
            return
        now = self._now()
        for part in self.parts.values():
            if part.alive:
                continue
            if part.restart_at is None:
                self._died(part, now)
                if self.fatal is not None:
                    return
            elif now >= part.restart_at:
                part.restart_at = None
                part.restarts += 1
                log.warning("%s", translate("ops.part.restarted", self.lang, part=part.name))
                if self.on_restart is not None:
                    self.on_restart(part.name)
                self._launch(part)

    def join(self, timeout: float) -> None:
        deadline = self._now() + timeout
        for part in self.parts.values():
            if part.thread is not None:
                part.thread.join(max(0.0, deadline - self._now()))

    # --- internals ------------------------------------------------------------------------------

    def _died(self, part: Part, now: float) -> None:
        policy = self.policy
        reason = part.reason or translate("ops.part.ended", self.lang)
        part.deaths.append(now)
        while part.deaths and part.deaths[0] < now - policy.window:
            part.deaths.popleft()
        count = len(part.deaths)
        window = round(policy.window)
        if count >= policy.max_restarts:
            self.fatal = translate(
                "ops.part.gave_up", self.lang, part=part.name, count=count, window=window, reason=reason
            )
            log.critical("%s", self.fatal)
            self.stop.set()
            return
        delay = backoff_delay(
            count - 1,
            base=policy.backoff,
            cap=policy.backoff_max,
            draw=random.random(),  # noqa: S311 - jitter, not security
        )
        part.restart_at = now + delay
        log.error(
            "%s",
            translate(
                "ops.part.died", self.lang, part=part.name, reason=reason, delay=f"{delay:.1f}",
                count=count, window=window,
            ),
        )  # fmt: skip

    def _launch(self, part: Part) -> None:
        part.reason = None

        def body() -> None:
            try:
                part.target(self.stop)
            except BaseException as exc:  # the reason goes to the log; the supervisor restarts it
                part.reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                log.error("part %s died", part.name, exc_info=True)

        part.thread = threading.Thread(target=body, name=f"mailflow-{part.name}", daemon=True)
        part.thread.start()
