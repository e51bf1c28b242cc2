"""Issue 11, point 4: a command is the whole line, not the first word of a sentence.

Lines as officials write them (and as they write things that are not commands), each parsed the
way the reply processor does after the quoted history is gone.
"""

from __future__ import annotations

import pytest

from mailflow.domain.commands import Command, CommandError, Verb, parse
from tests.domain.test_commands import OPDS, find_bidang, find_opd


def run(line: str, rest: str = "") -> Command | CommandError:
    return parse(line, rest, find_opd=find_opd, opd_choices=OPDS, find_bidang=find_bidang,
                 bidang_choices=("PJU", "LLAJ"))  # fmt: skip


# --- what must NOT be a command ------------------------------------------------------------------

NOT_COMMANDS = [
    # thanks that start with a keyword
    ("Terima kasih", "sentence", "TERIMA"),
    ("Terima kasih, sudah kami catat.", "sentence", "TERIMA"),
    ("Terima kasih banyak Pak", "sentence", "TERIMA"),
    ("TERIMA KASIH", "sentence", "TERIMA"),
    ("terima kasih atas informasinya", "sentence", "TERIMA"),
    ("Terimakasih", "unknown", ""),
    ("Diterima dengan baik, akan kami pelajari dulu", "sentence", "TERIMA"),
    # opinions that start with SETUJU / VALID
    ("Setuju sekali, tapi anggarannya belum ada", "sentence", "SETUJU"),
    ("Setuju sekali, tapi...", "sentence", "SETUJU"),
    ("Setuju pak, tapi nanti dulu", "sentence", "SETUJU"),
    ("Setuju Pak, Tapi nanti dulu", "sentence", "SETUJU"),
    ("Setuju dengan pendapat Bapak", "sentence", "SETUJU"),
    ("Setuju 100%", "sentence", "SETUJU"),
    ("Valid sekali laporannya", "sentence", "VALID"),
    ("Agree with you, but we need to check first", "sentence", "SETUJU"),
    # questions
    ("Valid?", "question", "VALID"),
    ("Setuju?", "question", "SETUJU"),
    ("Terima?", "question", "TERIMA"),
    ("Tolak?", "question", "TOLAK"),
    ("Kirim?", "question", "KIRIM"),
    ("Disposisi?", "question", "DISPOSISI"),
    ("TERUSKAN DISHUB?", "question", "TERUSKAN"),
    ("Setuju, teruskan ke Dishub?", "question", "SETUJU"),
    ("Valid ? apa maksudnya", "question", "VALID"),
    # free-text keywords opening a sentence
    ("Tolak ukur kinerja dinas belum ada", "sentence", "TOLAK"),
    ("Kirim ulang lampirannya ya pak", "sentence", "KIRIM"),
    ("Tanggapan kami menyusul besok", "sentence", "TANGGAPAN"),
    ("Khusus untuk lokasi ini mohon dicek dulu", "sentence", "KHUSUS"),
    ("kirim saja nanti", "sentence", "KIRIM"),
    # status and help are commands too, not the start of a sentence
    ("Status laporan ini bagaimana", "sentence", "STATUS"),
    ("Bantuan apa yang bisa kami berikan", "sentence", "BANTUAN"),
    # keywords glued to more letters or digits, and lookalikes
    ("Setujui", "unknown", ""),
    ("Valid2", "unknown", ""),
    ("VALIDASI dulu", "unknown", ""),
    ("valıd", "unknown", ""),  # dotless i: "valıd".upper() == "VALID"
    ("Baik pak, segera saya cek", "unknown", ""),
    ("Ok setuju", "unknown", ""),
]


@pytest.mark.parametrize(("line", "code", "verb"), NOT_COMMANDS)
def test_a_sentence_a_question_or_a_lookalike_is_not_a_command(line: str, code: str, verb: str) -> None:
    result = run(line, "Salam,\nFitriani")
    assert isinstance(result, CommandError), result
    assert (result.code, result.verb) == (code, verb)
    if code in ("sentence", "question"):
        assert result.word == line  # the explanation quotes what was read


# --- what real officials write and must keep working ------------------------------------------

COMMANDS = [
    ("Setuju.", Command(Verb.SETUJU)),
    ("SETUJU", Command(Verb.SETUJU)),
    ("*Setuju*", Command(Verb.SETUJU)),
    ("_Setuju_ 👍", Command(Verb.SETUJU)),
    ("👍 Setuju", Command(Verb.SETUJU)),
    ("setuju, terima kasih", Command(Verb.SETUJU)),
    ("Setuju, terima kasih Pak Budi", Command(Verb.SETUJU)),
    ("Setuju pak, lanjutkan", Command(Verb.SETUJU)),
    ("Setuju. Segera ditindaklanjuti, terima kasih.", Command(Verb.SETUJU)),
    ("Disetujui, matur nuwun", Command(Verb.SETUJU)),
    ("Approved, thank you", Command(Verb.SETUJU)),
    ("Setuju, teruskan ke Dinas PU", Command(Verb.SETUJU, opds=("DPUPR",))),
    ("Setuju untuk diteruskan", Command(Verb.SETUJU)),
    ("Setuju, mohon segera ditindaklanjuti", Command(Verb.SETUJU)),
    ("SETUJU KHUSUS", Command(Verb.SETUJU, special=True)),
    ("TERUSKAN DISHUB, DPUPR", Command(Verb.TERUSKAN, opds=("DISHUB", "DPUPR"))),
    ("Teruskan ke Dishub dan DLH, terima kasih", Command(Verb.TERUSKAN, opds=("DISHUB", "DLH"))),
    ("TERUSKAN DPUPR, Dishub KHUSUS", Command(Verb.TERUSKAN, opds=("DPUPR", "DISHUB"), special=True)),
    ("Forward to DLH", Command(Verb.TERUSKAN, opds=("DLH",))),
    ("VALID", Command(Verb.VALID)),
    ("VALID DISHUB", Command(Verb.VALID, opds=("DISHUB",))),
    ("VALID DISHUB KHUSUS", Command(Verb.VALID, opds=("DISHUB",), special=True)),
    ("Valid, teruskan ke Disdukcapil.", Command(Verb.VALID, opds=("DISDUKCAPIL",))),
    ("Valid - Dinas Perhubungan", Command(Verb.VALID, opds=("DISHUB",))),
    ("VALID dishub terima kasih", Command(Verb.VALID, opds=("DISHUB",))),
    ("Accept", Command(Verb.VALID)),
    ("TERIMA", Command(Verb.TERIMA)),
    ("Terima.", Command(Verb.TERIMA)),
    ("terima, terima kasih", Command(Verb.TERIMA)),
    ("Diterima, terima kasih.", Command(Verb.TERIMA)),
    ("Diterima, segera diproses", Command(Verb.TERIMA)),
    ("Terima, terima kasih Bu Rina", Command(Verb.TERIMA)),
    ("Received, thanks", Command(Verb.TERIMA)),
    ("Tolak: bukan wewenang", Command(Verb.TOLAK, text="bukan wewenang")),
    ("Tolak, di luar wilayah Kota Bontang", Command(Verb.TOLAK, text="di luar wilayah Kota Bontang")),
    ("TOLAK aduan ini di luar kewenangan", Command(Verb.TOLAK, text="aduan ini di luar kewenangan")),
    ("REJECT: duplicate of LPR-2026-00040", Command(Verb.TOLAK, text="duplicate of LPR-2026-00040")),
    ("DISPOSISI PJU: mohon dicek", Command(Verb.DISPOSISI, bidang="PJU", text="mohon dicek")),
    ("Disposisi lampu jalan, segera", Command(Verb.DISPOSISI, bidang="PJU", text="segera")),
    ("ASSIGN LLAJ: please check", Command(Verb.DISPOSISI, bidang="LLAJ", text="please check")),
    (
        "KHUSUS perlu koordinasi dengan PLN",
        Command(Verb.KHUSUS, text="perlu koordinasi dengan PLN", special=True),
    ),
    ("Khusus: tinjauan lapangan", Command(Verb.KHUSUS, text="tinjauan lapangan", special=True)),
    ("KHUSUS", Command(Verb.KHUSUS, special=True)),
    ("KIRIM", Command(Verb.KIRIM)),
    ("Kirim.", Command(Verb.KIRIM)),
    ("Kirim, terima kasih", Command(Verb.KIRIM)),
    ("KIRIM Mohon maaf atas keterlambatan", Command(Verb.KIRIM, text="Mohon maaf atas keterlambatan")),
    ("Send", Command(Verb.KIRIM)),
    ("TANGGAPAN: lampu sudah diganti", Command(Verb.TANGGAPAN, text="lampu sudah diganti")),
    ("STATUS", Command(Verb.STATUS)),
    ("Status?", Command(Verb.STATUS)),
    ("status pak?", Command(Verb.STATUS)),
    ("Bantuan", Command(Verb.BANTUAN)),
    ("HELP", Command(Verb.BANTUAN)),
    ("Help?", Command(Verb.BANTUAN)),
]


@pytest.mark.parametrize(("line", "expected"), COMMANDS)
def test_what_officials_write_still_works(line: str, expected: Command) -> None:
    assert run(line) == expected


def test_lines_below_belong_to_free_text_and_are_ignored_by_short_commands() -> None:
    signature = "Salam,\nFitriani, S.Sos.\nSekretaris Dinas Perhubungan"
    assert run("TERIMA", signature) == Command(Verb.TERIMA)
    assert run("SETUJU", "Mohon dipercepat.") == Command(Verb.SETUJU)
    assert run("TANGGAPAN", "Paragraf satu.\n\nParagraf dua.") == Command(
        Verb.TANGGAPAN, text="Paragraf satu.\n\nParagraf dua."
    )
    assert run("TANGGAPAN, terima kasih", "Lampu sudah diganti.") == Command(
        Verb.TANGGAPAN, text="Lampu sudah diganti."
    )
    assert run("KIRIM", "Bapak Rudi yang kami hormati,") == Command(
        Verb.KIRIM, text="Bapak Rudi yang kami hormati,"
    )
    assert run("Tolak", "Bukan kewenangan Pemkot.") == Command(Verb.TOLAK, text="Bukan kewenangan Pemkot.")


def test_a_reason_of_only_thanks_is_no_reason() -> None:
    missing = run("Tolak, terima kasih")
    assert isinstance(missing, CommandError) and missing.code == "missing_text"


def test_unknown_opds_are_still_named_with_the_choices() -> None:
    for line, word in (
        ("VALID Dinas Kehutanan", "Dinas Kehutanan"),
        ("Setuju, teruskan ke Dinas Kehutanan", "Dinas Kehutanan"),
        ("TERUSKAN kehutanan", "kehutanan"),
    ):
        result = run(line)
        assert isinstance(result, CommandError) and result.code == "unknown_opd", (line, result)
        assert result.word == word and result.choices == OPDS


def test_only_asides_may_follow_a_command_without_arguments() -> None:
    for text in ("", " , ", "terima kasih", "Terima kasih Pak Budi Santoso.", "ok pak, siap", "🙏"):
        assert run(f"Terima, {text}") == Command(Verb.TERIMA), text
    for text in ("kasih", "sudah kami catat", "pak tapi", "Pak Budi Santoso Hartono Wijaya"):
        result = run(f"Terima, {text}")
        assert isinstance(result, CommandError) and result.code == "sentence", text


def test_a_huge_line_is_read_quickly_and_refused() -> None:
    import time  # noqa: PLC0415

    line = "Setuju " + "pak " * 20000
    started = time.perf_counter()
    result = run(line)
    assert isinstance(result, CommandError) and result.code == "sentence"
    huge = run("DISPOSISI " + "lampu " * 50000)
    assert isinstance(huge, CommandError) and huge.code == "unknown_bidang"
    assert time.perf_counter() - started < 1.0
