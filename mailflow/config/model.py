"""The shape of mailflow.toml. Every section is a small frozen value object with defaults.

Relative paths are resolved against the folder of the config file by the loader.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from mailflow.domain.calendar import WEEKDAYS, DaySchedule

Language = Literal["id", "en"]
Security = Literal["tls", "starttls", "plain"]
AuthMethod = Literal["password", "oauth2"]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

DEFAULT_HOURS: dict[str, str] = {
    "monday": "07:30-12:00, 12:30-16:30",
    "tuesday": "07:30-12:00, 12:30-16:30",
    "wednesday": "07:30-12:00, 12:30-16:30",
    "thursday": "07:30-12:00, 12:30-16:30",
    "friday": "07:30-11:00",
    "saturday": "",
    "sunday": "",
}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_hours(value: dict[str, str]) -> dict[str, str]:
    for day, text in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
        DaySchedule.parse(text)
    return value


class GeneralSection(Section):
    language: Language = "id"
    timezone: str = "Asia/Makassar"
    zone_label: str = "WITA"
    city: str = "Bontang"
    instance_name: str = "LAPOR Bontang"
    data_dir: Path = Path("var")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Makassar)") from None
        return value


class PathsSection(Section):
    letters: Path = Path("letters")
    templates: Path = Path("templates")
    inbox_rules: Path = Path("inbox_rules")
    directory: Path = Path("directory.yaml")
    raw_mail: Path | None = None  # default: <data_dir>/mail
    attachments: Path | None = None  # default: <data_dir>/attachments
    sop: Path | None = None  # default: the SOP shipped with mailflow


class DatabaseSection(Section):
    url: str | None = None  # default: sqlite:///<data_dir>/mailflow.sqlite3; env MAILFLOW_DATABASE_URL
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value


class OAuth2Section(Section):
    """OAuth 2.0 sign-in for IMAP or SMTP (XOAUTH2/OAUTHBEARER). The tokens live in `token_file`
    (mode 600, written by `mailflow auth login`), never in this file; the endpoints default to the
    provider's public ones and are overridden only for a private identity provider (or tests)."""

    provider: Literal["microsoft", "google"]
    client_id: str = Field(min_length=1)
    client_secret: SecretStr | None = None  # Google desktop clients; env MAILFLOW_..._CLIENT_SECRET
    tenant: str = "organizations"  # Microsoft: the directory (tenant) id or domain
    scopes: tuple[str, ...] = ()  # default: the provider's IMAP + SMTP scopes
    mechanism: Literal["xoauth2", "oauthbearer"] = "xoauth2"
    token_file: Path | None = None  # default: <data_dir>/oauth/<mailbox name | smtp>.json
    authority: str | None = None  # Microsoft: default https://login.microsoftonline.com/<tenant>
    auth_url: str | None = None  # Google: the consent page
    token_url: str | None = None  # default: the provider's token endpoint
    refresh_margin_seconds: int = Field(300, ge=0, le=3000)  # refresh this long before expiry

    @field_validator("authority", "auth_url", "token_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be an https:// address")
        return value.rstrip("/") if value else value


def _needs_oauth2(auth: str, oauth2: OAuth2Section | None, where: str) -> None:
    if auth == "oauth2" and oauth2 is None:
        raise ValueError(f"auth = 'oauth2' needs a [{where}.oauth2] table with provider and client_id")


class MailboxSection(Section):
    name: str
    role: Literal["complaints", "opd"] = "complaints"
    opd: str | None = None
    host: str
    port: int = Field(993, ge=1, le=65535)
    security: Security = "tls"
    user: str
    password: SecretStr | None = None  # env MAILFLOW_MAILBOX_<NAME>_PASSWORD
    auth: AuthMethod = "password"
    oauth2: OAuth2Section | None = None
    folder: str = "INBOX"
    processed_folder: str = "Diproses"
    quarantine_folder: str = "Karantina"
    mark_processed: Literal["move", "flag"] = "move"
    idle: bool = True
    poll_interval_seconds: int = Field(60, ge=1, le=3600)
    batch_size: int = Field(200, ge=1, le=5000)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("use lowercase letters, digits, - and _ (e.g. diskominfo)")
        if value == "smtp":
            raise ValueError(
                "'smtp' names the SMTP account (e.g. in `mailflow auth login smtp`); pick another"
            )
        return value

    @model_validator(mode="after")
    def _opd_needs_code(self) -> MailboxSection:
        if self.role == "opd" and not self.opd:
            raise ValueError("a mailbox with role 'opd' needs opd = '<OPD code>'")
        _needs_oauth2(self.auth, self.oauth2, "mailboxes")
        return self


class SmtpSection(Section):
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    security: Security = "starttls"
    user: str | None = None
    password: SecretStr | None = None  # env MAILFLOW_SMTP_PASSWORD
    auth: AuthMethod = "password"
    oauth2: OAuth2Section | None = None
    from_address: EmailStr = "lapor@diskominfo.bontangkota.go.id"
    from_name: str = "LAPOR Bontang"
    timeout_seconds: float = Field(30, gt=0, le=600)

    @model_validator(mode="after")
    def _oauth2(self) -> SmtpSection:
        _needs_oauth2(self.auth, self.oauth2, "smtp")
        if self.auth == "oauth2" and not self.user:
            raise ValueError("auth = 'oauth2' needs user (the account the token belongs to)")
        return self


class TokensSection(Section):
    secret: SecretStr | None = None  # env MAILFLOW_TOKEN_SECRET
    reply_address: EmailStr = "lapor@diskominfo.bontangkota.go.id"
    validity_days: int = Field(30, ge=1, le=365)


class DayOffEntry(Section):
    date: date
    name: str


class OverrideEntry(Section):
    first: date
    last: date
    name: str = ""
    hours: dict[str, str]

    _hours = field_validator("hours")(_check_hours)

    @model_validator(mode="after")
    def _order(self) -> OverrideEntry:
        if self.last < self.first:
            raise ValueError("'last' is before 'first'")
        return self


class CalendarSection(Section):
    country: str = "ID"
    subdivision: str | None = None
    holiday_categories: tuple[str, ...] = ("public", "government")
    hours: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_HOURS))
    days_off: tuple[DayOffEntry, ...] = ()
    overrides: tuple[OverrideEntry, ...] = ()

    _hours = field_validator("hours")(_check_hours)


class NumberingSection(Section):
    case_pattern: str = "LPR-{tahun}-{nomor:05d}"
    letter_pattern: str = "{kode_klasifikasi}/{nomor:04d}/{unit}/{tahun}"
    kode_klasifikasi: str = "700.1.2.4"

    @field_validator("case_pattern", "letter_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "{nomor" not in value:
            raise ValueError("the pattern needs {nomor} (the serial number)")
        sample = {
            "nomor": 1, "tahun": 2026, "bulan": 1, "bulan_romawi": "I",
            "kode_klasifikasi": "700", "unit": "X", "sifat": "B",
        }  # fmt: skip
        try:
            value.format(**sample)
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(
                f"cannot use pattern ({exc}); fields: nomor, tahun, bulan, bulan_romawi, "
                "kode_klasifikasi, unit, sifat"
            ) from None
        return value


class LimitsSection(Section):
    max_message_mb: float = Field(30, gt=0, le=200)
    max_attachment_mb: float = Field(25, gt=0, le=200)
    max_mails_per_address_per_day: int = Field(20, ge=1, le=1000)
    max_attempts: int = Field(5, ge=1, le=50)


class SendingSection(Section):
    """Outbox delivery (issue: ingest)."""

    retry_base_seconds: float = Field(30, gt=0, le=3600)
    retry_max_seconds: float = Field(3600, gt=0, le=86400)
    max_attempts: int = Field(8, ge=1, le=50)
    batch_size: int = Field(20, ge=1, le=500)
    # Action mails to one directory person: at most one mail per this many minutes; those due in
    # between go out together as one grouped mail (domain/pacing). 0 sends each on its own.
    group_minutes: float = Field(5, ge=0, le=240)


class AuthSection(Section):
    """Who may advance a step by reply (issue: conversation engine)."""

    require_authentication_results: bool = False
    trusted_authserv_ids: tuple[str, ...] = ()


class RemindersSection(Section):
    """Reminders at fractions of a step's limit and escalation when overdue."""

    at_fractions: tuple[float, ...] = (0.5, 1.0)
    escalate_when_overdue: bool = True
    max_mails_per_person_per_day: int = Field(10, ge=1, le=200)


class SatisfactionSection(Section):
    """The follow-up question to the complainant (issue 13): "is the problem solved?", asked
    `followup_days` working days after a case is closed with an answer."""

    enabled: bool = True
    followup_days: int = Field(10, ge=1, le=120)


class EvidenceSection(Section):
    """The complainant's attachments in the officials' mails (issue 14): up to `max_total_mb`
    together they go with the mail; above it they are listed with their sizes and sent on
    STATUS LAMPIRAN in as many mails as needed, each under the limit."""

    max_total_mb: float = Field(10.0, gt=0, le=100)

    @property
    def max_total_bytes(self) -> int:
        return int(self.max_total_mb * 1024 * 1024)


class LettersSection(Section):
    """Official letters (issue: letters)."""

    place: str = "Bontang"
    qr_code: bool = True
    # number of a disposition sheet (its own register, the agenda, apart from outgoing letters)
    agenda_pattern: str = "{nomor:04d}/Agenda/{unit}/{tahun}"

    _agenda = field_validator("agenda_pattern")(NumberingSection._pattern.__func__)  # type: ignore[attr-defined]


class ConverterSection(Section):
    """DOCX -> PDF with a warm LibreOffice (issue: letters); its profile lives in <data_dir>/converter."""

    enabled: bool = True
    soffice: str = "soffice"
    uno_python: str = "/usr/bin/python3"
    timeout_seconds: float = Field(60, gt=0, le=600)
    startup_timeout_seconds: float = Field(60, gt=0, le=600)
    poll_seconds: float = Field(2.0, gt=0, le=600)  # how often the worker looks for new letters
    # warm LibreOffice processes converting side by side (each one core and ~200 MB while busy);
    # 0 = one per core, at most 4
    workers: int = Field(0, ge=0, le=16)


class SignaturesSection(Section):
    """Validation of signed PDFs coming back (issue: signed PDFs)."""

    policy: Literal["digital", "digital_or_scan"] = "digital"
    trust_roots: tuple[Path, ...] = ()  # PEM/DER files (relative to the config file)
    intermediates: tuple[Path, ...] = ()  # CA certificates a signer may omit from its signature
    allow_fetching: bool = False  # fetch revocation data (CRL/OCSP) over the network
    accept_delegates: bool = True  # a delegate of the OPD head (e.g. the Sekretaris, a.n.) may sign
    # explanations of refused files mailed to one sender in any 60 minutes; beyond that the
    # refusals are only recorded (quarantine, audit, `mailflow case`), so a flood cannot make
    # mailflow mail-bomb anyone
    max_explanations_per_hour: int = Field(5, ge=1, le=100)


class WatcherSection(Section):
    """Watched folders for returned PDFs (issue: signed PDFs); default folder: <letters>/returned."""

    folders: tuple[Path, ...] = ()
    stable_seconds: float = Field(2.0, gt=0, le=600)
    rescan_seconds: float = Field(300, gt=0, le=86400)
    use_polling: bool = False  # poll instead of inotify (network shares that send no events)
    # processes reading returned PDFs while the watcher records the decisions (each one core and
    # ~60 MB while busy); unset = one per core beyond the first, at most 4; 0 = the watcher reads
    # every file itself
    inspect_workers: int | None = Field(None, ge=0, le=16)
    # a file whose reading takes longer is refused as unreadable (its worker is replaced)
    inspect_timeout_seconds: float = Field(120, gt=0, le=3600)


class ReportsSection(Section):
    """SOP reports and the weekly compliance email (issue: reports)."""

    weekly_recipients: tuple[EmailStr, ...] = ()
    weekly_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )
    weekly_time: str = "07:30"
    daily_time: str = "07:00"  # the previous day's report, ready when the office opens
    # helper connections a semester or yearly report reads on beside its own (PostgreSQL only)
    readers: int = Field(2, ge=0, le=8)


class RunSection(Section):
    """`mailflow run` as a service (issue 15): restarting parts, health, repeated-failure logs."""

    max_restarts: int = Field(5, ge=1, le=1000)  # deaths of one part within the window that end `run`
    restart_window_seconds: float = Field(600, gt=0, le=86400)
    restart_backoff_seconds: float = Field(1.0, gt=0, le=600)  # first restart delay, doubled each time
    restart_backoff_max_seconds: float = Field(60, gt=0, le=3600)
    poll_max_age_seconds: float | None = Field(None, gt=0, le=86400)  # default: 3 poll intervals, >= 300
    repeat_log_seconds: float = Field(60, gt=0, le=3600)  # a repeated failure: one line per part per window


class Settings(Section):
    """The whole of mailflow.toml after validation; `config_file` is where it came from."""

    general: GeneralSection = GeneralSection()
    paths: PathsSection = PathsSection()
    database: DatabaseSection = DatabaseSection()
    mailboxes: tuple[MailboxSection, ...] = ()
    smtp: SmtpSection = SmtpSection()
    tokens: TokensSection = TokensSection()
    calendar: CalendarSection = CalendarSection()
    numbering: NumberingSection = NumberingSection()
    limits: LimitsSection = LimitsSection()
    sending: SendingSection = SendingSection()
    auth: AuthSection = AuthSection()
    reminders: RemindersSection = RemindersSection()
    satisfaction: SatisfactionSection = SatisfactionSection()
    evidence: EvidenceSection = EvidenceSection()
    letters: LettersSection = LettersSection()
    converter: ConverterSection = ConverterSection()
    signatures: SignaturesSection = SignaturesSection()
    watcher: WatcherSection = WatcherSection()
    reports: ReportsSection = ReportsSection()
    run: RunSection = RunSection()
    config_file: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique_mailboxes(self) -> Settings:
        names = [m.name for m in self.mailboxes]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"mailbox name {name!r} is used twice")
        return self

    # --- derived values the rest of the code asks for -----------------------------------------

    @property
    def base_dir(self) -> Path:
        return self.config_file.parent if self.config_file else Path.cwd()

    @property
    def data_dir(self) -> Path:
        return self.general.data_dir

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'mailflow.sqlite3'}"

    @property
    def raw_mail_dir(self) -> Path:
        return self.paths.raw_mail or self.data_dir / "mail"

    @property
    def attachments_dir(self) -> Path:
        return self.paths.attachments or self.data_dir / "attachments"

    @property
    def token_secret(self) -> bytes:
        if self.tokens.secret is None:
            return b""
        return self.tokens.secret.get_secret_value().encode()
