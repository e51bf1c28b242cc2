"""What the person actually wrote in a reply: quoted history, signatures and phone footers removed.

Built on mail-parser-reply (which takes new languages) with an Indonesian definition of our own,
plus rules no library has: Indonesian Gmail/Outlook/Thunderbird/Apple/Yahoo quote headers
("Pada ... menulis:", "Dari: ... Dikirim: ...", "Pesan Asli", "Pesan yang diteruskan"),
"Dikirim dari ..." phone footers, and HTML replies whose quote lives in a known container.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply import constants as mpr_constants
from mailparser_reply.parser import EmailMessage

_Q = mpr_constants.QUOTED_MATCH_INCLUDE

INDONESIAN = {
    # Gmail: "Pada tanggal Sen, 30 Nov 2026 pukul 08.40 Nama <x@y> menulis:" (often wrapped);
    # Apple/Thunderbird/Yahoo: "Pada 30 Nov 2026, pukul 08.40, Nama <x@y> menulis:"
    "wrote_header": r"^(" + _Q + r"Pada\s(?:.+?\s?.+?)\s?menulis\s?:)$",
    # Outlook: "Dari: ...\nDikirim: ...\nKepada: ...\nSubjek: ..."
    "from_header": r"((?:(?:^|\n|\n"
    + _Q
    + r")[* ]*(?:Dari|Dikirim|Terkirim|Kepada|Untuk|Subjek|Perihal|Tanggal|Cc|Tembusan):"
    + r"[ *]*(?:\s{,2}).*){2,}(?:\n.*){,1})",
    "disclaimers": [
        r"PERHATIAN:",
        r"Pemberitahuan:",
        r"Email ini (?:dan|beserta) (?:lampiran|semua lampiran)",
    ],
    # Only closings that stand alone on their line; "Terima kasih ..." is not here because
    # responses often open with it.
    "signatures": [
        r"Salam(?: hangat| hormat)?,?$",
        r"Hormat (?:saya|kami),?$",
        r"Wassalam\S*.*$",
    ],
    "sent_from": r"Dikirim dari|Dikirim melalui|Dapatkan Outlook untuk|Sent from my|Get Outlook for",
}
mpr_constants.MAIL_LANGUAGES.setdefault("id", INDONESIAN)

# Separators the library does not know; everything from them on is history.
_EXTRA_SEPARATORS = re.compile(
    r"^\s*(?:-{2,}\s*(?:Pesan Asli|Original Message|Pesan yang diteruskan|Forwarded message)\s*-{2,}"
    r"|_{10,}"
    r"|-- $"
    r"|Dikirim dari .{0,40}$"
    r"|Sent from my .{0,40}$)",
    re.IGNORECASE | re.MULTILINE,
)


def reply_text(text: str) -> str:
    """The new part of a plain-text reply, without quoted history and signature."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    message = EmailMessage(text=normalised, languages=["id", "en"], keep_hyphen_lists=True)
    header = message.HEADER_REGEX.search(message.text)
    head = message.text[: header.start()] if header else message.text
    extra = _EXTRA_SEPARATORS.search(head)
    if extra:
        head = head[: extra.start()]
    signature = message.SIGNATURE_REGEX.search(head)
    if signature and signature.start() > 0:
        head = head[: signature.start()]
    lines = [line for line in head.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def first_meaningful_line(text: str) -> tuple[str, str]:
    """(first non-empty line, the rest) of a stripped reply."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            return line.strip(), "\n".join(lines[index + 1 :]).strip()
    return "", ""


# --- HTML replies ---------------------------------------------------------------------------

_QUOTE_CONTAINERS = (
    ("div", "class", "gmail_quote"),  # Gmail
    ("div", "class", "gmail_attr"),
    ("div", "id", "divRplyFwdMsg"),  # Outlook desktop/web
    ("div", "id", "appendonsend"),
    ("div", "id", "mail-editor-reference-message-container"),  # new Outlook
    ("div", "class", "moz-cite-prefix"),  # Thunderbird
    ("div", "class", "yahoo_quoted"),  # Yahoo
    ("blockquote", None, None),  # Apple Mail, Thunderbird, most clients
)
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}
_SKIP = {"script", "style", "head", "title"}


class _ReplyHtml(HTMLParser):
    """Text of an HTML reply up to the first quote container or Outlook's reply separator."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stop = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stop:
            return
        values = dict(attrs)
        for name, attr, value in _QUOTE_CONTAINERS:
            if tag == name and (attr is None or value in (values.get(attr) or "").split()):
                self.stop = True
                return
        # Outlook marks the start of the quoted mail with a top border on a plain div
        if tag == "div" and "border-top:solid" in (values.get("style") or "").replace(" ", "").lower():
            self.stop = True
            return
        if tag in _SKIP:
            self.skip_depth += 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag in _BLOCK and not self.stop:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.stop and not self.skip_depth:
            self.parts.append(data)


def html_reply_text(html: str) -> str:
    """The new part of an HTML-only reply (quote containers dropped, then the text rules)."""
    parser = _ReplyHtml()
    parser.feed(html)
    parser.close()
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    text = re.sub(r"\n\s*\n\s*\n+", "\n\n", text)
    return reply_text(text)
