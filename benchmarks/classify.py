"""How well the inbox rules suggest the OPD: the scored rules against the old first-match rules.

    .venv/bin/python benchmarks/classify.py [--rules DIR] [--misses]

Reads the labelled complaints of tests/fixtures/complaints (the tuning half and the held-out
half, reported apart: the held-out figures are the honest ones) and prints, for each rule set,
top-1 accuracy, multi-OPD recall, the precision of the suggestions and field-review recall.
The old rules are benchmarks/legacy_rules/30-kategori.yaml (first matching keyword rule decides,
one OPD, no field-review hint).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailflow.config.directory_file import load_directory
from mailflow.config.rules_file import load_rules, load_scorer
from mailflow.domain.classify import Scorer
from mailflow.domain.rules import MailFacts, Rule, evaluate
from mailflow.resources import bundled, starter
from tests.intake.evalset import HALVES, Guess, Labelled, load, measure

LEGACY = Path(__file__).resolve().parent / "legacy_rules"


def scored(scorer: Scorer):
    def guess(item: Labelled) -> Guess:
        found = scorer.classify(item.subject, item.text)
        return Guess(found.opds, found.field_review)

    return guess


def first_match(rules: list[Rule]):
    def guess(item: Labelled) -> Guess:
        facts = MailFacts("diskominfo", ("warga@gmail.com",), ("lapor@diskominfo.bontangkota.go.id",),
                          item.subject, item.text, (), {})  # fmt: skip
        return Guess(evaluate(rules, facts).settings.opds, False)

    return guess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=Path, default=bundled("inbox_rules"), help="inbox_rules folder")
    parser.add_argument("--misses", action="store_true", help="list the complaints whose top-1 is wrong")
    args = parser.parse_args()
    known = [opd.code for opd in load_directory(starter("directory.yaml")).opds]
    scorer = load_scorer(args.rules, known_opds=known)
    legacy = load_rules(LEGACY)
    for half in HALVES:
        items = load(half)
        started = time.perf_counter()
        new = measure(items, scored(scorer))
        elapsed = (time.perf_counter() - started) / len(items) * 1000
        old = measure(items, first_match(legacy))
        label = "tuning half" if half == "tune" else "held-out half (never tuned on)"
        print(f"=== {label}")
        for line in new.lines("scored rules (inbox_rules)"):
            print(line)
        print(f"  ({elapsed:.1f} ms per complaint)")
        for line in old.lines("old first-match rules"):
            print(line)
        if args.misses:
            print("  scored rules' top-1 misses:")
            for miss in new.misses:
                print("    " + miss)
        print()


if __name__ == "__main__":
    main()
