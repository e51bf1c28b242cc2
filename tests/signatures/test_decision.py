"""The pure decision (mailflow.domain.signatures) with literal facts: names, order of the checks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailflow.domain import signatures as sig

HENDRA = sig.ExpectedSigner(
    person_id="kadis_dishub",
    name="Drs. Hendra Gunawan, M.Si.",
    addresses=("kadis.dishub@bontangkota.go.id",),
    nip="19720825 199803 1 004",
)
FITRIANI = sig.ExpectedSigner(
    person_id="sekretaris_dishub",
    name="Fitriani, S.Sos.",
    addresses=("sekretaris.dishub@bontangkota.go.id",),
    delegate=True,
)
GOOD = sig.SignatureCheck(
    field_name="TandaTangan",
    signer=sig.SignerIdentity(subject="Common Name: HENDRA GUNAWAN", common_name="HENDRA GUNAWAN"),
    intact=True,
    valid=True,
    trusted=True,
    bottom_line=True,
    coverage="ENTIRE_FILE",
    modification_level="NONE",
    docmdp_ok=True,
)
FOUND = sig.Facts(signatures=(GOOD,), letter_found=True, matched_by="text")


def decide(
    facts: sig.Facts, policy: sig.Policy = sig.Policy.DIGITAL, sender: str | None = None
) -> sig.Verdict:
    return sig.decide(
        facts, (HENDRA, FITRIANI), policy, sender=sender, scan_senders=("kadis.dishub@bontangkota.go.id",)
    )


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Drs. Hendra Gunawan, M.Si.", "hendra gunawan"),
        ("HENDRA GUNAWAN", "hendra gunawan"),
        ("Hendra Gunawan M.Si", "hendra gunawan"),
        ("dr. Indah Permatasari, M.Kes.", "indah permatasari"),
        ("Prof. Dr. Ir. H. Ahmad Yani, S.T., M.T.", "ahmad yani"),
        ("Ir.Budi Santoso", "budi santoso"),
        ("A. Rahman", "a rahman"),  # an initial is part of the name
        ("Drajat Sutrisno", "drajat sutrisno"),  # "Dra" inside a name is no title
        ("Hjalmar Siregar", "hjalmar siregar"),
        ("Muhammad Yusri, S.Sos., M.Si.", "muhammad yusri"),
    ],
)
def test_person_names_lose_titles_case_and_punctuation(written: str, key: str) -> None:
    assert sig.person_name_key(written) == key


def test_signer_matched_by_name_email_mapping_or_nip() -> None:
    by_name = sig.SignerIdentity(subject="x", common_name="hendra gunawan")
    by_mail = sig.SignerIdentity(subject="x", common_name="H. G.", emails=("kadis.dishub@bontangkota.go.id",))
    by_nip = sig.SignerIdentity(subject="x", common_name="HG", serial_numbers=("197208251998031004",))
    mapped = sig.SignerIdentity(subject="x", common_name="HENDRA G")
    stranger = sig.SignerIdentity(subject="x", common_name="Hendra", emails=("hendra@gmail.com",))
    assert sig.signer_matches(by_name, HENDRA)
    assert sig.signer_matches(by_mail, HENDRA)
    assert sig.signer_matches(by_nip, HENDRA)
    assert not sig.signer_matches(mapped, HENDRA)
    assert sig.signer_matches(mapped, replace(HENDRA, certificate_names=("Hendra G",)))
    assert not sig.signer_matches(stranger, HENDRA)


def test_a_valid_signature_of_the_head_is_accepted() -> None:
    verdict = decide(FOUND)
    assert verdict.accepted and verdict.code == "signed" and verdict.signer == HENDRA


def test_a_delegate_is_accepted_and_marked() -> None:
    fitriani = sig.SignerIdentity(subject="x", common_name="FITRIANI")
    verdict = decide(replace(FOUND, signatures=(replace(GOOD, signer=fitriani),)))
    assert verdict.accepted and verdict.signer == FITRIANI and verdict.signer.delegate


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"intact": False, "bottom_line": False}, sig.TAMPERED),
        ({"valid": False, "bottom_line": False}, sig.INVALID_SIGNATURE),
        ({"coverage": "CONTIGUOUS_BLOCK_FROM_START"}, sig.PARTIAL_COVERAGE),
        ({"modification_level": "OTHER", "bottom_line": False}, sig.MODIFIED),
        ({"modification_level": "ANNOTATIONS"}, sig.MODIFIED),
        ({"docmdp_ok": False}, sig.MODIFIED),
        ({"trusted": False, "bottom_line": False}, sig.UNTRUSTED),
        ({"bottom_line": False}, sig.INVALID_SIGNATURE),  # whatever else pyHanko found: never accepted
    ],
)
def test_every_signature_problem_refuses(change: dict[str, object], code: str) -> None:
    bad = replace(GOOD, **change)  # type: ignore[arg-type]
    verdict = decide(replace(FOUND, signatures=(GOOD, bad)))
    assert not verdict.accepted and verdict.code == code
    assert verdict.security


def test_signature_problems_come_before_the_letter_and_the_signer() -> None:
    tampered = replace(GOOD, intact=False, bottom_line=False)
    assert decide(sig.Facts(signatures=(tampered,), letter_found=False)).code == sig.TAMPERED
    assert decide(sig.Facts(signatures=(GOOD,), letter_found=False)).code == sig.UNKNOWN_LETTER
    assert decide(sig.Facts(signatures=(GOOD,), letter_found=False, ambiguous=True)).code == sig.AMBIGUOUS


def test_wrong_signer_names_who_signed() -> None:
    budi = replace(GOOD, signer=sig.SignerIdentity(subject="x", common_name="Ir. Budi Santoso, M.T."))
    verdict = decide(replace(FOUND, signatures=(budi,)))
    assert verdict.code == sig.WRONG_SIGNER and "Budi Santoso" in verdict.detail


def test_the_signed_text_must_carry_number_and_case() -> None:
    verdict = decide(replace(FOUND, missing_in_text=("LPR-2026-00042",)))
    assert verdict.code == sig.CONTENT_MISMATCH and "LPR-2026-00042" in verdict.detail
    assert sig.missing_in_text("Nomor: 700.1.2.4/0042/\nDishub/2026", ["700.1.2.4/0042/Dishub/2026"]) == ()
    assert sig.missing_in_text("Nomor: 700.1.2.4/0043/Dishub/2026", ["700.1.2.4/0042/Dishub/2026"]) != ()


def test_unsigned_and_scans_by_policy_and_sender() -> None:
    scan = sig.Facts(signatures=(), letter_found=True, matched_by="qr", scan_like=True)
    head = "kadis.dishub@bontangkota.go.id"
    assert decide(scan, sig.Policy.DIGITAL, head).code == sig.SCAN_NOT_ALLOWED
    assert decide(scan, sig.Policy.DIGITAL_OR_SCAN, head).code == "scan"
    assert decide(scan, sig.Policy.DIGITAL_OR_SCAN, None).code == sig.SCAN_NEEDS_MAIL
    assert decide(scan, sig.Policy.DIGITAL_OR_SCAN, "someone@gmail.com").code == sig.SCAN_WRONG_SENDER
    typed = sig.Facts(signatures=(), letter_found=True, matched_by="text", scan_like=False)
    assert decide(typed, sig.Policy.DIGITAL_OR_SCAN, head).code == sig.UNSIGNED  # a draft is no scan
    assert decide(typed, sig.Policy.DIGITAL, head).code == sig.UNSIGNED
    no_qr = replace(scan, letter_found=False, matched_by="")
    assert decide(no_qr, sig.Policy.DIGITAL_OR_SCAN, head).code == sig.UNKNOWN_LETTER


def test_scan_likeness_counts_letters_and_digits() -> None:
    assert sig.is_scan_like("")
    assert sig.is_scan_like("  \n\f  ")
    assert not sig.is_scan_like("PEMERINTAH KOTA BONTANG DINAS PERHUBUNGAN Nomor 700.1.2.4/0001")


def test_every_reason_code_has_a_reason_and_a_short_label_in_both_languages() -> None:
    from mailflow.texts.signatures import MESSAGES  # noqa: PLC0415

    codes = {value for name, value in vars(sig).items() if name.isupper() and isinstance(value, str)}
    assert {sig.EXPANDS, sig.TOO_COMPLEX, sig.ACTIVE_CONTENT} <= codes
    for code in codes:
        for key in (f"signatures.reason.{code}", f"signatures.short.{code}"):
            indonesian, english = MESSAGES[key]
            assert indonesian.strip() and english.strip() and indonesian != english, key
