"""What `mailflow doctor` reports: findings (OK, PERINGATAN, GAGAL) and its options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]
CHECKS = ("database", "secret", "templates", "trust", "converter", "smtp", "mailboxes", "clock")
MIN_SECRET = 32  # bytes; `mailflow init` writes 43 characters of URL-safe randomness
WEAK_SECRET = 16
EXPIRY_WARNING = timedelta(weeks=8)


@dataclass(frozen=True)
class Finding:
    check: str  # one of CHECKS
    subject: str  # what was looked at (a mailbox name, a file, a server)
    status: Status
    message: str
    hint: str = ""  # what to do (empty when nothing)

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "subject": self.subject,
            "status": self.status,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class DoctorOptions:
    send_to: str | None = None  # `--to`: also send a test mail there
    create_folders: bool = True
    timeout: float = 10.0  # seconds per network connection
    probe_wait: float = 60.0  # how long to look for the plus-address probe
    skip: frozenset[str] = frozenset()


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [f.as_dict() for f in self.findings]}
