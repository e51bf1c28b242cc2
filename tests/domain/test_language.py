"""Language of a complaint: Indonesian or English, the site's language when unsure."""

from __future__ import annotations

import pytest

from mailflow.domain.language import detect_language
from tests.intake.evalset import load


@pytest.mark.parametrize("half", ["tune", "holdout"])
def test_every_complaint_of_the_evaluation_set(half: str) -> None:
    """400 complaints, phone-style, letters, typos and slang, ~22% English: none is wrong; the few
    too short to tell fall back to the site language, which is right for them here."""
    items = load(half)
    wrong = [i.id for i in items if detect_language(f"{i.subject}\n{i.text}").language != i.lang]
    assert wrong == []
    decided = [detect_language(f"{i.subject}\n{i.text}").decided for i in items]
    assert sum(decided) / len(items) >= 0.95
    english = [i for i in items if i.lang == "en"]
    assert all(detect_language(f"{i.subject}\n{i.text}", default="id").language == "en" for i in english)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The street light in front of my house on Jalan Ahmad Yani, Kelurahan Api-Api, is broken.", "en"),
        ("Lampu jalan di depan rumah saya sudah mati sejak minggu lalu, mohon diperbaiki.", "id"),
        ("pak lampu di gg kmi udh mati 3 hr, tlg dong", "id"),
        (
            "Nama: Sarah Miller\nAlamat: Jl. Awang Long\nPesan: There is no water since Monday and the pipe is broken.",
            "en",
        ),
        ("Dear Sir, saya mau lapor jalan di depan rumah saya rusak dan sudah lama tidak diperbaiki.", "id"),
    ],
)
def test_examples(text: str, language: str) -> None:
    guess = detect_language(text)
    assert guess.language == language and guess.decided


@pytest.mark.parametrize("text", ["", "PJU padam", "OK", "Jl. Pupuk Raya KM 5 RT 12", "LPR-2026-00042"])
def test_unsure_falls_back_to_the_site_language(text: str) -> None:
    for site in ("id", "en"):
        guess = detect_language(text, default=site)
        assert guess.language == site and not guess.decided


def test_an_even_mix_is_undecided() -> None:
    guess = detect_language("the road is rusak dan tidak bisa", default="en")
    assert (guess.indonesian, guess.english) == (3, 2)
    assert not guess.decided and guess.language == "en" and guess.confidence == pytest.approx(0.6)
