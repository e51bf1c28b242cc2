"""Build the MIME bytes of an outgoing mail: text + HTML alternatives, inline parts, attachments."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mime_fold import MAX_LINE, fold_header
from mailflow.adapters.mime_policy import SMTP
from mailflow.domain.addresses import is_valid_addr_spec
from mailflow.domain.mail import ResolvedFile
from mailflow.domain.outgoing import clean_headers, display_name, one_line, split_addresses, valid_cc


def build_mime(mail: OutboxMail, *, from_addr: str, from_name: str, files: Sequence[ResolvedFile]) -> bytes:
    """The exact bytes to send. Deterministic for a given row and files (Date = queue time), so a
    retried delivery sends the same message with the same Message-ID.

    Names and header values are cleaned again here (outbox.queue already did) because rows
    queued by older versions were not; what cannot be cleaned raises, and the sender fails that
    one row."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=from_name, addr_spec=from_addr)
    message["To"] = Address(display_name=display_name(mail.to_name) or "", addr_spec=mail.to_addr)
    cc, _refused = valid_cc(split_addresses(mail.cc_addrs))
    if cc:
        message["Cc"] = ", ".join(cc)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    # folded here, not by the policy, so that the spaces survive (mime_fold.py says why)
    message.set_raw("Subject", fold_header("Subject", one_line(mail.subject)))
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Content-Language"] = mail.language
    for name, value in clean_headers(json.loads(mail.headers) if mail.headers else {}).items():
        message[name] = value
    message.set_content(mail.text_body, subtype="plain", charset="utf-8")
    inline = [f for f in files if f.inline_cid]
    attached = [f for f in files if not f.inline_cid]
    if mail.html_body is not None:
        message.add_alternative(mail.html_body, subtype="html", charset="utf-8")
        if inline:
            html_part = message.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            for item in inline:
                maintype, subtype = _split(item.content_type, item.filename)
                html_part.add_related(
                    item.path.read_bytes(), maintype=maintype, subtype=subtype,
                    cid=f"<{item.inline_cid}>", filename=item.filename,
                )  # fmt: skip
    for item in attached:
        maintype, subtype = _split(item.content_type, item.filename)
        message.add_attachment(
            item.path.read_bytes(), maintype=maintype, subtype=subtype, filename=item.filename
        )
    return message.as_bytes()


def _split(content_type: str | None, filename: str) -> tuple[str, str]:
    guess = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    maintype, _, subtype = guess.partition("/")
    return maintype, subtype or "octet-stream"


# What `surely_builds` accepts without a trial: values of printable ASCII only, short enough that no
# header needs the email package's folding of a structured value (the Subject, folded and encoded
# by mime_fold, may hold any text).
_PRINTABLE = re.compile(r"[ -~]*")
_FIELD_NAME = re.compile(r"[!-9;-~]{1,76}")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 .,'-]{0,64}")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_MAX_PLAIN_HEADER = 900  # below RFC 5322's 998, with room for the name
# the header names the email package parses as structured values (its headerregistry's map);
# the extra headers mailflow adds (In-Reply-To, References, X-Mailflow-*...) are unstructured text
_STRUCTURED = frozenset(
    [
        "bcc",
        "cc",
        "content-disposition",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "orig-date",
        "reply-to",
        "resent-bcc",
        "resent-cc",
        "resent-date",
        "resent-from",
        "resent-sender",
        "resent-to",
        "sender",
        "subject",
        "to",
    ]
)


def surely_builds(mail: OutboxMail, *, from_addr: str, from_name: str) -> bool:
    """True when `build_mime` cannot refuse this mail, decided without building it.

    Building a mail to find out costs a full pass of the email generator (a millisecond, a
    sixth of ingesting a complaint). What can make the build raise is a value the email package
    parses or encodes: an address or Message-ID that is not a plain one, a display name or header
    value outside printable ASCII, a structured header among the extra ones, or a body that is
    not encodable as UTF-8 (a lone surrogate). This answers True only when none of those is
    present; anything else is decided by a real build (False here), so a doubtful mail always
    gets the trial. tests/hostile/test_outbox_trial.py holds this against the real build."""
    if not (_plain_address(from_addr) and _PLAIN_NAME.fullmatch(from_name)):
        return False
    if not (_plain_address(mail.to_addr) and _PLAIN_NAME.fullmatch(display_name(mail.to_name) or "")):
        return False
    if mail.reply_to is not None and not _plain_address(mail.reply_to):
        return False
    if mail.cc_addrs and not all(_plain_address(a) for a in split_addresses(mail.cc_addrs)):
        return False
    message_id = mail.message_id or ""
    if not (message_id.startswith("<") and message_id.endswith(">") and _plain_address(message_id[1:-1])):
        return False
    if not (_LANGUAGE.fullmatch(mail.language or "") and isinstance(mail.created_at, datetime)):
        return False
    if not (_plain_value(mail.subject) or _folds_as_is(one_line(mail.subject))):
        return False
    for name, value in (json.loads(mail.headers) if mail.headers else {}).items():
        if not (_FIELD_NAME.fullmatch(name) and name.lower() not in _STRUCTURED and _plain_value(value)):
            return False
    return _encodable(mail.text_body) and (mail.html_body is None or _encodable(mail.html_body))


def _plain_address(address: str | None) -> bool:
    """A plain `local@domain` (domain/addresses) in which the email package sees no encoded word
    ("=?" is atext, but the parser decodes it)."""
    return is_valid_addr_spec(address) and "=?" not in (address or "")


def _plain_value(value: object) -> bool:
    """Printable ASCII, not too long, and no encoded word for the email package to decode."""
    if not isinstance(value, str):
        return False
    line = one_line(value)
    return len(line) <= _MAX_PLAIN_HEADER and "=?" not in line and bool(_PRINTABLE.fullmatch(line))


def _folds_as_is(subject: str) -> bool:
    """Whether the email generator writes the Subject `build_mime` sets (folded by mime_fold, set
    raw) as it is: ASCII lines short enough that the policy does not fold them again."""
    lines = fold_header("Subject", subject).splitlines()  # as the policy splits it
    if not lines:  # nothing left after cleaning (only Unicode spaces): an empty Subject
        return True
    if not all(line.isascii() for line in lines):
        return False
    return len(lines[0]) + len("Subject: ") <= MAX_LINE and all(len(line) <= MAX_LINE for line in lines[1:])


def _encodable(body: object) -> bool:
    if not isinstance(body, str):
        return False
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
