"""The branches in the SOP file (issue 13): what the shipped files declare, and the checks of a
file that declares them wrongly (Indonesian errors with file, line and key)."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from mailflow.config.sop_file import REGENCY_SOP, load_sop, shipped_sop_path
from mailflow.domain.commands import Verb
from mailflow.domain.sop import Notify, Question, RouteEffect
from mailflow.errors import SopError
from tests.domain.test_sop import _line_of, _write


@pytest.fixture(scope="module")
def shipped_raw() -> dict[str, Any]:
    return yaml.safe_load(resources.files("mailflow.data").joinpath("sop_lapor_bontang.yaml").read_text())


def _fails(tmp_path: Any, raw: dict[str, Any]) -> SopError:
    path = _write(tmp_path, raw)
    with pytest.raises(SopError) as info:
        load_sop(path)
    return info.value


def test_shipped_sop_declares_the_branches() -> None:
    sop = load_sop()
    for key in ("terima_arahan", "disposisi_opd"):
        rule = sop.by_key(key).command(Verb.BUKAN_KEWENANGAN)
        assert rule is not None and rule.route is RouteEffect.RETURNED and rule.next == "arahan_pimpinan"
        assert sop.by_key(key).aliases() == {"TOLAK": Verb.BUKAN_KEWENANGAN}
    back = sop.by_key("disposisi_jawaban").command(Verb.KEMBALIKAN)
    assert back is not None and back.route is RouteEffect.REOPEN and back.next == "konsep_tanggapan"
    assert [s.key for s in sop.revision_steps()] == ["konsep_tanggapan"]
    assert sop.after_close is not None and sop.after_close.verbs() == (Verb.KIRIM, Verb.BUKA_KEMBALI)
    assert [s.key for s in sop.reopen_steps()] == ["pemeriksaan"]
    answers = {r.verb: (r.question, r.positive, r.notify) for r in sop.complainant_commands}
    assert answers == {
        Verb.PUAS: (Question.SATISFACTION, True, Notify.NEVER),
        Verb.TIDAK_PUAS: (Question.SATISFACTION, False, Notify.WITH_COMMENT),
        Verb.SUDAH: (Question.RESOLVED, True, Notify.NEVER),
        Verb.BELUM: (Question.RESOLVED, False, Notify.ALWAYS),
    }
    # TOLAK at step 2 still rejects the complaint: the alias is local to steps 5 and 6
    assert sop.by_key("pemeriksaan").aliases() == {}


def test_the_regency_sop_declares_its_branches_too() -> None:
    sop = load_sop(shipped_sop_path(REGENCY_SOP))
    assert any(rule.route is RouteEffect.RETURNED for step in sop.steps for rule in step.commands)
    assert sop.after_close is not None and sop.complainant_commands


def test_route_returned_must_lead_from_a_route_step_to_a_case_step(
    tmp_path: Any, shipped_raw: dict[str, Any]
) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][4]["commands"][1]["next"] = "disposisi_opd"  # a route step: that is no return
    error = _fails(tmp_path, raw)
    assert error.key == "steps[4].commands[1].route"
    assert "route: returned hanya pada langkah per OPD" in str(error)
    assert error.line == _line_of(_write(tmp_path, raw), "route: returned")


def test_route_reopen_must_go_back_to_an_earlier_route_step(
    tmp_path: Any, shipped_raw: dict[str, Any]
) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][9]["commands"][2]["next"] = "jawab_aduan"
    error = _fails(tmp_path, raw)
    assert error.key == "steps[9].commands[2].route" and "route: reopen" in str(error)


def test_an_alias_that_already_means_another_command_of_the_step_is_refused(
    tmp_path: Any, shipped_raw: dict[str, Any]
) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][4]["commands"][1]["aliases"] = ["TERIMA"]
    error = _fails(tmp_path, raw)
    assert error.key == "steps[4].commands[1].aliases[0]"
    assert "sudah berarti perintah lain" in str(error)


def test_after_close_needs_one_way_and_a_case_step(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["after_close"]["commands"][0]["next"] = "pemeriksaan"  # KIRIM with both
    error = _fails(tmp_path, raw)
    assert error.key == "after_close.commands[0]" and "tepat satu dari next atau to_complainant" in str(error)
    raw = copy.deepcopy(shipped_raw)
    raw["after_close"]["commands"][1]["next"] = "terima_arahan"
    error = _fails(tmp_path, raw)
    assert error.key == "after_close.commands[1].next" and "langkah aduan" in str(error)
    path = _write(tmp_path, raw)
    assert error.line == _line_of(path, "next: terima_arahan", after=_line_of(path, "after_close:"))


def test_complainant_answers_need_both_sides_of_a_question(
    tmp_path: Any, shipped_raw: dict[str, Any]
) -> None:
    raw = copy.deepcopy(shipped_raw)
    del raw["complainant"]["commands"][3]  # BELUM
    error = _fails(tmp_path, raw)
    assert error.key == "complainant" and "resolved" in str(error)
    raw = copy.deepcopy(shipped_raw)
    raw["complainant"]["commands"][0]["verb"] = "SETUJU"
    error = _fails(tmp_path, raw)
    assert error.key == "complainant.commands[0].verb" and "PUAS" in str(error)


def test_complainant_verbs_are_not_step_commands(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["steps"][1]["commands"][0]["verb"] = "PUAS"
    error = _fails(tmp_path, raw)
    assert error.key == "steps[1].commands[0].verb"


def test_an_unknown_top_level_key_is_refused(tmp_path: Any, shipped_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(shipped_raw)
    raw["aftre_close"] = raw.pop("after_close")
    error = _fails(tmp_path, raw)
    assert error.key == "aftre_close" and "kunci tidak dikenal" in str(error)
