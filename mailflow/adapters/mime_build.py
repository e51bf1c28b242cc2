"""Build the MIME bytes of an outgoing mail: text + HTML alternatives, inline parts, attachments."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mailflow.adapters.db.models import OutboxMail
from mailflow.adapters.mime_fold import fold_header
from mailflow.adapters.mime_policy import SMTP
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
