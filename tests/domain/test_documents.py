from __future__ import annotations

import random

import pytest

from mailflow.domain.documents import (
    ID_SPACE,
    find_doc_ids,
    make_doc_id,
    normalise_doc_id,
    parse_qr_payload,
    qr_payload,
)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"


def test_ids_have_the_printed_shape() -> None:
    assert make_doc_id(0) == "MF-0000-0000-0"
    doc_id = make_doc_id(123456789)
    assert len(doc_id) == 14 and doc_id.startswith("MF-")
    with pytest.raises(ValueError):
        make_doc_id(ID_SPACE)


def test_every_single_substitution_and_neighbour_swap_is_detected() -> None:
    rng = random.Random(7)
    for _ in range(200):
        doc_id = make_doc_id(rng.randrange(ID_SPACE))
        body, check = doc_id[3:7] + doc_id[8:12], doc_id[-1]
        for i in range(8):
            for symbol in ALPHABET:
                if symbol != body[i]:
                    typo = body[:i] + symbol + body[i + 1 :]
                    assert normalise_doc_id(f"MF-{typo[:4]}-{typo[4:]}-{check}") is None
        for i in range(7):
            if body[i] != body[i + 1]:
                swap = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
                assert normalise_doc_id(f"MF-{swap[:4]}-{swap[4:]}-{check}") is None


def test_reading_tolerates_case_and_look_alikes() -> None:
    doc_id = make_doc_id(31**7 + 1)  # starts with "1", contains "0"
    assert normalise_doc_id(doc_id.lower()) == doc_id
    assert normalise_doc_id(doc_id.replace("1", "l").replace("0", "O")) == doc_id


def test_find_in_page_text_and_qr_payload() -> None:
    a, b = make_doc_id(42), make_doc_id(4242)
    text = f"Nomor: 700.1.2.4/0042/Dishub/2026\nID Dokumen: {a}\n{a} again, and {b}; fake MF-0000-0000-1"
    assert find_doc_ids(text) == [a, b]
    assert parse_qr_payload(qr_payload(a)) == a
    assert parse_qr_payload("https://example.org") is None
