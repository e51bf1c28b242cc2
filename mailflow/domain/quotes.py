"""What the person actually wrote in a reply: quoted history, signatures and phone footers removed,
wherever they wrote it: above the quote, below it or between its quoted blocks (`own_text`).

Built on mail-parser-reply (which takes new languages) with an Indonesian definition of our own,
plus rules no library has: Indonesian Gmail/Outlook/Thunderbird/Apple/Yahoo quote headers
("Pada ... menulis:", "Dari: ... Dikirim: ...", "Pesan Asli", "Pesan yang diteruskan"),
"Dikirim dari ..." phone footers, and HTML replies whose quote lives in a known container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    """The new part of a plain-text reply, without quoted history and signature: what is above
    the quote, else the first block of own words below or between quoted blocks (`own_text`)."""
    return own_text(text).text or _top_text(text)


def _top_text(text: str) -> str:
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
    """The new part of an HTML-only reply (quote containers dropped, then the text rules); when
    nothing stands above the first quote, the own words below or between the quotes."""
    parser = _ReplyHtml()
    parser.feed(html)
    parser.close()
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    text = re.sub(r"\n\s*\n\s*\n+", "\n\n", text)
    return own_html_text(html).text or _top_text(text)


# --- the official's own text, wherever it is ------------------------------------------------------
#
# People answer above the quoted mail (Outlook, phones), below it (Thunderbird, "> " quotes) or
# between its quoted blocks (Gmail's interleaved answers). The command is the first line of the
# first block of the official's own words: not quoted, not an attribution ("On ... wrote:",
# "Pada ... menulis:"), not a signature, not history an Outlook header or a separator starts
# (which is not marked as quoted). A command-looking line inside quoted text is never used.

TOP, BOTTOM, BETWEEN, NONE = "top", "bottom", "between", "none"


@dataclass(frozen=True)
class OwnText:
    text: str  # the first block of the official's own words, command line first ("" when none)
    where: str  # top / bottom / between (quoted blocks) / none
    part: str  # text / html: which body part it came from


_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Pada|Le|Am|El|Em|Op|Il)\s", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|menulis|schrieb|a\s+écrit|escribió|escreveu|schreef|ha\s+scritto)\s*:\s*$", re.IGNORECASE
)
_HEADER_FIELD = re.compile(
    r"^\s*\*?(?:From|Sent|To|Cc|Subject|Date|Dari|Dikirim|Terkirim|Kepada|Untuk|Ke|Subjek|Perihal|"
    r"Tanggal|Tembusan)\s*:\*?\s",
    re.IGNORECASE,
)
_SIG_DELIMITER = re.compile(r"^--\s?$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Dari)\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Pesan Asli|Pesan asli|Pesan yang diteruskan|Forwarded message|"
    r"Pesan Terusan)\s*-{2,}.*|_{10,}|-{20,})\s*$",
    re.IGNORECASE,
)
# a top line that only points at answers further down ("Jawaban saya di bawah", "see below")
_POINTER = re.compile(
    r"^\W*(?:\w+\W+){0,4}(?:di\s*bawah|dibawah|below|inline|di\s+antara\s+kutipan)\W*$", re.IGNORECASE
)


def own_text(text: str, *, part: str = "text") -> OwnText:
    """The official's own words in a plain-text reply (quotes marked with "> ")."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    kinds = _line_kinds(lines)
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for index, kind in enumerate([*kinds, "Q"]):
        if kind == "T" and start is None:
            start = index
        elif kind != "T" and start is not None:
            blocks.append((start, index))
            start = None
    for first, end in blocks:
        block = lines[first:end]
        signature = next((n for n, line in enumerate(block) if _SIG_DELIMITER.match(line)), None)
        words = _top_text("\n".join(block[:signature]))
        if not words.strip() or (first == 0 and _is_pointer(words) and len(blocks) > 1):
            continue
        before = any(k in "QA" for k in kinds[:first])
        after = any(k == "Q" for k in kinds[end:])
        where = TOP if not before else BETWEEN if after else BOTTOM
        return OwnText(words, where, part)
    return OwnText("", NONE, part)


def own_html_text(html: str) -> OwnText:
    """The official's own words in an HTML reply: quote containers become "> " lines, Outlook's
    reply separator ends the reply, signatures are left out."""
    parser = _QuotedHtml()
    parser.feed(html)
    parser.close()
    return own_text(parser.text(), part="html")


def reply_own_text(text: str, html: str | None = None) -> OwnText:
    """The official's own words from a reply's text and HTML parts: the HTML first when there is
    one (its quotes are marked in the markup, also when the text part was made from it), else or
    when it holds none, the text."""
    if html:
        found = own_html_text(html)
        if found.text:
            return found
    return own_text(text)


def _is_pointer(words: str) -> bool:
    lines = [line for line in words.split("\n") if line.strip()]
    return len(lines) == 1 and bool(_POINTER.match(lines[0]))


def _line_kinds(lines: list[str]) -> list[str]:
    """Per line: Q quoted, A attribution, T the writer's text, H history (everything after an
    unquoted header or separator)."""
    kinds = ["T"] * len(lines)
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(">"):
            kinds[index] = "Q"
        elif _SEPARATOR.match(line) or _outlook_header(lines, index):
            kinds[index:] = ["H"] * (len(lines) - index)
            break
        elif (end := _attribution_end(lines, index)) is not None:
            kinds[index : end + 1] = ["A"] * (end + 1 - index)
            following = next((n for n in range(end + 1, len(lines)) if lines[n].strip()), None)
            if following is not None and not lines[following].lstrip().startswith(">"):
                # an attribution over unquoted text: the history is not marked, all of it is old
                kinds[end + 1 :] = ["H"] * (len(lines) - end - 1)
                break
            index = end
        index += 1
    return kinds


def _attribution_end(lines: list[str], index: int) -> int | None:
    """The last line of an attribution starting at `index` (clients wrap it over two or three)."""
    if not _ATTRIBUTION_START.match(lines[index]):
        return None
    for end in range(index, min(index + 3, len(lines))):
        if lines[end].lstrip().startswith(">"):
            return None
        if _ATTRIBUTION_END.search(lines[end]):
            return end
    return None


def _outlook_header(lines: list[str], index: int) -> bool:
    """ "From: ..." followed by another header field: Outlook's unquoted history starts here."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(following) and bool(_HEADER_FIELD.match(following[0]))


_QUOTED = (
    ("blockquote", None, None),
    ("div", "class", "gmail_attr"),  # Gmail's "On ... wrote:"
    ("div", "class", "moz-cite-prefix"),  # Thunderbird's
    ("div", "class", "yahoo_quoted"),  # Yahoo wraps attribution and quote together
)
_HISTORY = (
    ("div", "id", "divRplyFwdMsg"),  # Outlook desktop/web: unquoted history follows
    ("div", "id", "appendonsend"),
    ("div", "id", "mail-editor-reference-message-container"),  # new Outlook
    ("hr", "id", "zwchr"),  # Zimbra
)
_SIGNATURE = (
    ("div", "class", "gmail_signature"),
    ("div", "class", "moz-signature"),
    ("pre", "class", "moz-signature"),
    ("div", "id", "Signature"),  # Outlook
    ("div", "id", "ms-outlook-mobile-signature"),
)
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


_Table = tuple[tuple[str, str | None, str | None], ...]


def _has(tag: str, attrs: dict[str, str | None], table: _Table) -> bool:
    return any(
        tag == name and (attr is None or value in (attrs.get(attr) or "").split())
        for name, attr, value in table
    )


class _QuotedHtml(HTMLParser):
    """HTML as text lines, each line inside a quote container prefixed with "> "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.current: list[str] = []
        self.depth = 0
        self.stack: list[tuple[str, str]] = []  # open elements: (tag, "q" quote / "s" skipped / "")
        self.skip = 0
        self.stop = False

    def _break(self) -> None:
        text = re.sub(r"[ \t]+", " ", "".join(self.current)).strip()
        self.lines.append((self.depth, text))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stop:
            return
        values = dict(attrs)
        style = (values.get("style") or "").replace(" ", "").lower()
        if _has(tag, values, _HISTORY) or (tag == "div" and "border-top:solid" in style):
            self._break()
            self.stop = True
            return
        if tag in _BLOCK:
            self._break()
        if tag in _VOID:
            return
        role = ""
        if _has(tag, values, _QUOTED):
            role = "q"
            self.depth += 1
        elif _has(tag, values, _SIGNATURE) or tag in _SKIP:
            role = "s"
            self.skip += 1
        self.stack.append((tag, role))

    def handle_endtag(self, tag: str) -> None:
        if self.stop or tag in _VOID or all(open_tag != tag for open_tag, _ in self.stack):
            return  # a stray end tag: mail HTML is often broken
        if tag in _BLOCK:
            self._break()
        while self.stack:  # close what the writer left open inside it, too
            open_tag, role = self.stack.pop()
            if role == "q":
                self.depth -= 1
            elif role == "s":
                self.skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.stop and not self.skip:
            self.current.append(data)

    def text(self) -> str:
        self._break()
        out: list[str] = []
        for depth, line in self.lines:
            if depth:
                out.append("> " + line)
            elif line or (out and out[-1]):
                out.append(line)
        return "\n".join(out)
