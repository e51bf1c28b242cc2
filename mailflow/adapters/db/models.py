"""The data model of DESIGN.md section 5. All instants are UTC (see UTCDateTime).

Status columns hold short English codes (stable identifiers); user-facing words come from i18n.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mailflow.adapters.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class MailboxState(Base):
    """Where the poller stands in one folder of one account."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """One incoming message, stored raw on disk (content-addressed) before anything else happens."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account", "folder", "uidvalidity", "uid"),
        Index("ix_messages_message_id_sha256", "message_id", "sha256"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    from_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    date_header: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str | None] = mapped_column(String(20))  # complaint/reply/auto_reply/bounce/ignored
    rule: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    # A plain column, not a foreign key: cases.source_message_id already points here, and a
    # cycle of foreign keys cannot be created in one step on SQLite.
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    server_state: Mapped[str] = mapped_column(String(20), default="pending")  # pending/done
    # The MIME parser's defects as JSON {"defects": [...], "parts": [{"part", "type", "defects"}]};
    # None for a clean message.
    defects: Mapped[str | None] = mapped_column(Text)


class Complainant(Base):
    __tablename__ = "complainants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(10), default="biasa")  # biasa/rahasia/anonim
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Case(Base):
    """A complaint (aduan) and its progress through the SOP."""

    __tablename__ = "cases"
    __table_args__ = (
        # the reports count cases closed or received in a period from these alone (migration 0009)
        Index("ix_cases_closed_cover", "closed_at", "id", "status", "received_at"),
        Index("ix_cases_received_cover", "received_at", "category", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    channel: Mapped[str] = mapped_column(String(30), default="email")
    subject: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    suggested_opds: Mapped[str | None] = mapped_column(String(300))  # comma-separated OPD codes
    track: Mapped[str] = mapped_column(String(10), default="normal")  # normal/special
    confidentiality: Mapped[str] = mapped_column(String(10), default="biasa")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open/rejected/closed
    current_step: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2), default="id")
    complainant_id: Mapped[int | None] = mapped_column(ForeignKey("complainants.id"))
    # Unique: a message can become at most one case, whatever crash or second poller repeats it.
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    close_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 1, then 2, 3, ... each time a closed case is reopened (BUKA KEMBALI): a follow-up round
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    followup_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "sudah selesai?"
    # Why the case is on the special track (KHUSUS <alasan>), who said so and when (issue 14)
    special_reason: Mapped[str | None] = mapped_column(Text)
    special_by: Mapped[str | None] = mapped_column(String(320))
    special_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complainant: Mapped[Complainant | None] = relationship()
    routes: Mapped[list[CaseRoute]] = relationship(back_populates="case", order_by="CaseRoute.id")


class CaseRoute(Base):
    """One OPD's branch of a complaint (SOP steps 5-9 run once per route)."""

    __tablename__ = "case_routes"
    __table_args__ = (UniqueConstraint("case_id", "opd_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    opd_code: Mapped[str] = mapped_column(String(30), index=True)
    bidang_code: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open/done/cancelled
    instruction: Mapped[str | None] = mapped_column(Text)  # the head's direction (arahan)
    response_text: Mapped[str | None] = mapped_column(Text)  # the drafted response (konsep)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # why the OPD declined (status returned) or why its answer was sent back for revision
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="routes")


OPD_STEPS_INDEX = "ix_step_events_opd_steps"  # per-OPD counts of a long period (migration 0009)
# the day counts of a period summed in key order, from index entries alone (migration 0011)
REPORT_DAY_COVER = ("kind", "step", "opd_code", "flag", "local_day", "n", "ok", "nulls")
REPORT_OPD_STEPS = ("opd_code", "step", "route_key", "outcome", "finished_at", "on_time", "business_seconds")
STEP_VALUE_INDEX = "ix_step_events_step_value"  # percentiles walk it in value order (figures)
_TIMING = ("business_seconds", "on_time")
REPORT_FINISHED_COVER = ("finished_at", "step", "outcome", "route_key", "opd_code", *_TIMING)
REPORT_CASE_COVER = ("case_id", "route_key", "outcome", "step", "finished_at", *_TIMING, "opd_code")
REPORT_ROUTE_DONE_COVER = ("last_done_at", "last_step", "route_key", "opd_code", "seconds", "ok", "case_id")
REPORT_CASE_CLOSED_COVER = ("closed_at", "seconds", "ok", "case_id")
REPORT_LATER_ROUNDS = ("step", "attempt", "started_at", "route_key", "route_id", "opd_code")


class StepEvent(Base):
    """One step of the SOP for one case (and route): who, started, due, finished, on time.

    `route_key` is the route id or 0 for case-level steps, so the unique constraint holds where
    SQL would treat NULL route ids as distinct. `business_seconds` and `late_seconds` are fixed
    when the step finishes, so reports aggregate them in SQL.
    """

    __tablename__ = "step_events"
    __table_args__ = (
        UniqueConstraint("case_id", "route_key", "step", "attempt"),
        Index("ix_step_events_open_due", "finished_at", "due_at"),
        Index("ix_step_events_step_started", "step", "started_at"),
        Index("ix_step_events_step_finished", "step", "finished_at"),
        # Covering indexes for the reports (services.figures, issue 16): each report query reads
        # only index entries of its period, never the table rows.
        Index("ix_step_events_finished_cover", *REPORT_FINISHED_COVER),
        Index("ix_step_events_case_cover", *REPORT_CASE_COVER),
        Index(STEP_VALUE_INDEX, "step", "business_seconds", "outcome", "finished_at", "on_time"),
        # the OPDs' finished and on-time items of a semester or a year, grouped in index order
        Index(OPD_STEPS_INDEX, *REPORT_OPD_STEPS),
        # The branch figures (services/reports/branches.py): a round joined to the round before it
        # on its route, the rounds after the first, the misrouted dispositions (migration 0008).
        Index("ix_step_events_route_rounds", "route_id", "step", "started_at", "attempt"),
        Index("ix_step_events_later_rounds", *REPORT_LATER_ROUNDS),
        Index("ix_step_events_commands", "step", "command", "finished_at", "opd_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("case_routes.id"))
    route_key: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    track: Mapped[str] = mapped_column(String(10), default="normal")
    opd_code: Mapped[str | None] = mapped_column(String(30), index=True)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_person: Mapped[str | None] = mapped_column(String(100))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # done/rejected/cancelled/superseded
    finished_by: Mapped[str | None] = mapped_column(String(320))
    command: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    business_seconds: Mapped[int | None] = mapped_column(Integer)
    late_seconds: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)  # bit 1: 50%, bit 2: 100%
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))


class ReportRouteSum(Base):
    """The finished rows of one (case, route_key) summed for the reports (migration 0009): their
    business seconds, 1 when none was late, the route's OPD, its highest done step and when that
    step was last done. Read only for cases without a mark in `report_dirty_cases`."""

    __tablename__ = "report_route_sums"
    __table_args__ = (
        Index("ix_report_route_sums_done", *REPORT_ROUTE_DONE_COVER),
        Index("ix_report_route_sums_case", "case_id", "route_key", "seconds", "ok"),
    )

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    opd_code: Mapped[str | None] = mapped_column(String(30))
    seconds: Mapped[int] = mapped_column(BigInteger)
    ok: Mapped[int] = mapped_column(Integer)
    last_step: Mapped[int | None] = mapped_column(Integer)
    last_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportCaseSum(Base):
    """One case's figures for the case timing (migration 0010): ``closed_at`` when it is finished
    (status not open, else NULL), its business seconds (the case-level steps' sum plus the longest
    route) and 1 when no finished step was late. Read only for cases without a mark in
    `report_dirty_cases`."""

    __tablename__ = "report_case_sums"
    __table_args__ = (Index("ix_report_case_sums_closed", *REPORT_CASE_CLOSED_COVER),)

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(BigInteger)
    ok: Mapped[int] = mapped_column(Integer)


class ReportDirtyCase(Base):
    """A case whose step events changed since its `report_route_sums` rows were computed: written
    by triggers on step_events in the event's own transaction (migration 0009)."""

    __tablename__ = "report_dirty_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)


class ReportDayCount(Base):
    """Step items counted per local calendar day for the long reports (migration 0011, folded
    from `report_day_deltas` by services/reports/day_counts.py). `kind` 1: items finished (done
    or rejected) that day, `flag` = on a route (route_key != 0), `ok` = on time, `nulls` =
    without business seconds; `kind` 2: items started that day, `flag` = a route's first attempt
    (route_key != 0 and attempt 1), the only started rows that keep their OPD; `kind` 3
    (migration 0012): items finished in the local MONTH starting on `local_day` with business
    seconds whose value bin (domain/value_bins.py) is `flag`, `n` of them; `kind` 4 and 5: kinds 1
    and 2 per local month (`local_day` its first day), read for periods of whole months. The day is
    the local date at `report_day_settings`' offset. Several rows may share a key only between
    folds (`refresh_day_counts` merges them); readers sum them with the deltas."""

    __tablename__ = "report_day_counts"
    __table_args__ = (
        Index("ix_report_day_counts_cover", *REPORT_DAY_COVER),
        Index("ix_report_day_counts_local_day", "local_day"),  # the days a fold merges into
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[int] = mapped_column(Integer)
    local_day: Mapped[date] = mapped_column(Date)
    step: Mapped[int] = mapped_column(Integer)
    opd_code: Mapped[str | None] = mapped_column(String(30))
    flag: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)
    ok: Mapped[int] = mapped_column(BigInteger)
    nulls: Mapped[int] = mapped_column(BigInteger)


class ReportDayDelta(Base):
    """One signed change of `report_day_counts` (+1 for a step row's new contribution, -1 for its
    old one), appended by triggers on step_events in the event's own transaction (migration
    0011). It holds the instant (`at`: finished_at or started_at), not the day, so the reports
    filter it by the period's bounds exactly and a change of the day offset never mis-files it.
    A finished row's delta also carries the value bin of its business seconds (`bin`, migration
    0012; NULL without business seconds, and on the deltas logged before that migration, whose
    binned counts its backfill took from the events themselves)."""

    __tablename__ = "report_day_deltas"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[int] = mapped_column(Integer)
    opd_code: Mapped[str | None] = mapped_column(String(30))
    flag: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    ok: Mapped[int] = mapped_column(Integer)
    nulls: Mapped[int] = mapped_column(Integer)
    bin: Mapped[int | None] = mapped_column(Integer)


class ReportDaySetting(Base):
    """The one row (id 1) saying at which UTC offset, in minutes, `report_day_counts` cuts days."""

    __tablename__ = "report_day_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)


class Document(Base):
    """A generated or returned letter; `doc_uid` is the public id printed on it and in its QR code."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_uid: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("case_routes.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(10), default="internal")  # internal/opd/public
    number: Mapped[str | None] = mapped_column(String(120), index=True)
    unit: Mapped[str | None] = mapped_column(String(60))
    docx_path: Mapped[str | None] = mapped_column(String(500))
    pdf_path: Mapped[str | None] = mapped_column(String(500))
    docx_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    template_name: Mapped[str | None] = mapped_column(String(100))
    template_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="generated")
    signature_status: Mapped[str | None] = mapped_column(String(20))
    signer: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature_detail: Mapped[str | None] = mapped_column(Text)  # JSON
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0 for the first version; n for "revisi n" (same number, new document id) of a letter
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReturnedFile(Base):
    """A PDF that came back (mail attachment or watched folder), keyed by its content hash."""

    __tablename__ = "returned_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(10))  # mail/folder
    original_name: Mapped[str | None] = mapped_column(String(500))
    stored_path: Mapped[str | None] = mapped_column(String(500))
    sender: Mapped[str | None] = mapped_column(String(320))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # the case and route the file was for: the letter's, or (a reply) the step-8 mail's when the
    # file names no letter; `mailflow case` shows a route's refused files at its step 8
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("case_routes.id"))
    status: Mapped[str] = mapped_column(String(20), default="received")  # received/accepted/rejected
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Counter(Base):
    """Gapless serials (case numbers, letter numbers per unit) per period, bumped inside the
    transaction that uses the number, so a rollback also gives the number back."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMail(Base):
    """A mail to send. It is queued in the same transaction as the state change that caused it,
    with its Message-ID fixed then; the MIME bytes are built when its attachments are ready (a
    letter's PDF comes from the converter later) and kept in `raw` once sent, for the record."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_to_created", "to_addr", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    dedup_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    step_event_id: Mapped[int | None] = mapped_column(ForeignKey("step_events.id"))
    to_addr: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(300))
    cc_addrs: Mapped[str | None] = mapped_column(Text)  # comma-separated
    reply_to: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)  # JSON object of extra headers
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="id")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # domain.statuses.OutboxStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An action mail as one section of a grouped mail (JSON: the case, the step, the deadline, the
    # commands with their own reply links), kept so the sender can bundle it (domain/pacing).
    group_section: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="mail", order_by="OutboxAttachment.position", cascade="all, delete-orphan"
    )


class OutboxAttachment(Base):
    """A file to attach: a letter (its PDF and/or DOCX, once they exist) or a plain file on disk.
    `inline_cid` makes it an inline part (e.g. the weekly chart) referenced from the HTML."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    variant: Mapped[str] = mapped_column(String(10), default="file")  # pdf/docx/both/file
    path: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    inline_cid: Mapped[str | None] = mapped_column(String(200))

    mail: Mapped[OutboxMail] = relationship(back_populates="attachments")


class MessageAttachment(Base):
    """An attachment of an incoming message, streamed to disk under a generated name; the
    sender's file name is kept only as data."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    original_name: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str | None] = mapped_column(String(500))  # None when refused (too big)
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    refused_reason: Mapped[str | None] = mapped_column(Text)
    # Cut short or corrupt in the mail (closing boundary missing, base64 cut): what could be read
    # is stored, but it is not the complete file and must not be used as one.
    damaged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    defects: Mapped[str | None] = mapped_column(Text)  # JSON list of this part's MIME defects


class ComplainantReply(Base):
    """A complainant's mail about their case (a reply token proved it is theirs): before closing
    it is attached to the case and the current actor told; after closing it is forwarded to the
    after-close actors. `verb` is the answer it gave (PUAS, BELUM, ...), if any."""

    __tablename__ = "complainant_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    round: Mapped[int] = mapped_column(Integer, default=1)
    after_close: Mapped[bool] = mapped_column(Boolean, default=False)
    verb: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[int] = mapped_column(Integer, default=0)


class CaseAnswer(Base):
    """The complainant's answer to one question about a case (satisfaction with the answer, or
    whether the problem is solved): one row per case and question, the last answer counts."""

    __tablename__ = "case_answers"
    __table_args__ = (UniqueConstraint("case_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    question: Mapped[str] = mapped_column(String(20))  # satisfaction / resolved
    verb: Mapped[str] = mapped_column(String(30))
    positive: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    changes: Mapped[int] = mapped_column(Integer, default=0)  # how often an earlier answer was replaced


class AuditEntry(Base):
    """Who did what, from which message or document."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class QuarantineItem(Base):
    """Input that could not be processed: a message, a reply or a returned file, with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # message/reply/file
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    returned_file_id: Mapped[int | None] = mapped_column(ForeignKey("returned_files.id"))
    path: Mapped[str | None] = mapped_column(String(500))
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retries: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(Base):
    """One run of a scheduled job for one period; the unique key makes it happen once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running/done/failed
    owner: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)
