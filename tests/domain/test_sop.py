"""The SOP shipped with mailflow, and validation of other SOP files."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from mailflow.config.sop_file import REGENCY_SOP, load_sop, shipped_sop_path
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.sop import Role, Scope, Track
from mailflow.domain.sop_schema import sop_from_mapping
from mailflow.errors import SopError


@pytest.fixture(scope="module")
def shipped_raw() -> dict[str, Any]:
    return yaml.safe_load(resources.files("mailflow.data").joinpath("sop_lapor_bontang.yaml").read_text())


def test_shipped_sop_has_the_eleven_steps_of_the_scan() -> None:
    sop = load_sop()
    assert [s.number for s in sop.steps] == list(range(1, 12))
    actors = [s.actor for s in sop.steps]
    assert actors == [
        Role.ADMIN, Role.IKP, Role.IKP, Role.PIMPINAN, Role.SEKRETARIS, Role.KEPALA_OPD,
        Role.KABID, Role.KEPALA_OPD, Role.SEKRETARIS, Role.IKP, Role.ADMIN,
    ]  # fmt: skip
    assert [s.number for s in sop.steps if s.by_system] == [1, 3, 9]
    assert [s.number for s in sop.route_steps()] == [5, 6, 7, 8, 9]
    assert sop.step(4).fast_path
    assert sop.step(10).alternate_actors == (Role.PIMPINAN,)
    assert sop.step(7).limit_for(Track.NORMAL) == BusinessDuration(days=3)
    assert sop.step(7).limit_for(Track.SPECIAL) == BusinessDuration(days=14)
    assert sop.step(10).limit == BusinessDuration(minutes=30)


def test_total_budget_is_four_days_eight_hours_thirty_minutes() -> None:
    sop = load_sop()
    assert sop.total() == BusinessDuration(days=4, minutes=8 * 60 + 30)
    assert sop.total().format() == "4 hari 8 jam 30 menit"
    assert sop.total(Track.SPECIAL) == BusinessDuration(days=15, minutes=510)


def test_a_changed_limit_contradicting_the_stated_total_is_refused(shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][1]["limit"] = "90 menit"
    with pytest.raises(SopError, match="stated_total"):
        sop_from_mapping(raw, "custom.yaml")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda r: r["steps"][2].update(actor="KEPALA"), "steps[2].actor"),
        (lambda r: r["steps"][0].update(limit="enam puluh"), "steps[0].limit"),
        (lambda r: r["steps"][0].update(limt="60 menit"), "steps[0].limt"),
        (lambda r: r["steps"][4].update(scope="opd"), "steps[4].scope"),
        (lambda r: r["steps"][3].update(number=7), "steps"),
        (lambda r: r["steps"][0]["name"].pop("en"), "steps[0].name.en"),
        (lambda r: r.pop("steps"), "steps"),
    ],
)
def test_errors_name_the_key(shipped_raw: dict[str, Any], change: Any, key: str) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw.pop("stated_total")
    change(raw)
    with pytest.raises(SopError) as info:
        sop_from_mapping(raw, "custom.yaml")
    assert info.value.key == key
    assert str(info.value).startswith("custom.yaml: ")


def test_a_configured_sop_file_is_read(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw.pop("stated_total")
    raw["steps"][6]["limit"] = "5 hari"
    path = tmp_path / "sop.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    sop = load_sop(path)
    assert sop.step(7).limit == BusinessDuration(days=5)
    assert sop.step(7).scope is Scope.ROUTE


def test_yaml_syntax_error_has_a_line(tmp_path: Any) -> None:
    path = tmp_path / "sop.yaml"
    path.write_text("code: x\nsteps:\n  - number: 1\n   key: [\n", encoding="utf-8")
    with pytest.raises(SopError) as info:
        load_sop(path)
    assert info.value.line is not None


def test_errors_are_indonesian_by_default_and_english_on_request(shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][1]["limit"] = "90 menit"
    with pytest.raises(SopError) as indonesian:
        sop_from_mapping(raw, "custom.yaml")
    assert "jumlah waktu langkah 4 hari 9 jam" in str(indonesian.value)
    with pytest.raises(SopError) as english:
        sop_from_mapping(raw, "custom.yaml", lang="en")
    assert "the steps add up to 4 days 9 hours" in str(english.value)

    raw["steps"][2]["actor"] = "KEPALA"
    with pytest.raises(SopError, match="peran 'KEPALA' tidak dikenal; gunakan salah satu: ADMIN"):
        sop_from_mapping(raw, "custom.yaml")


def test_an_unreadable_sop_file_is_named_in_indonesian(tmp_path: Any) -> None:
    path = tmp_path / "sop.yaml"
    path.write_bytes(b"code: \xff\xfe\n")
    with pytest.raises(SopError, match="berkas tidak dapat dibaca") as info:
        load_sop(path)
    assert info.value.file == str(path)


# --- the transitions, checked as a whole (config check) -----------------------------------------


def _write(tmp_path: Any, raw: dict[str, Any]) -> Any:
    path = tmp_path / "sop.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Any, needle: str, after: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(needle)


def test_a_next_naming_no_step_is_refused_with_file_line_and_key(
    tmp_path: Any, shipped_raw: dict[str, Any]
) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][3]["commands"][1]["next"] = "terima_arahn"
    path = _write(tmp_path, raw)
    with pytest.raises(SopError) as info:
        load_sop(path)
    assert info.value.key == "steps[3].commands[1].next"
    assert info.value.line == _line_of(path, "next: terima_arahn")
    assert "langkah 'terima_arahn' tidak ada" in str(info.value)
    assert str(info.value).startswith(f"{path}:{info.value.line}: steps[3].commands[1].next: ")


def test_an_unreachable_step_is_named(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw.pop("stated_total")
    raw["steps"][1]["commands"][0]["next"] = "arahan_pimpinan"  # VALID skips the memo step
    with pytest.raises(SopError) as info:
        load_sop(_write(tmp_path, raw))
    assert info.value.key == "steps[2]"
    assert "'laporan_pimpinan' tidak dapat dicapai" in str(info.value)


def test_a_step_with_no_way_out_is_named(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    khusus = raw["steps"][6]["commands"][1]
    raw["steps"][6]["commands"] = [khusus]  # only KHUSUS (stay) is left at the drafting step
    with pytest.raises(SopError) as info:
        load_sop(_write(tmp_path, raw))
    assert info.value.key == "steps[6]"
    assert "tidak punya jalan keluar" in str(info.value)


def test_a_loop_that_never_closes_is_named(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][10]["commands"][0] = {"verb": "KIRIM", "next": "disposisi_jawaban"}
    with pytest.raises(SopError) as info:
        load_sop(_write(tmp_path, raw), lang="en")
    assert "can never be closed" in str(info.value)


def test_a_command_declared_twice_at_one_step_is_refused(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][3]["commands"].append({"verb": "setuju", "next": "terima_arahan"})
    path = _write(tmp_path, raw)
    with pytest.raises(SopError) as info:
        load_sop(path)
    assert info.value.key == "steps[3].commands[3].verb"
    assert "perintah SETUJU sudah dinyatakan pada langkah ini" in str(info.value)
    assert info.value.line == _line_of(path, "verb: setuju")


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda r: r["steps"][4].update(actor="BUPATI"), "steps[4].actor", "peran 'BUPATI' tidak dikenal"),
        (lambda r: r["roles"].pop("KABID"), "steps[6].actor", "'KABID' tidak dinyatakan di bagian roles"),
        (lambda r: r["steps"][7].update(cc=["CAMAT"]), "steps[7].cc[0]", "peran 'CAMAT' tidak dikenal"),
        (
            lambda r: r["steps"][1]["commands"][0].update(verb="TERIMA KASIH"),
            "steps[1].commands[0].verb",
            "perintah 'TERIMA KASIH' tidak dikenal",
        ),
        (
            lambda r: r["steps"][1]["commands"][0].update(close="rejected"),
            "steps[1].commands[0]",
            "tepat satu dari next, stay atau close",
        ),
        (
            lambda r: r["steps"][0].update(
                by_system=False,
                commands=[{"verb": "VALID", "next": "pemeriksaan"}],
                mail=r["steps"][1]["mail"],
                next=None,
            ),
            "steps[0].completion",
            "langkah pertama (registrasi) harus dilakukan sistem",
        ),
        (
            lambda r: r["steps"][7].update(completion="signed_letter", scope="case"),
            "steps[7].scope",
            "harus per OPD",
        ),
        (
            lambda r: r["steps"][4]["commands"][0].update(args="required"),
            "steps[4].commands[0].args",
            "perintah TERIMA tidak menerima argumen",
        ),
        (lambda r: r["steps"][2].update(letter="surat_cinta"), "steps[2].letter", "harus salah satu dari"),
    ],
)
def test_roles_commands_and_completion_are_checked(
    shipped_raw: dict[str, Any], change: Any, key: str, words: str
) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw.pop("stated_total")
    change(raw)
    with pytest.raises(SopError) as info:
        sop_from_mapping(raw, "custom.yaml")
    assert info.value.key == key
    assert words in str(info.value)


def test_the_shipped_regency_sop_is_valid_and_shorter() -> None:
    sop = load_sop(shipped_sop_path(REGENCY_SOP))
    assert len(sop.steps) == 8
    assert Role.SEKRETARIS not in {role for s in sop.steps for role in s.actors()}
    assert [s.key for s in sop.route_steps()] == ["disposisi_opd", "konsep_tanggapan", "tanda_tangan"]
    assert [s.key for s in sop.signature_steps()] == ["tanda_tangan"]
    assert sop.total() == BusinessDuration(days=11, minutes=180)
