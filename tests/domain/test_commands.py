"""Commands parsed the way officials type them."""

from __future__ import annotations

import pytest
import yaml

from mailflow.domain.commands import Command, CommandError, Verb, parse
from mailflow.domain.directory import Directory
from mailflow.resources import starter

DIRECTORY = Directory.model_validate(yaml.safe_load(starter("directory.yaml").read_text(encoding="utf-8")))
OPDS = tuple(o.code for o in DIRECTORY.opds)
DISHUB = DIRECTORY.opd("DISHUB")


def find_opd(text: str) -> str | None:
    opd = DIRECTORY.find_opd(text)
    return opd.code if opd else None


def find_bidang(text: str) -> str | None:
    bidang = DISHUB.find_bidang(text)
    return bidang.code if bidang else None


def run(line: str, rest: str = "") -> Command | CommandError:
    return parse(line, rest, find_opd=find_opd, opd_choices=OPDS, find_bidang=find_bidang,
                 bidang_choices=("PJU", "LLAJ"))  # fmt: skip


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("Setuju.", Verb.SETUJU), ("*SETUJU*", Verb.SETUJU), ("setuju, terima kasih pak", Verb.SETUJU),
        ("Approve", Verb.SETUJU), ("TERIMA", Verb.TERIMA), ("Diterima, terima kasih", Verb.TERIMA),
        ("received", Verb.TERIMA), ("Status?", Verb.STATUS), ("bantuan", Verb.BANTUAN), ("HELP", Verb.BANTUAN),
        ("Kirim", Verb.KIRIM), ("send", Verb.KIRIM), ("VALID", Verb.VALID), ("Accept", Verb.VALID),
    ],
)  # fmt: skip
def test_verbs_and_aliases(line: str, verb: Verb) -> None:
    result = run(line)
    assert isinstance(result, Command) and result.verb is verb


def test_valid_with_an_opd_by_code_name_or_alias() -> None:
    for line in (
        "VALID DISHUB",
        "Valid - Dinas Perhubungan",
        "valid: perhubungan.",
        "VALID dishub, terima kasih",
    ):
        assert run(line) == Command(Verb.VALID, opds=("DISHUB",))
    assert run("Valid, terima kasih") == Command(Verb.VALID)


def test_unknown_opd_lists_the_valid_ones() -> None:
    result = run("TERUSKAN Dinas Kehutanan")
    assert isinstance(result, CommandError)
    assert result.code == "unknown_opd" and result.word == "Dinas Kehutanan"
    assert result.choices == OPDS


def test_teruskan_several_opds_and_khusus() -> None:
    assert run("TERUSKAN DLH, Dinkes dan PDAM KHUSUS") == Command(
        Verb.TERUSKAN, opds=("DLH", "DINKES", "PDAM"), special=True
    )
    assert run("Teruskan ke Dinas PU") == Command(Verb.TERUSKAN, opds=("DPUPR",))
    missing = run("TERUSKAN")
    assert isinstance(missing, CommandError) and missing.code == "missing_opd"


def test_setuju_may_name_opds_and_khusus() -> None:
    assert run("Setuju, teruskan ke Dinas PU") == Command(Verb.SETUJU, opds=("DPUPR",))
    assert run("SETUJU KHUSUS") == Command(Verb.SETUJU, special=True)


def test_tolak_needs_a_reason_and_keeps_all_lines() -> None:
    missing = run("Tolak.")
    assert isinstance(missing, CommandError) and missing.code == "missing_text"
    assert run("TOLAK: di luar wilayah", "Kota Bontang") == Command(
        Verb.TOLAK, text="di luar wilayah\nKota Bontang"
    )


def test_disposisi_with_and_without_colon() -> None:
    assert run("DISPOSISI PJU: mohon segera dicek dan diperbaiki") == Command(
        Verb.DISPOSISI, bidang="PJU", text="mohon segera dicek dan diperbaiki"
    )
    assert run("Disposisi lampu jalan, mohon dicek", "Terima kasih") == Command(
        Verb.DISPOSISI, bidang="PJU", text="mohon dicek\nTerima kasih"
    )
    unknown = run("DISPOSISI Keuangan: tolong")
    assert isinstance(unknown, CommandError) and unknown.code == "unknown_bidang"
    assert unknown.choices == ("PJU", "LLAJ")


def test_tanggapan_text_spans_lines() -> None:
    assert run("TANGGAPAN", "Paragraf satu.\n\nParagraf dua.") == Command(
        Verb.TANGGAPAN, text="Paragraf satu.\n\nParagraf dua."
    )
    assert run("Tanggapan: singkat") == Command(Verb.TANGGAPAN, text="singkat")


def test_not_a_command() -> None:
    for line, code in (("", "empty"), ("Baik pak, segera saya cek", "unknown"), ("123", "unknown")):
        result = run(line)
        assert isinstance(result, CommandError) and result.code == code


# --- the branches (issue 13) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "verb", "text"),
    [
        ("BUKAN KEWENANGAN: jalan provinsi", Verb.BUKAN_KEWENANGAN, "jalan provinsi"),
        ("Bukan kewenangan - ini urusan DLH", Verb.BUKAN_KEWENANGAN, "ini urusan DLH"),
        ("NOT OURS: provincial road", Verb.BUKAN_KEWENANGAN, "provincial road"),
        ("KEMBALIKAN: lengkapi jadwal", Verb.KEMBALIKAN, "lengkapi jadwal"),
        ("Return - add the schedule", Verb.KEMBALIKAN, "add the schedule"),
        ("BUKA KEMBALI: lampu mati lagi", Verb.BUKA_KEMBALI, "lampu mati lagi"),
        ("Reopen: broken again", Verb.BUKA_KEMBALI, "broken again"),
        ("Puas, terima kasih", Verb.PUAS, ""),
        ("TIDAK PUAS", Verb.TIDAK_PUAS, ""),
        ("Tidak puas, lampu masih mati", Verb.TIDAK_PUAS, "lampu masih mati"),
        ("Not satisfied: still dark", Verb.TIDAK_PUAS, "still dark"),
        ("Sudah", Verb.SUDAH, ""),
        ("Belum, masih berkedip", Verb.BELUM, "masih berkedip"),
        ("Yes", Verb.SUDAH, ""),
    ],
)  # fmt: skip
def test_branch_verbs_of_one_and_two_words(line: str, verb: Verb, text: str) -> None:
    result = run(line)
    assert isinstance(result, Command) and result.verb is verb and result.text == text


def test_a_reason_is_required_for_the_branch_verbs() -> None:
    for line in ("BUKAN KEWENANGAN", "Kembalikan", "BUKA KEMBALI, terima kasih"):
        result = run(line)
        assert isinstance(result, CommandError) and result.code == "missing_text", line


def test_two_word_keywords_in_a_sentence_are_sentences() -> None:
    for line in ("Bukan kewenangan kami sebenarnya", "Tidak puas sekali saya", "buka kembali nanti ya"):
        result = run(line)
        assert isinstance(result, CommandError) and result.code == "sentence", line


def test_step_aliases_win_over_the_global_ones() -> None:
    local = {"TOLAK": Verb.BUKAN_KEWENANGAN}
    result = parse("Tolak: ini jalan provinsi", "", find_opd=find_opd, aliases=local)
    assert result == Command(Verb.BUKAN_KEWENANGAN, text="ini jalan provinsi")
    assert run("Tolak: bukan aduan") == Command(Verb.TOLAK, text="bukan aduan")


def test_return_names_an_opd_before_the_colon_and_paksa_confirms() -> None:
    assert run("KEMBALIKAN DPUPR: lampirkan foto") == Command(
        Verb.KEMBALIKAN, opds=("DPUPR",), text="lampirkan foto"
    )
    assert run("KEMBALIKAN: catatan: lihat foto") == Command(Verb.KEMBALIKAN, text="catatan: lihat foto")
    assert run("TERUSKAN DISHUB PAKSA") == Command(Verb.TERUSKAN, opds=("DISHUB",), force=True)
    assert run("TERUSKAN DISHUB") == Command(Verb.TERUSKAN, opds=("DISHUB",))
