"""The statuses stored in the database, as enums (pure).

StrEnum members compare equal to their stored strings, so rows read back from the database
compare with them directly; code writes and tests the members, never bare strings.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    REJECTED = "rejected"  # closed by a rejection; the complainant was told why
    CLOSED = "closed"  # answered


class RouteStatus(StrEnum):
    OPEN = "open"
    DONE = "done"  # its last route step finished
    CANCELLED = "cancelled"  # the case closed while it was open
    RETURNED = "returned"  # "dikembalikan": the OPD declined (not its business); never joins


class StepOutcome(StrEnum):
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # the case closed while the step was open


class MessageStatus(StrEnum):
    RECEIVED = "received"  # stored, not yet decided
    PROCESSED = "processed"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    UNHANDLED = "unhandled"
    QUARANTINED = "quarantined"


FINAL_MESSAGE_STATUSES = (
    MessageStatus.PROCESSED,
    MessageStatus.IGNORED,
    MessageStatus.DUPLICATE,
    MessageStatus.UNHANDLED,
    MessageStatus.QUARANTINED,
)


class ServerState(StrEnum):
    PENDING = "pending"  # the server copy still has to be moved or flagged
    DONE = "done"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender (lease)
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # over the per-address daily limit: goes out in the next digest
    DIGESTED = "digested"
    GROUPED = "grouped"  # went out as a section of a grouped mail (domain/pacing)


class ReturnedStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
