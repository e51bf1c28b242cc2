"""Words of a complaint and the base forms they may stand for (pure, no dictionary).

Indonesian builds words with affixes: "berlubang" is "lubang", "perbaikan" and "diperbaiki" are
"baik", "kebersihan" is "bersih", "penerangan" is "terang" (pe(N)- turns t into n), "lampunya" is
"lampu". Without a dictionary the root cannot be known for sure ("jalan" is a root, not "jal" +
"-an"), so `forms` returns every plausible base form, the word itself included; a term of the
rules matches a word when the term is one of the word's forms. Junk forms ("jal") do no harm:
they only count if a rule names them. English gets its plural and verb endings ("potholes",
"flooded", "leaking").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_MIN = 3  # shorter leftovers are not words

# Phone-style spellings of content words (stop words need none: they are never terms).
ABBREVIATIONS = {
    "jln": "jalan", "jaln": "jalan", "jalanya": "jalannya", "sklh": "sekolah", "sekul": "sekolah",
    "lmpu": "lampu", "lmp": "lampu", "puskes": "puskesmas", "rmh": "rumah",
    "bnjr": "banjir", "srt": "surat", "ortu": "orang tua",
}  # fmt: skip
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_SUFFIXES = ("kan", "an", "i")
_VOWELS = "aeiou"


def words(text: str) -> list[str]:
    """Lower-case words of `text`, accents kept apart ("kafé" -> "kafe"), digits and punctuation
    dropped; "gorong-gorong" is two words."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    out: list[str] = []
    for word in _WORD.findall(plain):
        out.extend(ABBREVIATIONS.get(word, word).split())
    return out


def slips(vocabulary: frozenset[str]) -> dict[str, frozenset[str]]:
    """Each vocabulary word of seven letters or more with one letter dropped -> the words it may be."""
    out: dict[str, set[str]] = {}
    for word in vocabulary:
        if len(word) >= 7:
            for index in range(len(word)):
                out.setdefault(word[:index] + word[index + 1 :], set()).add(word)
    return {k: frozenset(v) for k, v in out.items()}


def near(word: str, vocabulary: frozenset[str], dropped: dict[str, frozenset[str]]) -> set[str]:
    """Vocabulary words that `word` is with one letter dropped or one too many, the usual typing
    slips ("smpah", "slokan", "banjirr"); never a substitution, which would make "sampai" (until)
    "sampah" (rubbish). `dropped` is `slips(vocabulary)`."""
    # from six letters on: shorter words are too often another real word ("buaya", crocodile, is
    # "budaya", culture, without its d)
    out = set(dropped.get(word, ())) if len(word) >= 6 else set()
    if len(word) >= 7:
        for index in range(len(word)):
            candidate = word[:index] + word[index + 1 :]
            if candidate in vocabulary:
                out.add(candidate)
    return out


@lru_cache(maxsize=65536)
def forms(word: str) -> frozenset[str]:
    """`word` and the base forms it may be after taking Indonesian affixes or English endings
    off; all lower case, no base shorter than three letters."""
    found = {word}
    for stem in _suffix_forms(word):
        found.add(stem)
        for base in _prefix_forms(stem):
            found.add(base)
            found.update(_prefix_forms(base))  # two prefixes: di-per-baik-i, ke-ber-sih-an
    found.update(_english_forms(word))
    return frozenset(f for f in found if len(f) >= _MIN or f == word)  # "kk", "rs" stay themselves


def _suffix_forms(word: str) -> set[str]:
    out = {word}
    for group in (_PARTICLES, _POSSESSIVES, _SUFFIXES):
        for item in list(out):
            for suffix in group:
                if item.endswith(suffix) and len(item) - len(suffix) >= _MIN:
                    out.add(item[: -len(suffix)])
    return out


def _prefix_forms(word: str) -> set[str]:  # noqa: PLR0912 - one table of Indonesian prefixes
    out: set[str] = set()

    def add(candidate: str) -> None:
        if len(candidate) >= _MIN:
            out.add(candidate)

    for prefix in ("di", "ke", "se"):
        if word.startswith(prefix):
            add(word[len(prefix) :])
    for prefix in ("ter", "ber", "per"):
        if word.startswith(prefix):
            add(word[3:])
    if word.startswith(("bel", "pel")):  # belajar, pelajar -> ajar
        add(word[3:])
    if word.startswith(("te", "be", "pe")) and word[2:3] == "r":  # te-/be-/pe- before r
        add(word[2:])
    for head in ("me", "pe"):
        if not word.startswith(head):
            continue
        rest = word[2:]
        if rest.startswith("ng"):  # meng-/peng-: vowels, g, h, k lose it; a vowel may hide k
            tail = rest[2:]
            if tail[:1] in _VOWELS:
                add(tail)
                add("k" + tail)
            elif tail[:1] in ("g", "h", "k"):
                add(tail)
            if tail.startswith("e"):  # menge-/penge- before one-syllable roots: mengecat
                add(tail[1:])
        elif rest.startswith("ny"):  # meny-/peny-: s
            add("s" + rest[2:])
        elif rest.startswith("m"):  # mem-/pem-: b, f, v, p (hidden before a vowel)
            tail = rest[1:]
            if tail[:1] in ("b", "f", "v", "p"):
                add(tail)
            elif tail[:1] in _VOWELS:
                add("p" + tail)
                add("m" + tail)
        elif rest.startswith("n"):  # men-/pen-: c, d, j, t (hidden before a vowel), z, s
            tail = rest[1:]
            if tail[:1] in ("c", "d", "j", "t", "z", "s", "y"):
                add(tail)
            elif tail[:1] in _VOWELS:
                add("t" + tail)
                add("n" + tail)
        elif rest[:1] in ("l", "r", "w", "y"):  # me-/pe- before l, r, w, y
            add(rest)
    # spoken and chat Indonesian drops the me-: ngalir (mengalir), nyapu (menyapu). Not m-/n-:
    # "mohon" (please) would become "pohon" (tree).
    if word.startswith("ng") and word[2:3] in _VOWELS:
        add(word[2:])
        add("k" + word[2:])
    elif word.startswith("ny") and word[2:3] in _VOWELS:
        add("s" + word[2:])
    return out


def _english_forms(word: str) -> set[str]:
    out: set[str] = set()
    if word.endswith("ies") and len(word) > 4:
        out.add(word[:-3] + "y")
    if word.endswith("es") and len(word) > 4:
        out.add(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.add(word[:-1])
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= _MIN:
            stem = word[: -len(ending)]
            out.add(stem)
            out.add(stem + "e")  # closing -> close, damaged -> damage
            if len(stem) > 3 and stem[-1] == stem[-2]:  # stopped -> stop
                out.add(stem[:-1])
    return out
