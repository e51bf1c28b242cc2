"""What became of one returned file (the signed-letter service's answer), shared by the service
and the mails that explain refusals."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReturnedOutcome:
    status: str  # accepted / rejected / duplicate
    code: str  # "signed" / "scan" when accepted, else a reason code (domain.signatures)
    accepted: bool
    note: str  # the result in words (settings language): the reason file, the log
    returned_file_id: int | None = None
    letter_id: int | None = None
    signed_document_id: int | None = None
    case_id: int | None = None
    security: bool = False
    values: dict[str, str] = field(default_factory=dict)  # for texts in another language
    file_name: str | None = None  # as the sender named it
