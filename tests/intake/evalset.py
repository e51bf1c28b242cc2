"""The labelled complaints of tests/fixtures/complaints and the figures a classifier gets on them.

Used by benchmarks/classify.py (which prints them) and tests/intake/test_classify_eval.py
(which asserts a floor on the held-out half).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "complaints"
HALVES = ("tune", "holdout")


@dataclass(frozen=True)
class Labelled:
    id: str
    lang: str
    style: tuple[str, ...]
    subject: str
    text: str
    opds: tuple[str, ...]
    field_review: bool


@dataclass(frozen=True)
class Guess:
    opds: tuple[str, ...]  # suggested, best first
    field_review: bool


def load(half: str) -> list[Labelled]:
    items = yaml.safe_load((FOLDER / f"{half}.yaml").read_text(encoding="utf-8"))
    return [
        Labelled(
            id=item["id"],
            lang=item["lang"],
            style=tuple(item.get("style") or ()),
            subject=item["subject"],
            text=item["text"],
            opds=tuple(item["opds"]),
            field_review=bool(item["field_review"]),
        )
        for item in items
    ]


@dataclass(frozen=True)
class Figures:
    count: int
    top1: float  # best-scored OPD is one of the expected
    top1_en: float
    no_suggestion: int
    multi_recall: float  # share of the expected OPDs of multi-OPD complaints that are suggested
    multi_complete: float  # multi-OPD complaints with every expected OPD suggested
    precision: float  # share of suggested OPDs that were expected
    field_recall: float
    field_false_positive: float  # share of complaints without field review that get the hint
    misses: tuple[str, ...]  # ids whose top-1 is wrong, with what was guessed

    def lines(self, name: str) -> list[str]:
        return [
            f"{name}: {self.count} complaints",
            f"  top-1 accuracy        {self.top1:6.1%}   (English only {self.top1_en:6.1%};"
            f" no suggestion for {self.no_suggestion})",
            f"  multi-OPD recall      {self.multi_recall:6.1%}   (all OPDs suggested in {self.multi_complete:.1%})",
            f"  suggestion precision  {self.precision:6.1%}",
            f"  field-review recall   {self.field_recall:6.1%}   (false hints on {self.field_false_positive:.1%}"
            " of the others)",
        ]


def measure(items: Sequence[Labelled], guess: Callable[[Labelled], Guess]) -> Figures:
    right = right_en = count_en = none = 0
    multi_expected = multi_found = multi_complete = multi_items = 0
    suggested_total = suggested_right = 0
    field_pos = field_hit = field_neg = field_false = 0
    misses: list[str] = []
    for item in items:
        found = guess(item)
        expected = set(item.opds)
        if found.opds and found.opds[0] in expected:
            right += 1
            right_en += item.lang == "en"
        else:
            misses.append(f"{item.id}: expected {'+'.join(item.opds)}, got {'+'.join(found.opds) or '-'}")
        count_en += item.lang == "en"
        none += not found.opds
        suggested_total += len(found.opds)
        suggested_right += len(set(found.opds) & expected)
        if len(expected) > 1:
            multi_items += 1
            multi_expected += len(expected)
            multi_found += len(set(found.opds) & expected)
            multi_complete += expected <= set(found.opds)
        if item.field_review:
            field_pos += 1
            field_hit += found.field_review
        else:
            field_neg += 1
            field_false += found.field_review
    return Figures(
        count=len(items),
        top1=right / len(items),
        top1_en=right_en / count_en if count_en else 0.0,
        no_suggestion=none,
        multi_recall=multi_found / multi_expected if multi_expected else 0.0,
        multi_complete=multi_complete / multi_items if multi_items else 0.0,
        precision=suggested_right / suggested_total if suggested_total else 0.0,
        field_recall=field_hit / field_pos if field_pos else 0.0,
        field_false_positive=field_false / field_neg if field_neg else 0.0,
        misses=tuple(misses),
    )
