"""The shipped scored rules on the labelled evaluation set (tests/fixtures/complaints).

The held-out half was written after the rules were frozen; its floors sit below what it
measured (91% top-1 on first look) so that a change which makes the rules worse for unseen text
fails, while the tuning half guards against breaking what was already right. See
benchmarks/classify.py for all figures and the old rules' figures beside them.
"""

from __future__ import annotations

import pytest

from mailflow.config.directory_file import load_directory
from mailflow.config.rules_file import load_rules, load_scorer
from mailflow.domain.classify import Scorer
from mailflow.resources import bundled, starter
from tests.intake.evalset import Guess, Labelled, load, measure


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    known = [opd.code for opd in load_directory(starter("directory.yaml")).opds]
    return load_scorer(bundled("inbox_rules"), known_opds=known)


def _guess(scorer: Scorer):
    def guess(item: Labelled) -> Guess:
        found = scorer.classify(item.subject, item.text)
        return Guess(found.opds, found.field_review)

    return guess


def test_the_held_out_half_keeps_its_floor(scorer: Scorer) -> None:
    figures = measure(load("holdout"), _guess(scorer))
    assert figures.count == 80
    assert figures.top1 >= 0.85, figures.misses
    assert figures.top1_en >= 0.70
    assert figures.precision >= 0.70
    assert figures.multi_recall >= 0.6
    assert figures.field_false_positive <= 0.05


def test_the_tuning_half_stays_right(scorer: Scorer) -> None:
    figures = measure(load("tune"), _guess(scorer))
    assert figures.count == 320
    assert figures.top1 >= 0.97, figures.misses
    assert figures.multi_recall >= 0.75
    assert figures.field_recall >= 0.8 and figures.field_false_positive <= 0.05


def test_the_labels_and_the_topics_cover_every_perangkat_daerah(scorer: Scorer) -> None:
    directory = {opd.code for opd in load_directory(starter("directory.yaml")).opds}
    assert len(directory) >= 30
    assert set(scorer.opds) == directory and scorer.skipped == ()
    labelled = {code for half in ("tune", "holdout") for item in load(half) for code in item.opds}
    assert labelled == directory
    items = load("tune") + load("holdout")
    assert len(items) >= 150 and sum(i.lang == "en" for i in items) / len(items) >= 0.18
    assert len({i.id for i in items}) == len(items)


def test_a_smaller_directory_leaves_the_other_topics_out() -> None:
    rules = load_rules(bundled("inbox_rules"), known_opds=["DPUPR", "DISHUB", "DLH"])
    classifier = next(rule.scorer for rule in rules if rule.scorer is not None)
    assert set(classifier.opds) == {"DPUPR", "DISHUB", "DLH"}
    assert "RSUD" in classifier.skipped and "PDAM" in classifier.skipped
    found = classifier.classify("Air PDAM mati", "Air PDAM tidak mengalir tiga hari.")
    assert "PDAM" not in found.opds  # never an OPD the directory cannot route to
