"""Word forms: Indonesian affixes and English endings give the base a rule term names."""

from __future__ import annotations

import pytest

from mailflow.domain.wordforms import forms, near, slips, words


@pytest.mark.parametrize(
    ("word", "base"),
    [
        ("berlubang", "lubang"),
        ("lubangnya", "lubang"),
        ("perbaikan", "baik"),
        ("diperbaiki", "baik"),
        ("kebersihan", "bersih"),
        ("penerangan", "terang"),  # pe(N)- hides the t
        ("pemadam", "padam"),  # pe(M)- hides the p
        ("menyengat", "sengat"),  # me(NY)- hides the s
        ("mengalir", "alir"),
        ("ngalir", "alir"),  # chat Indonesian drops the me-
        ("pengangkutan", "angkut"),
        ("ditertibkan", "tertib"),
        ("penertiban", "tertib"),
        ("kebakaran", "bakar"),
        ("perizinan", "izin"),
        ("persampahan", "sampah"),
        ("tersumbat", "sumbat"),
        ("penyakit", "sakit"),
        ("belajar", "ajar"),
        ("potholes", "pothole"),
        ("flooded", "flood"),
        ("leaking", "leak"),
        ("stopped", "stop"),
        ("bodies", "body"),
    ],
)
def test_affixed_words_have_their_base_among_their_forms(word: str, base: str) -> None:
    assert base in forms(word)
    assert word in forms(word)


@pytest.mark.parametrize("word", ["jalan", "sekolah", "taman", "makan"])
def test_roots_that_look_affixed_keep_themselves(word: str) -> None:
    assert word in forms(word)


def test_mohon_is_not_pohon() -> None:
    """m- is not dropped like ng-/ny-: "mohon" (please) in every complaint is no tree."""
    assert "pohon" not in forms("mohon")


def test_words_split_case_accents_digits_and_phone_spellings() -> None:
    assert words("Gorong-gorong di Jl. Ahmad Yani — kafé 12 RUSAK!") == [
        "gorong", "gorong", "di", "jl", "ahmad", "yani", "kafe", "rusak",
    ]  # fmt: skip
    assert words("jln rusak dkt sklh") == ["jalan", "rusak", "dkt", "sekolah"]


def test_typing_slips_are_one_dropped_or_doubled_letter_never_a_substitution() -> None:
    vocabulary = frozenset({"selokan", "puskesmas", "sampah", "budaya", "banjir"})
    dropped = slips(vocabulary)
    assert near("slokan", vocabulary, dropped) == {"selokan"}
    assert near("puskesmass", vocabulary, dropped) == {"puskesmas"}
    assert near("pukesmas", vocabulary, dropped) == {"puskesmas"}
    assert near("sampai", vocabulary, dropped) == set()  # "until", not "rubbish"
    assert near("buaya", vocabulary, dropped) == set()  # a crocodile is no culture: too short to guess
    assert near("banjor", vocabulary, dropped) == set()
