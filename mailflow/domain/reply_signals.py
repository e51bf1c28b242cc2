"""Does an incoming mail look like a reply to something mailflow sent? (pure)

Only the shape is judged here: a token-looking plus-address on the reply address, an
In-Reply-To/References pointing at a Message-ID of our domains, or a case tag such as
`[LPR-2026-00042]` in the subject. Whether the token is valid and the sender may act is the
conversation engine's decision.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from mailflow.domain.inbound import InboundMail

_TOKEN = re.compile(r"^[A-Za-z0-9_.=-]{6,200}$")
_FIELD_REGEX = {
    "tahun": r"\d{4}",
    "nomor": r"\d{1,9}",
    "bulan": r"\d{1,2}",
    "bulan_romawi": r"[IVXivx]{1,4}",
}


class SignalKind(StrEnum):
    TOKEN_ADDRESS = "token_address"  # noqa: S105 - a signal kind, not a password
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    SUBJECT_TAG = "subject_tag"


@dataclass(frozen=True)
class ReplySignal:
    kind: SignalKind
    value: str

    def describe(self) -> str:
        return f"{self.kind.value}: {self.value}"


def case_number_regex(pattern: str) -> str:
    """A regex (no groups) matching case numbers made from `pattern` ("LPR-{tahun}-{nomor:05d}")."""
    out: list[str] = []
    for literal, field, _spec, _conv in string.Formatter().parse(pattern):
        out.append(re.escape(literal))
        if field is not None:
            out.append(_FIELD_REGEX.get(field, r"[A-Za-z0-9.]{1,20}"))
    return "".join(out)


def case_tag_regex(pattern: str) -> re.Pattern[str]:
    """`[<case number>]` in a subject; group 1 is the number."""
    return re.compile(r"\[\s*(" + case_number_regex(pattern) + r")\s*\]", re.IGNORECASE)


def reply_signals(
    mail: InboundMail,
    *,
    reply_address: str,
    own_domains: Collection[str],
    case_tag: re.Pattern[str],
) -> tuple[ReplySignal, ...]:
    signals: list[ReplySignal] = []
    local, _, domain = reply_address.lower().partition("@")
    for address in mail.recipients:
        a_local, _, a_domain = address.partition("@")
        base, plus, suffix = a_local.partition("+")
        if plus and base == local and a_domain == domain and _TOKEN.match(suffix):
            signals.append(ReplySignal(SignalKind.TOKEN_ADDRESS, address))
    domains = {d.lower() for d in own_domains}
    for kind, ids in ((SignalKind.IN_REPLY_TO, mail.in_reply_to), (SignalKind.REFERENCES, mail.references)):
        for message_id in ids:
            if message_id.rstrip(">").rsplit("@", 1)[-1].lower() in domains:
                signals.append(ReplySignal(kind, message_id))
    match = case_tag.search(mail.subject)
    if match:
        signals.append(ReplySignal(SignalKind.SUBJECT_TAG, match.group(1).upper()))
    return tuple(signals)
