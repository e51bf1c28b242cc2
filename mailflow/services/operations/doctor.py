"""`mailflow doctor`: check a configuration against the real servers before going live.

Each check yields Findings: OK, PERINGATAN (warning: works, but look at it) or GAGAL (failure:
mailflow will not work as configured), each with what to do. The mail checks (IMAP, SMTP, the
plus-address probe) live in `doctor_mail`; the local ones here: the database and its migrations,
the token secret, the templates, the trust roots, LibreOffice, the clock and time zone.

Network checks use short timeouts so a dead server costs seconds, not minutes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mailflow.adapters.db.engine import Database
from mailflow.config.model import Settings
from mailflow.errors import MailflowError
from mailflow.i18n import translate
from mailflow.services.operations.findings import (
    CHECKS,
    EXPIRY_WARNING,
    MIN_SECRET,
    WEAK_SECRET,
    DoctorOptions,
    Finding,
    Report,
    Status,
)

__all__ = ["CHECKS", "Doctor", "DoctorOptions", "Finding", "Report", "Status"]


class Doctor:
    def __init__(self, settings: Settings, database: Database, options: DoctorOptions | None = None) -> None:
        self.settings = settings
        self.database = database
        self.options = options or DoctorOptions()
        self.lang: str = settings.general.language
        self.server_time: datetime | None = None  # INTERNALDATE of the probe, for the clock check
        self.local_at_probe: datetime | None = None

    def t(self, key: str, **values: Any) -> str:
        return translate(f"doctor.{key}", self.lang, **values)

    def finding(
        self, check: str, subject: str, status: Status, key: str, hint: str = "", **values: Any
    ) -> Finding:
        return Finding(check, subject, status, self.t(key, **values), self.t(hint, **values) if hint else "")

    def run(self, progress: Callable[[Finding], None] | None = None) -> Report:
        from mailflow.services.operations.doctor_mail import MailChecks  # noqa: PLC0415 - the network half

        report = Report()
        steps: list[tuple[str, Callable[[], Iterable[Finding]]]] = [
            ("database", self.check_database),
            ("secret", self.check_secret),
            ("templates", self.check_templates),
            ("trust", self.check_trust_roots),
            ("converter", self.check_converter),
        ]
        mail = MailChecks(self)
        steps += [("smtp", mail.check_smtp), ("mailboxes", mail.check_mailboxes), ("clock", self.check_clock)]
        for name, step in steps:
            if name in self.options.skip:
                continue
            for item in _guarded(self, name, step):
                report.findings.append(item)
                if progress is not None:
                    progress(item)
        return report

    # --- the database ----------------------------------------------------------------------

    def check_database(self) -> Iterator[Finding]:
        from sqlalchemy import text  # noqa: PLC0415

        from mailflow.adapters.db.migrate import current_revision, head_revision  # noqa: PLC0415

        database = self.database
        where = database.describe()
        try:
            with database.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = current_revision(database)
        except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
            yield self.finding(
                "database", where, "fail", "db.unreachable", "db.unreachable_hint", error=_first(exc)
            )
            return
        head = head_revision()
        if current == head:
            yield self.finding("database", where, "ok", "db.ok", revision=current)
        else:
            yield self.finding(
                "database", where, "fail", "db.behind", "db.behind_hint", current=current or "-", head=head
            )

    # --- the token secret ------------------------------------------------------------------

    def check_secret(self) -> Iterator[Finding]:
        length = len(self.settings.token_secret)
        if length < WEAK_SECRET:
            yield self.finding(
                "secret", "tokens.secret", "fail", "secret.short", "secret.hint", length=length
            )
        elif length < MIN_SECRET:
            yield self.finding("secret", "tokens.secret", "warn", "secret.weak", "secret.hint", length=length)
        else:
            yield self.finding("secret", "tokens.secret", "ok", "secret.ok", length=length)

    # --- templates -------------------------------------------------------------------------

    def check_templates(self) -> Iterator[Finding]:
        from mailflow.adapters.docx_render import DocxRenderer  # noqa: PLC0415
        from mailflow.adapters.letter_templates import TEMPLATE_FILES  # noqa: PLC0415
        from mailflow.domain.letter_fields import LETTER_KINDS, compare_fields  # noqa: PLC0415

        renderer = DocxRenderer(self.settings.paths.templates)
        for kind in LETTER_KINDS:
            name = TEMPLATE_FILES[kind]
            try:
                template = renderer.load(name)
            except MailflowError as exc:
                yield self.finding("templates", name, "fail", "templates.broken", "templates.hint", error=exc)
                continue
            report = compare_fields(kind, template.variables, qr_code=self.settings.letters.qr_code)
            if report.ok:
                yield self.finding("templates", name, "ok", "templates.ok", count=len(report.variables))
            else:
                missing = ", ".join([*report.missing, *report.required_absent])
                yield self.finding(
                    "templates", name, "fail", "templates.fields", "templates.hint", names=missing
                )

    # --- trust roots -----------------------------------------------------------------------

    def check_trust_roots(self) -> Iterator[Finding]:
        from mailflow.services.returned.service import trust_store  # noqa: PLC0415

        if not self.settings.signatures.trust_roots:
            yield self.finding("trust", "signatures.trust_roots", "warn", "trust.none", "trust.none_hint")
            return
        try:
            store = trust_store(self.settings)
        except MailflowError as exc:
            yield self.finding(
                "trust", "signatures.trust_roots", "fail", "trust.unreadable", "trust.hint", error=exc
            )
            return
        now = datetime.now(UTC)
        for certificate in store.roots:
            name = certificate.subject.human_friendly
            until = certificate["tbs_certificate"]["validity"]["not_after"].native
            start = certificate["tbs_certificate"]["validity"]["not_before"].native
            day = until.astimezone(ZoneInfo(self.settings.general.timezone)).date().isoformat()
            if until <= now:
                yield self.finding("trust", name, "fail", "trust.expired", "trust.hint", until=day)
            elif start > now:
                yield self.finding("trust", name, "fail", "trust.not_yet", "trust.hint", since=start.date())
            elif until - now < EXPIRY_WARNING:
                days = (until - now).days
                yield self.finding(
                    "trust", name, "warn", "trust.expiring", "trust.hint", until=day, days=days
                )
            else:
                yield self.finding("trust", name, "ok", "trust.ok", until=day)

    # --- LibreOffice -----------------------------------------------------------------------

    def check_converter(self) -> Iterator[Finding]:
        from mailflow.adapters.converter import WarmConverter  # noqa: PLC0415

        section = self.settings.converter
        if not section.enabled:
            yield self.finding("converter", "converter", "warn", "converter.disabled")
            return
        with tempfile.TemporaryDirectory(prefix="mailflow-doctor-") as folder:
            work = Path(folder)
            sample = _sample_docx(work / "contoh.docx")
            target = work / "contoh.pdf"
            try:
                with WarmConverter(
                    work_dir=work / "converter",
                    soffice=section.soffice,
                    uno_python=section.uno_python,
                    timeout=section.timeout_seconds,
                    startup_timeout=section.startup_timeout_seconds,
                ) as converter:
                    converter.convert(sample, target)
            except MailflowError as exc:
                yield self.finding(
                    "converter", section.soffice, "fail", "converter.failed", "converter.hint", error=exc
                )
                return
            if not target.is_file() or not target.read_bytes().startswith(b"%PDF-"):
                yield self.finding(
                    "converter", section.soffice, "fail", "converter.failed", "converter.hint", error="no PDF"
                )
                return
        yield self.finding("converter", section.soffice, "ok", "converter.ok")

    # --- the clock -------------------------------------------------------------------------

    def check_clock(self) -> Iterator[Finding]:
        zone = ZoneInfo(self.settings.general.timezone)
        now = datetime.now(zone)
        offset = now.strftime("%z")
        yield self.finding(
            "clock",
            self.settings.general.timezone,
            "ok",
            "clock.zone",
            now=now.strftime("%Y-%m-%d %H:%M"),
            label=self.settings.general.zone_label,
            offset=f"{offset[:3]}:{offset[3:]}",
        )
        if self.server_time is None or self.local_at_probe is None:
            yield self.finding("clock", "IMAP", "warn", "clock.unknown", "clock.unknown_hint")
            return
        # INTERNALDATE has whole seconds: a difference under a minute is noise
        skew = (self.local_at_probe - self.server_time).total_seconds()
        if abs(skew) > 300:
            yield self.finding("clock", "IMAP", "fail", "clock.skew", "clock.hint", seconds=round(skew))
        elif abs(skew) > 60:
            yield self.finding("clock", "IMAP", "warn", "clock.skew", "clock.hint", seconds=round(skew))
        else:
            yield self.finding("clock", "IMAP", "ok", "clock.ok", seconds=round(skew))


def _guarded(doctor: Doctor, name: str, step: Callable[[], Iterable[Finding]]) -> Iterator[Finding]:
    """A check that breaks unexpectedly is itself a failure line, never the end of the doctor."""
    try:
        yield from step()
    except Exception as exc:  # noqa: BLE001 - reported, and the other checks still run
        yield doctor.finding(name, name, "fail", "unexpected", error=f"{type(exc).__name__}: {_first(exc)}")


def _first(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _sample_docx(path: Path) -> Path:
    from docx import Document  # noqa: PLC0415 - python-docx, already used for the templates

    document = Document()
    document.add_heading("mailflow doctor", level=1)
    document.add_paragraph("Uji konversi DOCX ke PDF: Dinas Komunikasi dan Informatika Kota Bontang.")
    document.save(str(path))
    return path
