"""Commands by reply: the first meaningful line of what the official wrote.

Case- and punctuation-tolerant ("Setuju.", "*SETUJU*", "setuju, terima kasih"), Indonesian
keywords with English aliases. OPD and bidang names are resolved by code, name or alias through
the caller's resolvers; an unknown one is an error that lists the valid choices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Verb(StrEnum):
    VALID = "VALID"
    TOLAK = "TOLAK"
    SETUJU = "SETUJU"
    TERUSKAN = "TERUSKAN"
    KHUSUS = "KHUSUS"
    TERIMA = "TERIMA"
    DISPOSISI = "DISPOSISI"
    TANGGAPAN = "TANGGAPAN"
    KIRIM = "KIRIM"
    STATUS = "STATUS"
    BANTUAN = "BANTUAN"


ALIASES: dict[str, Verb] = {
    "VALID": Verb.VALID, "SAH": Verb.VALID, "ACCEPT": Verb.VALID, "VALIDATE": Verb.VALID,
    "TOLAK": Verb.TOLAK, "DITOLAK": Verb.TOLAK, "REJECT": Verb.TOLAK, "DECLINE": Verb.TOLAK,
    "SETUJU": Verb.SETUJU, "DISETUJUI": Verb.SETUJU, "APPROVE": Verb.SETUJU, "APPROVED": Verb.SETUJU,
    "AGREE": Verb.SETUJU,
    "TERUSKAN": Verb.TERUSKAN, "FORWARD": Verb.TERUSKAN,
    "KHUSUS": Verb.KHUSUS, "SPECIAL": Verb.KHUSUS,
    "TERIMA": Verb.TERIMA, "DITERIMA": Verb.TERIMA, "RECEIVED": Verb.TERIMA, "ACKNOWLEDGE": Verb.TERIMA,
    "DISPOSISI": Verb.DISPOSISI, "DISPOSE": Verb.DISPOSISI, "ASSIGN": Verb.DISPOSISI,
    "TANGGAPAN": Verb.TANGGAPAN, "RESPONSE": Verb.TANGGAPAN, "RESPOND": Verb.TANGGAPAN,
    "KIRIM": Verb.KIRIM, "SEND": Verb.KIRIM,
    "STATUS": Verb.STATUS,
    "BANTUAN": Verb.BANTUAN, "HELP": Verb.BANTUAN,
}  # fmt: skip

_HEAD = re.compile(r"^[\W_]*([A-Za-z]+)(.*)$", re.DOTALL)
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|\+|/|\bdan\b|\band\b)\s*", re.IGNORECASE)
_SPECIAL_WORD = re.compile(r"\b(?:KHUSUS|SPECIAL)\b", re.IGNORECASE)
# Politeness and connecting words people add around a command; never OPD names.
_FILLER = re.compile(
    r"\b(?:terima\s*kasih|terimakasih|makasih|thanks|thank\s+you|mohon|silakan|silahkan|segera|"
    r"lanjut(?:kan)?|diteruskan|teruskan|ke|kepada|untuk|to|please|pak|bu|ok|oke)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Command:
    verb: Verb
    opds: tuple[str, ...] = ()  # OPD codes (VALID, TERUSKAN)
    bidang: str | None = None  # bidang code (DISPOSISI)
    text: str = ""  # reason (TOLAK, KHUSUS), instruction (DISPOSISI), response (TANGGAPAN), KIRIM text
    special: bool = False  # KHUSUS given with SETUJU/TERUSKAN/VALID


@dataclass(frozen=True)
class CommandError:
    """Why a reply is not a command; `code` selects the user-facing explanation."""

    code: str  # empty / unknown / unknown_opd / missing_opd / missing_text / unknown_bidang / missing_bidang
    word: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)


OpdResolver = Callable[[str], str | None]  # text -> OPD code
BidangResolver = Callable[[str], str | None]  # text -> bidang code


def parse(
    first_line: str,
    rest: str,
    *,
    find_opd: OpdResolver,
    opd_choices: Sequence[str] = (),
    find_bidang: BidangResolver | None = None,
    bidang_choices: Sequence[str] = (),
) -> Command | CommandError:
    """Parse a reply whose quoted history is already removed: its first line and the lines after."""
    line = first_line.strip()
    if not line:
        return CommandError("empty")
    match = _HEAD.match(line)
    verb = ALIASES.get(match.group(1).upper()) if match else None
    if match is None or verb is None:
        word = match.group(1) if match else line
        return CommandError("unknown", word=word[:40])
    args = match.group(2).strip().lstrip(":.,;!-–— ").strip()
    body = "\n".join(p for p in (args, rest.strip()) if p).strip()
    special = bool(_SPECIAL_WORD.search(args))
    if verb in (Verb.SETUJU, Verb.VALID, Verb.TERUSKAN):
        return _with_opds(verb, args, special, find_opd, opd_choices)
    if verb is Verb.KHUSUS:
        return Command(verb, text=body, special=True)  # the workflow decides if a reason is needed
    if verb is Verb.TOLAK:
        return Command(verb, text=body) if body else CommandError("missing_text", word=verb.value)
    if verb is Verb.DISPOSISI:
        return _disposisi(args, rest, find_bidang, bidang_choices)
    if verb in (Verb.TANGGAPAN, Verb.KIRIM):
        return Command(verb, text=body)
    return Command(verb)


def _with_opds(
    verb: Verb, args: str, special: bool, find_opd: OpdResolver, choices: Sequence[str]
) -> Command | CommandError:
    names = _strip_trailing_punctuation(_FILLER.sub(" ", _SPECIAL_WORD.sub(" ", args)))
    if verb is Verb.SETUJU:
        # "Setuju, teruskan ke Dinas PU" names OPDs; "Setuju, terima kasih pak" does not.
        codes = _resolve_all(names, find_opd) if names else None
        return Command(verb, opds=tuple(codes or ()), special=special)
    if not names:
        if verb is Verb.VALID:
            return Command(verb, special=special)
        return CommandError("missing_opd", choices=tuple(choices))
    codes = []
    for name in (n for n in _LIST_SPLIT.split(names) if n.strip()):
        code = find_opd(_strip_trailing_punctuation(name))
        if code is None:
            return CommandError("unknown_opd", word=name.strip()[:60], choices=tuple(choices))
        if code not in codes:
            codes.append(code)
    return Command(verb, opds=tuple(codes), special=special)


def _disposisi(
    args: str, rest: str, find_bidang: BidangResolver | None, choices: Sequence[str]
) -> Command | CommandError:
    """`DISPOSISI <bidang>: <arahan>`; without a colon the longest leading words naming a bidang."""
    if find_bidang is None:
        return CommandError("unknown", word="DISPOSISI")
    if ":" in args:
        name, _, instruction = args.partition(":")
        code = find_bidang(name.strip())
        if code is None:
            return CommandError("unknown_bidang", word=name.strip()[:60], choices=tuple(choices))
    else:
        words = args.split()
        code, used = None, 0
        for count in range(len(words), 0, -1):
            code = find_bidang(_strip_trailing_punctuation(" ".join(words[:count])))
            if code is not None:
                used = count
                break
        if code is None:
            if not words:
                return CommandError("missing_bidang", choices=tuple(choices))
            return CommandError("unknown_bidang", word=" ".join(words[:3])[:60], choices=tuple(choices))
        instruction = " ".join(words[used:]).lstrip("-–—,. ")
    text = "\n".join(p for p in (instruction.strip(), rest.strip()) if p)
    return Command(Verb.DISPOSISI, bidang=code, text=text)


def _resolve_all(names: str, find_opd: OpdResolver) -> list[str] | None:
    codes: list[str] = []
    for name in (n for n in _LIST_SPLIT.split(names) if n.strip()):
        code = find_opd(_strip_trailing_punctuation(name))
        if code is None:
            return None
        if code not in codes:
            codes.append(code)
    return codes


def _strip_trailing_punctuation(text: str) -> str:
    return text.strip().strip(".,;:!?-–—*_ \t").strip()
