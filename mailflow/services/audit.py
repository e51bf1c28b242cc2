"""The audit log: who (an address, "admin" or "system") did what, from which message or document.

Every service writes its audit rows through `audit`, inside the caller's transaction, so an
action and its record commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import AuditEntry


def audit(
    session: Session,
    now: datetime,
    actor: str | None,
    action: str,
    *,
    case_id: int | None = None,
    message_id: int | None = None,
    document_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=(actor or "-")[:320],
            action=action,
            case_id=case_id,
            message_id=message_id,
            document_id=document_id,
            detail=json.dumps(dict(detail), ensure_ascii=False, default=str) if detail else None,
        )
    )
