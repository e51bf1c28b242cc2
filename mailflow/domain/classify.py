"""Which OPD a complaint is for: weighted terms per topic, scored over the words (pure).

Each topic belongs to one OPD and names a category ("Jalan dan Jembatan" of DPUPR) and its
terms: words or phrases with a weight, Indonesian or English, matched on word forms
(`wordforms.forms`: "berlubang" matches the term "lubang"). A negative weight marks a phrase that
speaks against the topic. Reading the text left to right, the longest term that matches at a
word takes those words (all topics whose term it is score it), so "lampu jalan" counts for the
street lights and its "jalan" no longer counts for the roads; `ignore` phrases (place and street
names such as "Api-Api" or "Jl. Pupuk Raya") take their words and score nothing. A term counts
once per text plus a small bonus per repetition, and a bonus when the subject has it. A term
that only ever names where something is ("di depan Puskesmas", "near the school", "opposite the
market") counts `location_factor` of its weight: the complaint is about the speed bump, not the
puskesmas.

`places` of a topic (the kelurahan of a kecamatan) count only when the topic's terms reached
`min_score`: they pick the kecamatan, they do not make a complaint about the kecamatan. At most one OPD
of a `group` is suggested: the best one, none on a tie.

The suggestion is the best OPD when it reaches `min_score`, with every other OPD within
`margin` of it that has a strong term of its own (`secondary_weight`): several OPDs when the
complaint is about several things, not when it mentions another OPD's word in passing. The field-review hint
(the SOP's 14-day track: "tinjauan lapangan", "lintas sektor") comes from its own terms, plus
points when several OPDs are suggested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mailflow.domain.wordforms import forms, near, slips, words

TEXT_LIMIT = 20_000  # characters of a body that are read; a complaint says what it is about early
# words a phrase may skip between two of its words ("jalan yang rusak", "air tidak mengalir")
FILLERS = frozenset(
    [
        "yang",
        "yg",
        "di",
        "ke",
        "dari",
        "dr",
        "dan",
        "sudah",
        "udah",
        "udh",
        "sdh",
        "telah",
        "masih",
        "juga",
        "jg",
        "sangat",
        "tidak",
        "tdk",
        "gak",
        "ga",
        "gk",
        "nggak",
        "belum",
        "blm",
        "sering",
        "selalu",
        "the",
        "of",
        "in",
        "on",
        "at",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "been",
        "not",
        "no",
        "very",
    ]
)
# words that make the next term a place ("depan sekolah", "near the market", "in front of the school")
LOCATIVES = frozenset(
    [
        "depan",
        "dpn",
        "dekat",
        "dkt",
        "samping",
        "sebelah",
        "belakang",
        "seberang",
        "sekitar",
        "sekitaran",
        "seputar",
        "arah",
        "near",
        "opposite",
        "behind",
        "beside",
        "front",
        "next",
        "outside",
        "across",
        "around",
    ]
)
_BEFORE_PLACE = frozenset(
    ["the", "of", "to", "a", "an", "di", "ke", "dari", "pada", "jalan", "kantor", "halaman", "area"]
)


@dataclass(frozen=True)
class Term:
    text: str  # as written in the rules
    words: tuple[str, ...]
    weight: float

    @classmethod
    def of(cls, text: str, weight: float) -> Term:
        return cls(text, tuple(words(text)), weight)


@dataclass(frozen=True)
class Topic:
    opd: str
    category: str
    terms: tuple[Term, ...]
    places: tuple[Term, ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class ScoringSettings:
    min_score: float = 3.0  # below this no OPD is suggested
    margin: float = 0.3  # other OPDs scoring at least this share of the best are suggested too
    secondary_weight: float = 4.0  # ...and only with a term at least this strong of their own
    max_opds: int = 3
    repeat_bonus: float = 0.25  # share of a term's weight added per repetition (up to 3)
    subject_bonus: float = 0.5  # share of a term's weight added when the subject has it
    place_weight: float = 2.0
    location_factor: float = 0.25  # share of a term's weight when it only names a place
    field_review_min: float = 3.0  # the hint is given from this score on
    field_review_multi_opd: float = 1.5  # added to it when several OPDs are suggested


@dataclass(frozen=True)
class Hit:
    term: str
    weight: float
    count: int
    in_subject: bool
    place_only: bool = False  # every time it came after "di depan", "near", ...

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"term": self.term, "weight": self.weight, "count": self.count}
        out["subject"] = self.in_subject
        if self.place_only:
            out["place_only"] = True
        return out


@dataclass(frozen=True)
class OpdScore:
    opd: str
    score: float
    category: str
    hits: tuple[Hit, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "opd": self.opd,
            "score": round(self.score, 2),
            "category": self.category,
            "hits": [h.as_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class Classification:
    opds: tuple[str, ...]  # suggested, best first; empty when nothing reached min_score
    category: str | None
    scores: tuple[OpdScore, ...]  # every OPD with a score, best first
    field_review: bool
    field_review_score: float
    field_review_hits: tuple[Hit, ...] = ()

    def summary(self, limit: int = 3) -> str:
        """One line for traces: "DISHUB 17 (lampu jalan, gelap); DPUPR 2 (jalan)"."""
        parts = [
            f"{s.opd} {s.score:g} ({', '.join(h.term for h in s.hits[:4])})" for s in self.scores[:limit]
        ]
        return "; ".join(parts) or "no OPD term"

    def as_dict(self) -> dict[str, Any]:
        return {
            "opds": list(self.opds),
            "category": self.category,
            "field_review": self.field_review,
            "field_review_score": round(self.field_review_score, 2),
            "field_review_hits": [h.as_dict() for h in self.field_review_hits],
            "scores": [s.as_dict() for s in self.scores],
        }


@dataclass(frozen=True)
class _Entry:
    term: Term
    owners: tuple[int, ...]  # topic indexes; empty for an ignore phrase
    place: bool = False


@dataclass
class _Index:
    """Terms by their first word, longest first, for the left-to-right reading; a word's forms
    include the term words it is a typing slip of."""

    by_first: dict[str, list[_Entry]] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    dropped: dict[str, frozenset[str]] = field(default_factory=dict)
    cache: dict[str, frozenset[str]] = field(default_factory=dict)

    def add(self, entry: _Entry) -> None:
        if entry.term.words:
            bucket = self.by_first.setdefault(entry.term.words[0], [])
            bucket.append(entry)
            bucket.sort(key=lambda e: -len(e.term.words))

    def seal(self) -> None:
        self.vocabulary = frozenset(
            w for bucket in self.by_first.values() for e in bucket if e.owners for w in e.term.words
        )
        self.dropped = slips(self.vocabulary)

    def forms(self, token: str) -> frozenset[str]:
        known = self.cache.get(token)
        if known is None:
            base = forms(token)
            if base & self.vocabulary or len(self.cache) > 50_000:
                known = base
            else:
                # typing slips on the word as written only: a slip on a stripped form would
                # make "sampai" (until) -> "sampa" -> "sampah" (rubbish)
                extra = near(token, self.vocabulary, self.dropped)
                known = base | extra if extra else base
            self.cache[token] = known
        return known


class Scorer:
    """The OPD topics of the rule files and how to weigh them; `classify` is pure and cheap."""

    def __init__(
        self,
        topics: Sequence[Topic],
        *,
        ignore: Iterable[str] = (),
        field_review: Iterable[Term] = (),
        settings: ScoringSettings | None = None,
        skipped: tuple[str, ...] = (),
    ) -> None:
        self.topics = tuple(topics)
        self.skipped = skipped  # OPD codes of topics left out (not in the directory)
        self.ignore = tuple(ignore)
        self.field_terms = tuple(field_review)
        self.settings = settings or ScoringSettings()
        self._index = _Index()
        merged: dict[tuple[tuple[str, ...], float, bool], list[int]] = {}
        texts: dict[tuple[tuple[str, ...], float, bool], Term] = {}
        for number, topic in enumerate(self.topics):
            for term, place in [(t, False) for t in topic.terms] + [(p, True) for p in topic.places]:
                key = (term.words, term.weight, place)
                merged.setdefault(key, []).append(number)
                texts.setdefault(key, term)
        for key, owners in merged.items():
            self._index.add(_Entry(texts[key], tuple(owners), key[2]))
        for text in self.ignore:
            self._index.add(_Entry(Term.of(text, 0.0), ()))
        self._index.seal()
        self._field_index = _Index()
        for term in self.field_terms:
            self._field_index.add(_Entry(term, (0,)))
        self._field_index.seal()

    @property
    def opds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.opd for t in self.topics))

    def classify(self, subject: str, body: str) -> Classification:
        subject_words = words(subject[:2000])
        body_words = words(_without_footer(body[:TEXT_LIMIT]))
        found = _read(self._index, subject_words, body_words)
        per_topic = self._topic_scores(found)
        scores = self._opd_scores(per_topic)
        suggested = self._suggest(scores)
        category = None
        if suggested:
            best = max(
                (n for n in per_topic if self.topics[n].opd == suggested[0]), key=lambda n: per_topic[n][0]
            )
            category = self.topics[best].category
        field_found = _read(self._field_index, subject_words, body_words)
        field_hits = tuple(replace(h, place_only=False) for h in self._hits(field_found, 0))
        field_score = sum(self._value(h) for h in field_hits)
        if len(suggested) > 1:
            field_score += self.settings.field_review_multi_opd
        return Classification(
            opds=suggested,
            category=category,
            scores=scores,
            field_review=field_score >= self.settings.field_review_min,
            field_review_score=field_score,
            field_review_hits=field_hits,
        )

    # --- scoring ----------------------------------------------------------------------------

    def _value(self, hit: Hit) -> float:
        if hit.place_only and hit.weight > 0:
            return hit.weight * self.settings.location_factor
        extra = self.settings.repeat_bonus * (min(hit.count, 4) - 1)
        if hit.in_subject:
            extra += self.settings.subject_bonus
        return hit.weight * (1 + extra) if hit.weight > 0 else hit.weight

    def _hits(self, found: _Found, topic: int) -> list[Hit]:
        return [
            Hit(entry.term.text, entry.term.weight, count, in_subject, placed == count)
            for entry, (count, in_subject, placed) in found.items()
            if topic in entry.owners and not entry.place
        ]

    def _topic_scores(self, found: _Found) -> dict[int, tuple[float, list[Hit]]]:
        out: dict[int, tuple[float, list[Hit]]] = {}
        touched = {n for entry in found for n in entry.owners}
        for number in sorted(touched):
            hits = self._hits(found, number)
            score = sum(self._value(h) for h in hits)
            if score >= self.settings.min_score:  # a kelurahan picks the kecamatan it is about
                places = [e for e in found if e.place and number in e.owners]
                if places:
                    hits.append(Hit(places[0].term.text, self.settings.place_weight, 1, False))
                    score += self.settings.place_weight
            if hits:
                out[number] = (score, hits)
        return out

    def _opd_scores(self, per_topic: dict[int, tuple[float, list[Hit]]]) -> tuple[OpdScore, ...]:
        totals: dict[str, tuple[float, list[Hit], str, float]] = {}
        for number, (score, hits) in per_topic.items():
            topic = self.topics[number]
            total, all_hits, category, best = totals.get(topic.opd, (0.0, [], topic.category, -1e9))
            if score > best:
                category, best = topic.category, score
            totals[topic.opd] = (total + score, all_hits + hits, category, best)
        ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
        return tuple(
            OpdScore(opd, total, category, tuple(hits)) for opd, (total, hits, category, _) in ranked
        )

    def _suggest(self, scores: tuple[OpdScore, ...]) -> tuple[str, ...]:
        settings = self.settings
        groups = {t.opd: t.group for t in self.topics if t.group}
        eligible = [s for s in scores if s.score >= settings.min_score]
        kept: list[OpdScore] = []
        for item in eligible:
            group = groups.get(item.opd)
            if group is not None:
                rivals = [s for s in eligible if groups.get(s.opd) == group]
                if item is not rivals[0] or (len(rivals) > 1 and rivals[1].score == item.score):
                    continue
            kept.append(item)
        if not kept:
            return ()
        best = kept[0]
        others = [
            s
            for s in kept[1:]
            if s.score >= settings.margin * best.score
            and any(h.weight >= settings.secondary_weight for h in s.hits)
        ]
        return tuple(s.opd for s in [best, *others])[: settings.max_opds]


_FOOTER = re.compile(r"^[ \t]*(?:--[ \t]?|-{3,}|_{3,}|—+)[ \t]*$", re.MULTILINE)


def _without_footer(text: str) -> str:
    """The text above a signature or footer separator ("-- ", "---", "____"): a form's or an
    office's footer ("sent by the website ...") says nothing about the complaint."""
    found = _FOOTER.search(text)
    return text[: found.start()] if found and found.start() > 0 else text


_Found = dict[_Entry, tuple[int, bool, int]]  # entry -> (count, in the subject, times as a place)


def _read(index: _Index, subject: list[str], body: list[str]) -> _Found:
    """Each matched entry with its count, whether the subject had it and how often it only
    named a place."""
    found: _Found = {}
    for tokens, in_subject in ((subject, True), (body, False)):
        position = 0
        while position < len(tokens):
            matched = _longest(index, tokens, position)
            if not matched:
                position += 1
                continue
            entries, end = matched
            placed = _after_locative(tokens, position)
            for entry in entries:
                count, seen_in_subject, places = found.get(entry, (0, False, 0))
                found[entry] = (count + 1, seen_in_subject or in_subject, places + placed)
            position = end
    return found


def _after_locative(tokens: list[str], position: int) -> bool:
    """Whether a place word comes just before `position` ("depan", "near", "in front of the")."""
    for back in range(position - 1, max(position - 4, -1), -1):
        if tokens[back] in LOCATIVES:
            return True
        if tokens[back] not in _BEFORE_PLACE:
            return False
    return False


def _longest(index: _Index, tokens: list[str], position: int) -> tuple[list[_Entry], int] | None:
    """The entries of the best term matching at `position` and where the match ends: the most
    words, then the most words written exactly as in the text ("kelurahan" is the term
    "kelurahan", not the term "lurah" it could be made from); ties are all kept."""
    best: list[_Entry] = []
    best_rank, best_end = (0, 0), position
    for form in index.forms(tokens[position]):
        for entry in index.by_first.get(form, ()):
            size = len(entry.term.words)
            if size < best_rank[0]:
                break
            matched = _match(index, entry.term.words, tokens, position)
            if matched is None:
                continue
            end, exact = matched
            rank = (size, exact)
            if rank > best_rank:
                best, best_rank, best_end = [entry], rank, end
            elif rank == best_rank and entry not in best:
                best.append(entry)
                best_end = max(best_end, end)
    return (best, best_end) if best else None


def _match(index: _Index, term: tuple[str, ...], tokens: list[str], position: int) -> tuple[int, int] | None:
    """(end, words written exactly) of `term` matched from `position`; a filler word may sit
    between two term words."""
    exact = int(tokens[position] == term[0])
    at = position + 1
    for word in term[1:]:
        if at < len(tokens) and word in index.forms(tokens[at]):
            exact += tokens[at] == word
            at += 1
        elif at + 1 < len(tokens) and tokens[at] in FILLERS and word in index.forms(tokens[at + 1]):
            exact += tokens[at + 1] == word
            at += 2
        else:
            return None
    return at, exact
