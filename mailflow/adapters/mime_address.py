"""Addresses out of raw header values: tokenised first, display names decoded afterwards.

The order is what makes a forged display name harmless. A From such as
`=?UTF-8?B?...?= <stranger@example.com>` whose encoded word decodes to
`Ir. Budi Santoso <budi.santoso@dpupr.bontangkota.go.id>` has exactly one address, the stranger's:
the stdlib's structured header parser (`email.headerregistry`, policy.default) tokenises the raw
value and decodes encoded words only inside the phrase, so the decoded `<...>` stays part of the
name. Splitting the *decoded* text (`getaddresses` on it) would find the official's address.

Rules (see also domain.addresses):
- an address that is not a plain valid addr-spec is never used, neither as an identity nor as a
  recipient; for From that means "no usable From" (`FromField.problem` says why);
- one bare valid addr-spec may be recovered from a From without angle brackets
  (`Big Bug bb@bug.com`, seen in real mail), and an address the stdlib parser could read only by
  guessing around broken syntax (`Big <bb@bug.com`) counts the same; both are marked `recovered`:
  good enough to acknowledge a complaint, never proof of who wrote;
- a display name with an address, `<`, `>`, `@` or control/bidi characters is refused as a name and
  kept only escaped (`suspect_name`), for people to look at;
- several From fields (RFC 5322 allows exactly one) with different addresses, or one From with
  several mailboxes, give no usable From: verifiers and mail clients disagree on which one counts
  (first, last, all), so picking any of them lets a forger show one sender and have another checked.
  Identical duplicates (some gateways repeat the header) are read as one, with a defect.

Nothing here raises: if the structured parser fails on some input, a small conservative fallback
reads the raw value (never the decoded one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import AddressHeader

from mailflow.adapters.mime_decode import decode_words, repair
from mailflow.adapters.mime_policy import DEFAULT
from mailflow.domain.addresses import is_valid_addr_spec
from mailflow.domain.safe_text import escape, has_unsafe

MAX_FROM_CHARS = 4096  # a real From is a name and an address; more is an attack on the parser
MAX_LIST_CHARS = 64 * 1024  # To/Cc of a few hundred recipients
MAX_VALUES = 50  # header fields of one name that are read (a flood of To: fields costs time only)
NAME_LIMIT = 300

# problem codes of FromField (ingest turns them into Indonesian reasons: ingest.from.<code>)
MISSING, EMPTY, GROUP_ONLY, INVALID, SEVERAL, CONFLICTING, UNDECODABLE, TOO_LONG = (
    "missing", "empty", "group_only", "invalid", "several", "conflicting", "undecodable", "too_long",
)  # fmt: skip

_FOLD = re.compile(r"\r?\n")
_MALFORMED = "InvalidHeaderDefect"  # the stdlib parser's name for syntax it had to guess around


@dataclass(frozen=True)
class Mailbox:
    """One mailbox as written: the addr-spec exactly as parsed (not yet validated) and its
    decoded display name."""

    addr_spec: str
    name: str


@dataclass(frozen=True)
class _Parsed:
    mailboxes: tuple[Mailbox, ...]
    groups: int  # group constructs seen (`undisclosed-recipients:;`)
    defects: tuple[str, ...]


@dataclass(frozen=True)
class FromField:
    """What the From header(s) say, judged. `addr` is None exactly when `problem` is set."""

    addr: str | None
    name: str | None = None  # safe to show and to use as a complainant's name
    suspect_name: str | None = None  # a refused display name, escaped (for people only)
    recovered: bool = False  # `addr` was taken from a From without angle brackets
    problem: str | None = None
    defects: tuple[str, ...] = ()


def parse_from(values: Sequence[str]) -> FromField:
    """Judge the raw values of every From field of a message."""
    if not values:
        return FromField(None, problem=MISSING)
    if any(len(v) > MAX_FROM_CHARS for v in values):
        return FromField(None, problem=TOO_LONG, defects=("FromTooLong",))
    if len(values) > 1:
        seen = {_single_valid(v) for v in values[:MAX_VALUES]}
        if len(seen) != 1 or None in seen:
            return FromField(None, problem=CONFLICTING, defects=("MultipleFrom",))
        judged = _judge_from(values[0])
        return FromField(
            judged.addr, judged.name, judged.suspect_name, judged.recovered, judged.problem,
            (*judged.defects, "DuplicateFrom"),
        )  # fmt: skip
    return _judge_from(values[0])


def parse_address_list(values: Sequence[str]) -> tuple[str, ...]:
    """The valid addresses of address-list headers (To, Cc, Reply-To...), lower-cased, each once;
    anything else is dropped."""
    found: dict[str, None] = {}
    for value in values[:MAX_VALUES]:
        for mailbox in parse_mailboxes(value[:MAX_LIST_CHARS]).mailboxes:
            if is_valid_addr_spec(mailbox.addr_spec):
                found.setdefault(mailbox.addr_spec.lower(), None)
    return tuple(found)


def first_named(values: Sequence[str]) -> tuple[str | None, str | None]:
    """(checked display name, address) of the first valid mailbox of an address-list header such
    as Reply-To: the name only when it is plain text (judge_display_name)."""
    for value in values[:MAX_VALUES]:
        for mailbox in parse_mailboxes(value[:MAX_LIST_CHARS]).mailboxes:
            if is_valid_addr_spec(mailbox.addr_spec):
                address = mailbox.addr_spec.lower()
                return judge_display_name(mailbox.name, address)[0], address
    return None, None


def parse_mailboxes(raw_value: str) -> _Parsed:
    """The mailboxes of one raw header value (structured parser, else the fallback)."""
    value = _FOLD.sub("", raw_value)
    simple = _simple(value)
    if simple is not None:
        return simple
    try:
        header = DEFAULT.header_factory("to", value)
        if not isinstance(header, AddressHeader):  # pragma: no cover - "to" is always one
            return _fallback(value)
        boxes = tuple(Mailbox(str(a.addr_spec), str(a.display_name or "")) for a in header.addresses)
        groups = sum(1 for g in header.groups if g.display_name is not None)
        # the registry's header classes mix BaseHeader (which has the defects) in at run time
        defects = tuple(type(d).__name__ for d in getattr(header, "defects", ()))
        return _Parsed(boxes, groups, defects)
    except Exception:  # noqa: BLE001 - a parser bug on hostile input: read the raw value simply
        return _fallback(value)


def _simple(value: str) -> _Parsed | None:
    """The common shapes (`Name <a@b.id>`, `"Name, Title" <a@b.id>`, `a@b.id`, lists of these)
    read by pattern: with no encoded word, comment, group or escape in the value nothing is decoded,
    so the pattern sees exactly what the structured parser would (which costs ~0.2 ms per header).
    None for anything else."""
    if any(mark in value for mark in _NOT_SIMPLE) or value.count('"') > 2:
        return None
    items = [value] if '"' in value else value.split(",")
    boxes: list[Mailbox] = []
    for item in items:
        if not item.strip():
            return None
        match = _SIMPLE_MAILBOX.fullmatch(item)
        if match is None:
            return None
        name = match.group("quoted") if match.group("quoted") is not None else match.group("plain") or ""
        boxes.append(Mailbox(match.group("addr") or match.group("bare"), name.strip()))
    return _Parsed(tuple(boxes), 0, ())


_NOT_SIMPLE = ("=?", "(", ")", ":", ";", "\\", "[", "]")
_SPEC = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+"
_SIMPLE_MAILBOX = re.compile(
    r"""[ \t]*(?:(?:"(?P<quoted>[^"\r\n]*)"|(?P<plain>[A-Za-z0-9 .'_-]*?))[ \t]*<(?P<addr>"""
    + _SPEC
    + r""")>|(?P<bare>"""
    + _SPEC
    + r"""))[ \t]*"""
)


def _judge_from(raw_value: str) -> FromField:
    parsed = parse_mailboxes(raw_value)
    defects = tuple(f"From:{d}" for d in dict.fromkeys(parsed.defects))
    if len(parsed.mailboxes) > 1:
        return FromField(None, problem=SEVERAL, defects=defects)
    if not parsed.mailboxes:
        recovered = _recover(raw_value)
        if recovered is not None:
            return _recovered(recovered, defects)
        return FromField(None, problem=GROUP_ONLY if parsed.groups else EMPTY, defects=defects)
    mailbox = parsed.mailboxes[0]
    if not is_valid_addr_spec(mailbox.addr_spec):
        recovered = _recover(raw_value)
        if recovered is not None:
            return _recovered(recovered, defects)
        undecodable = _has_surrogates(mailbox.addr_spec) or _has_surrogates(
            raw_value.rsplit("<", maxsplit=1)[-1]
        )
        return FromField(None, problem=UNDECODABLE if undecodable else INVALID, defects=defects)
    addr = mailbox.addr_spec.lower()
    if _MALFORMED in parsed.defects:  # e.g. `Big <bb@bug.com`: readable, but not as written
        if raw_value.count("@") != 1:  # and another address somewhere in the junk: which one?
            return FromField(None, problem=INVALID, defects=defects)
        return _recovered((addr, mailbox.name), defects)
    name, suspect = judge_display_name(mailbox.name, addr)
    if suspect is not None:
        defects = (*defects, "FromNameSuspicious")
    return FromField(addr, name, suspect, defects=defects)


def _recovered(found: tuple[str, str], defects: tuple[str, ...]) -> FromField:
    addr, name_text = found
    name, suspect = judge_display_name(name_text, addr)
    extra = ("FromRecovered", "FromNameSuspicious") if suspect is not None else ("FromRecovered",)
    return FromField(addr, name, suspect, recovered=True, defects=(*defects, *extra))


def _recover(raw_value: str) -> tuple[str, str] | None:
    """(address, name text) from a From without angle brackets holding exactly one bare valid
    addr-spec among plain words (`Big Bug bb@bug.com`); None for anything else."""
    value = " ".join(_FOLD.sub("", raw_value).split())
    if any(ch in value for ch in "<>,;:()\\") or _has_surrogates(value):
        return None
    words = value.split(" ")
    with_at = [w for w in words if "@" in w]
    if len(with_at) != 1 or not is_valid_addr_spec(with_at[0]):
        return None
    index = words.index(with_at[0])
    rest = " ".join(words[:index] + words[index + 1 :])
    return with_at[0].lower(), decode_words(rest).strip().strip('"')


def judge_display_name(name: str | None, addr: str) -> tuple[str | None, str | None]:
    """(name to use, escaped suspect name): a display name is used only when it is plain text.

    A name equal to the address itself (Outlook writes `"x@y.id" <x@y.id>`) is no name at all.
    """
    text = repair(name or "").replace("\t", " ").strip()
    if not text:
        return None, None
    if text.strip("\"' ").lower() == addr:
        return None, None
    if has_unsafe(text) or any(ch in text for ch in "<>@"):
        return None, escape(text, limit=NAME_LIMIT)
    cleaned = " ".join(text.split())
    return (cleaned[:NAME_LIMIT] or None), None


def _single_valid(raw_value: str) -> str | None:
    judged = _judge_from(raw_value)
    return judged.addr


def _fallback(value: str) -> _Parsed:
    """A conservative reading of a raw (undecoded) address list: comma-separated items, each
    `phrase <addr>` or a bare addr; quoted commas are not handled (such input lands here only
    after the real parser failed, and then losing an address is the safe side)."""
    boxes: list[Mailbox] = []
    for item in value.split(","):
        text = item.strip()
        if not text:
            continue
        if text.count("<") == 1 and text.endswith(">"):
            phrase, _, rest = text.partition("<")
            boxes.append(Mailbox(rest[:-1].strip(), decode_words(phrase).strip().strip('"')))
        elif " " not in text and "<" not in text and ">" not in text:
            boxes.append(Mailbox(text, ""))
        else:
            boxes.append(Mailbox("", ""))  # unreadable: counted, never valid
    return _Parsed(tuple(boxes), 0, ("AddressParserFailed",))


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)
