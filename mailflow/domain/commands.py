"""Commands by reply: the first meaningful line of what the official wrote, read as a whole.

A command is the whole line (the keyword with its arguments), never the first word of a
sentence: "Terima kasih, sudah kami catat." starts with TERIMA and is thanks, "Setuju sekali,
tapi ..." starts with SETUJU and is an opinion, "Valid?" is a question. Each such line is
refused with an explanation that lists the commands of the step; a refused command costs the
official one more mail, a misread sentence can close a case, so the rules lean to refusing.

Reading the line
    Leading decoration (`*`, `_`, `>`, bullets, emoji) is dropped. The first word (ASCII letters
    only) must be a keyword or an alias (ALIASES, Indonesian and English), case-insensitive, and
    end at a space, a punctuation mark or the end of the line ("Setujui", "Terimakasih",
    "Valid2" are not keywords). A keyword directly followed by "?" is a question, not a
    command ("Valid?", "Setuju?"); only STATUS and BANTUAN, questions by nature, accept it.

Asides
    What people write around a one-word answer without changing it: thanks ("terima kasih",
    "makasih", "thanks"), greetings and honorifics ("salam", "pak", "bu", and after an honorific
    up to three capitalised name words: "terima kasih Pak Budi"), acknowledgements ("ok",
    "baik", "siap") and go-ahead words ("lanjutkan", "segera diproses", "mohon
    ditindaklanjuti"). "kasih" alone is not one: "Terima kasih" is thanks, not TERIMA.

The rules per verb
1. Verbs without arguments (TERIMA, STATUS, BANTUAN): the keyword, then only asides.
   "Terima." "TERIMA" "Diterima, terima kasih" are TERIMA.
2. Verbs with departments (VALID [OPD], SETUJU [OPD], TERUSKAN <OPD>[, <OPD> ...]; the word
   KHUSUS anywhere in the line adds the 14-day track): what follows the keyword is split at
   commas, semicolons, "/", "&", "+", "dan" and "and"; a part that is only asides is dropped,
   every other part must name an OPD (by code, name or alias), optionally introduced by routing
   words ("teruskan ke", "kepada") and followed by asides. "TERUSKAN DISHUB, DPUPR",
   "VALID DISHUB KHUSUS", "Setuju, teruskan ke Dinas PU", "setuju, terima kasih". A part that
   names no OPD makes the line an unknown OPD (explained with the choices) when it was
   introduced as one (routing words, a capitalised name, or TERUSKAN), else a sentence
   ("Setuju sekali, tapi ..."). A "?" anywhere makes the line a question.
3. Verbs with free text (TOLAK <alasan>, KHUSUS <alasan>, TANGGAPAN <teks>, KIRIM [teks]): the
   text follows the keyword after a punctuation mark ("Tolak: bukan wewenang", "Tolak, ..."),
   on the lines below a keyword that stands alone ("TANGGAPAN" + text), or after a space when
   the keyword is written in capitals ("TOLAK aduan ini di luar kewenangan"). A keyword in lower
   or sentence case followed by a space and words is a sentence ("Tolak ukur ...", "Kirim ulang
   lampirannya", "Tanggapan kami menyusul"). Text that is only asides counts as none ("Tolak,
   terima kasih" has no reason; "Kirim, terima kasih" sends without a covering text). The lines
   below the first belong to the text.
4. DISPOSISI <bidang>[:] <arahan>: the words after the keyword must start with a bidang of the
   OPD (everything before a colon, or the longest leading run of words that names one); the
   rest of the line and the lines below are the instruction. "DISPOSISI PJU: mohon dicek".
5. The branches (issue 13) are text verbs of rule 3: BUKAN KEWENANGAN <alasan> (an OPD
   declines a misrouted disposition; TOLAK where the SOP file declares it as that step's alias),
   KEMBALIKAN [<OPD>:] <catatan> (an answer sent back for revision; the OPD before a colon when
   several answered), BUKA KEMBALI <alasan> (a closed case reopened), and the complainant's
   PUAS / TIDAK PUAS [komentar] / SUDAH / BELUM with an optional comment. A keyword may be two
   words; the longest one that matches wins ("TIDAK PUAS" before a one-word keyword). The word
   PAKSA anywhere in a line of rule 2 confirms an OPD that declined before ("TERUSKAN DISHUB
   PAKSA").
For the verbs of 1. and 2. the lines below the first (signatures, greetings) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
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
    BUKAN_KEWENANGAN = "BUKAN KEWENANGAN"  # a misrouted disposition: not this OPD's business
    KEMBALIKAN = "KEMBALIKAN"  # an answer sent back for revision
    BUKA_KEMBALI = "BUKA KEMBALI"  # a closed case reopened as a follow-up round
    PUAS = "PUAS"  # the complainant's satisfaction
    TIDAK_PUAS = "TIDAK PUAS"
    SUDAH = "SUDAH"  # the follow-up question: is the problem solved?
    BELUM = "BELUM"
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
    "BUKAN KEWENANGAN": Verb.BUKAN_KEWENANGAN, "NOT OURS": Verb.BUKAN_KEWENANGAN,
    "KEMBALIKAN": Verb.KEMBALIKAN, "RETURN": Verb.KEMBALIKAN,
    "BUKA KEMBALI": Verb.BUKA_KEMBALI, "REOPEN": Verb.BUKA_KEMBALI,
    "PUAS": Verb.PUAS, "SATISFIED": Verb.PUAS,
    "TIDAK PUAS": Verb.TIDAK_PUAS, "NOT SATISFIED": Verb.TIDAK_PUAS, "UNSATISFIED": Verb.TIDAK_PUAS,
    "SUDAH": Verb.SUDAH, "YES": Verb.SUDAH,
    "BELUM": Verb.BELUM, "NO": Verb.BELUM,
    "STATUS": Verb.STATUS,
    "BANTUAN": Verb.BANTUAN, "HELP": Verb.BANTUAN,
}  # fmt: skip

NO_ARGUMENT = frozenset({Verb.TERIMA, Verb.STATUS, Verb.BANTUAN})
WITH_OPDS = frozenset({Verb.VALID, Verb.SETUJU, Verb.TERUSKAN})
WITH_TEXT = frozenset(
    {
        Verb.TOLAK, Verb.KHUSUS, Verb.TANGGAPAN, Verb.KIRIM, Verb.BUKAN_KEWENANGAN, Verb.KEMBALIKAN,
        Verb.BUKA_KEMBALI, Verb.PUAS, Verb.TIDAK_PUAS, Verb.SUDAH, Verb.BELUM,
    }
)  # fmt: skip
NEEDS_TEXT = frozenset({Verb.TOLAK, Verb.BUKAN_KEWENANGAN, Verb.KEMBALIKAN, Verb.BUKA_KEMBALI})
WITH_ROUTE = frozenset({Verb.KEMBALIKAN})  # "KEMBALIKAN DPUPR: <catatan>" may name the OPD first
MAX_KEYWORD_WORDS = max(len(word.split()) for word in ALIASES)
QUESTIONS = frozenset({Verb.STATUS, Verb.BANTUAN})  # "Status?" asks for what STATUS answers

_DECORATION = re.compile(r"^[\W_]*")
_KEYWORD = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"[^\W_]+")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|\+|/|\bdan\b|\band\b)\s*", re.IGNORECASE)
_SPECIAL_WORD = re.compile(r"\b(?:KHUSUS|SPECIAL)\b", re.IGNORECASE)
_FORCE_WORD = re.compile(r"\b(?:PAKSA|FORCE)\b", re.IGNORECASE)
_TEXT_SEPARATORS = ":-–—,.;!"
_MAX_SHORT_LINE = 300  # a verb of rule 1 or 2 with more after it is a sentence, however it reads


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ASIDE_WORDS = _words(
    """
    terimakasih makasih trims thanks thx tks tq ty
    pak bapak bu ibu mas mbak kak sdr saudara saudari yth
    salam hormat wassalam regards ok oke okay okey baik siap sip mohon please pls
    silakan silahkan ya iya nggih sekian banyak dan and
    lanjut lanjutkan dilanjutkan proses diproses segera laksanakan dilaksanakan
    tindaklanjuti ditindaklanjuti
    """
)
_ASIDE_PHRASES = frozenset(
    {
        ("terima", "kasih"),
        ("trima", "kasih"),
        ("thank", "you"),
        ("many", "thanks"),
        ("matur", "nuwun"),
        ("best", "regards"),
        ("kind", "regards"),
    }
)
_HONORIFICS = _words("pak bapak bu ibu mas mbak kak sdr saudara saudari yth")
# Capitalised words that continue a sentence rather than a name ("Setuju Pak, Tapi ...").
_NOT_NAMES = _words(
    """
    tapi tetapi namun sekali jika kalau apakah apa belum tidak bukan jangan kami saya akan sudah
    masih perlu harus but however if not we i will would should
    """
)
_ROUTING = _words("teruskan diteruskan ke kepada untuk to forward tolong harap")


@dataclass(frozen=True)
class Command:
    verb: Verb
    opds: tuple[str, ...] = ()  # OPD codes (VALID, TERUSKAN)
    bidang: str | None = None  # bidang code (DISPOSISI)
    text: str = ""  # reason (TOLAK, KHUSUS), instruction (DISPOSISI), response (TANGGAPAN), KIRIM text
    special: bool = False  # KHUSUS given with SETUJU/TERUSKAN/VALID
    force: bool = False  # PAKSA given with SETUJU/TERUSKAN/VALID: send to an OPD that declined


@dataclass(frozen=True)
class CommandError:
    """Why a reply is not a command; `code` selects the user-facing explanation.

    `word` is what was not understood (the keyword, the OPD or bidang name, or the line), `verb`
    the keyword the line started with when it read as a sentence or a question."""

    code: str  # empty / unknown / sentence / question / unknown_opd / missing_opd / missing_text /
    #            unknown_bidang / missing_bidang
    word: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)
    verb: str = ""


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
    opds_optional: bool = False,
    aliases: Mapping[str, Verb] | None = None,
) -> Command | CommandError:
    """Parse a reply whose quoted history is already removed: its first line and the lines after.

    `opds_optional`: the step declares TERUSKAN without departments (e.g. "pass it on" to the
    next step), so a bare TERUSKAN is a command, not a missing department. `aliases`: the words
    that mean another verb at this step only (the SOP file's per-command `aliases`, e.g. TOLAK for
    BUKAN KEWENANGAN where an OPD declines); they win over the global ALIASES."""
    line = first_line.strip()
    if not line:
        return CommandError("empty")
    body = _DECORATION.sub("", line, count=1)
    word, after, verb = _keyword(body, aliases or {})
    if verb is None or after[:1].isalnum():
        shown = body.split()[0] if body.split() else line
        return CommandError("unknown", word=shown[:40])
    shown = line[:80]
    if after.lstrip().startswith("?"):
        if verb in QUESTIONS:
            return Command(verb)
        return CommandError("question", word=shown, verb=verb.value)
    if verb in NO_ARGUMENT:
        if len(after) > _MAX_SHORT_LINE or not only_asides(after):
            return CommandError("sentence", word=shown, verb=verb.value)
        if "?" in after and verb not in QUESTIONS:
            return CommandError("question", word=shown, verb=verb.value)
        return Command(verb)
    if verb in WITH_OPDS:
        if len(after) > _MAX_SHORT_LINE:
            return CommandError("sentence", word=shown, verb=verb.value)
        if "?" in after:
            return CommandError("question", word=shown, verb=verb.value)
        return _with_opds(verb, after, shown, find_opd, opd_choices, opds_optional=opds_optional)
    if verb is Verb.DISPOSISI:
        return _disposisi(_argument(after), rest, find_bidang, bidang_choices)
    command = _with_text(verb, word, after, rest, shown)
    if isinstance(command, Command) and verb in WITH_ROUTE:
        return _route_named(command, find_opd)
    return command


def _keyword(body: str, local: Mapping[str, Verb]) -> tuple[str, str, Verb | None]:
    """The keyword at the start of `body` (the longest run of up to MAX_KEYWORD_WORDS words that
    is one: "BUKAN KEWENANGAN", "TIDAK PUAS", "NOT OURS"), what follows it, and its verb."""
    words: list[re.Match[str]] = []
    position = 0
    for _ in range(MAX_KEYWORD_WORDS):
        gap = re.match(r"[ \t]+", body[position:]) if words else None
        start = position + (gap.end() if gap else 0)
        match = _KEYWORD.match(body, start)
        if match is None:
            break
        words.append(match)
        position = match.end()
    for count in range(len(words), 0, -1):
        spelled = " ".join(w.group() for w in words[:count])
        if not spelled.isascii():
            continue
        key = spelled.upper()
        verb = local.get(key) or ALIASES.get(key)
        if verb is not None:
            return spelled, body[words[count - 1].end() :], verb
    if not words:
        return "", body, None
    return words[0].group(), body[words[0].end() :], None


def _route_named(command: Command, find_opd: OpdResolver) -> Command:
    """`KEMBALIKAN DPUPR: <catatan>`: the words before the first colon name the OPD."""
    head, colon, tail = command.text.partition(":")
    if not colon or "\n" in head or len(head) > 80:
        return command
    code = find_opd(_strip_punctuation(head))
    if code is None:
        return command
    return Command(command.verb, opds=(code,), text=tail.strip())


def only_asides(text: str) -> bool:
    """True when `text` holds nothing but asides and punctuation (also when it is empty)."""
    tokens = _WORD.findall(text)
    index = 0
    while index < len(tokens):
        length = _aside_at(tokens, index)
        if length == 0:
            return False
        honorific = length == 1 and tokens[index].lower() in _HONORIFICS
        index += length
        if honorific:
            names = 0
            while index < len(tokens) and names < 3 and _is_name(tokens[index]):
                index += 1
                names += 1
    return True


def _aside_at(tokens: Sequence[str], index: int) -> int:
    """How many tokens from `index` form one aside (0: none)."""
    if index + 1 < len(tokens) and (tokens[index].lower(), tokens[index + 1].lower()) in _ASIDE_PHRASES:
        return 2
    return 1 if tokens[index].lower() in _ASIDE_WORDS else 0


def _is_name(token: str) -> bool:
    return token[:1].isupper() and token.isalpha() and token.lower() not in _NOT_NAMES


def _argument(after: str) -> str:
    return after.strip().lstrip(_TEXT_SEPARATORS + " \t").strip()


# --- rule 2: departments --------------------------------------------------------------------------


def _with_opds(
    verb: Verb, after: str, shown: str, find_opd: OpdResolver, choices: Sequence[str], *, opds_optional: bool
) -> Command | CommandError:
    special = bool(_SPECIAL_WORD.search(after))
    force = bool(_FORCE_WORD.search(after))
    codes: list[str] = []
    for part in _LIST_SPLIT.split(_FORCE_WORD.sub(" ", _SPECIAL_WORD.sub(" ", after))):
        if only_asides(part):
            continue
        name, routed = _opd_name(part)
        if not name:  # routing words and asides only: "Setuju untuk diteruskan"
            continue
        code = find_opd(name)
        if code is None:
            first = name.split()[0].lower() if name.split() else ""
            named = (routed or verb is Verb.TERUSKAN or name[:1].isupper()) and first not in _NOT_NAMES
            if not named:
                return CommandError("sentence", word=shown, verb=verb.value)
            return CommandError("unknown_opd", word=name[:60], choices=tuple(choices))
        if code not in codes:
            codes.append(code)
    if verb is Verb.TERUSKAN and not codes and not opds_optional:
        return CommandError("missing_opd", choices=tuple(choices))
    return Command(verb, opds=tuple(codes), special=special, force=force)


def _opd_name(part: str) -> tuple[str, bool]:
    """The OPD name in one part of the list: without leading routing words and asides and
    without trailing asides; and whether routing words introduced it."""
    words = list(_WORD.finditer(part))
    start, routed = 0, False
    while start < len(words):
        lowered = words[start].group().lower()
        if lowered in _ROUTING:
            routed = True
        elif lowered not in _ASIDE_WORDS:
            break
        start += 1
    end = len(words)
    for index in range(start + 1, len(words)):
        if only_asides(part[words[index].start() :]):
            end = index
            break
    if start >= end:
        return "", routed
    return _strip_punctuation(part[words[start].start() : words[end - 1].end()]), routed


# --- rule 3: free text ----------------------------------------------------------------------------


def _with_text(verb: Verb, word: str, after: str, rest: str, shown: str) -> Command | CommandError:
    stripped = after.strip()
    if not stripped:
        argument = ""
    elif stripped[0] in _TEXT_SEPARATORS or word.isupper():
        argument = _argument(after)
    else:
        return CommandError("sentence", word=shown, verb=verb.value)
    if only_asides(argument):
        argument = ""
    text = "\n".join(p for p in (argument, rest.strip()) if p).strip()
    if verb is Verb.KHUSUS:
        return Command(verb, text=text, special=True)  # the workflow decides if a reason is needed
    if verb in NEEDS_TEXT and not text:
        return CommandError("missing_text", word=verb.value)
    return Command(verb, text=text)


# --- rule 4: disposition --------------------------------------------------------------------------


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
        for count in range(min(len(words), 8), 0, -1):
            code = find_bidang(_strip_punctuation(" ".join(words[:count])))
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


def _strip_punctuation(text: str) -> str:
    return text.strip().strip(".,;:!?-–—*_ \t").strip()
