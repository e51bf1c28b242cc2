"""Safe HTML to plain text for incoming mail: the standard library's parser, nothing executed.

Scripts, styles and the head are dropped; block elements become line breaks, list items get a
dash, links keep their target in brackets when it differs from the text. Entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "center",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "object"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag in _BLOCK:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        if tag == "td":
            self.out.append(" ")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href, len(self.out)))
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _SKIP:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            if href.startswith(("http://", "https://", "mailto:")) and href.removeprefix("mailto:") != text:
                self.out.append(f" ({href})")
        if tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # pathological markup: keep what was read so far
        pass
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(parser.out).split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
