"""The starter directory and the rules a directory must follow."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from mailflow.domain.directory import Directory, normalise
from mailflow.domain.sop import Role
from mailflow.resources import starter


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(starter("directory.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def directory(raw: dict[str, Any]) -> Directory:
    return Directory.model_validate(raw)


def test_starter_directory_is_bontang_under_the_official_domain(directory: Directory) -> None:
    assert directory.government == "PEMERINTAH KOTA BONTANG"
    assert len(directory.opds) >= 6
    for person in directory.people:
        assert person.email.endswith("@bontangkota.go.id"), person.id


def test_role_holders(directory: Directory) -> None:
    assert directory.holders(Role.PIMPINAN)[0].id == "kadis_kominfo"
    assert directory.holders(Role.IKP)[0].id == "kabid_ikp"
    assert {p.id for p in directory.holders(Role.ADMIN)} == {"admin_lapor", "admin_lapor2"}
    assert directory.holders(Role.SEKRETARIS, "DISHUB")[0].id == "sekretaris_dishub"
    assert directory.holders(Role.KEPALA_OPD, "DISHUB")[0].id == "kadis_dishub"
    assert directory.holders(Role.KABID, "DISHUB", "PJU")[0].id == "kabid_pju_dishub"
    assert len(directory.holders(Role.KABID, "DISHUB")) == 2


def test_find_opd_and_bidang_by_code_name_or_alias(directory: Directory) -> None:
    assert directory.find_opd("dishub").code == "DISHUB"  # type: ignore[union-attr]
    assert directory.find_opd("Dinas Perhubungan").code == "DISHUB"  # type: ignore[union-attr]
    assert directory.find_opd("satpol-pp").code == "SATPOLPP"  # type: ignore[union-attr]
    assert directory.find_opd("Dinas Kehutanan") is None  # forestry is the province's, not the city's
    opd = directory.opd("DISHUB")
    assert opd.find_bidang("pju").code == "PJU"  # type: ignore[union-attr]
    assert opd.find_bidang("Lampu Jalan").code == "PJU"  # type: ignore[union-attr]
    assert opd.find_bidang("keuangan") is None


def test_delegates_and_superiors(directory: Directory) -> None:
    kadis = directory.person("kadis_kominfo")
    sekdis = directory.person("sekdis_kominfo")
    assert directory.may_act_for(sekdis, kadis)
    assert not directory.may_act_for(kadis, sekdis)
    chain = [p.id for p in directory.superior_chain(directory.person("admin_lapor"))]
    assert chain == ["kabid_ikp", "kadis_kominfo", "sekda"]


def test_person_by_email_ignores_case(directory: Directory) -> None:
    assert directory.person_by_email("KADIS.Dishub@BontangKota.go.id").id == "kadis_dishub"  # type: ignore[union-attr]
    assert directory.person_by_email("someone@gmail.com") is None


def test_normalise() -> None:
    assert normalise("Dinas P.U.") == "dinaspu"
    assert normalise("Satpol-PP ") == "satpolpp"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r["opds"][0].update(kepala="nobody"), "unknown person id 'nobody'"),
        (lambda r: r["people"][1].update(email="not-an-address"), "email"),
        (lambda r: r["people"].append(dict(r["people"][1])), "used twice"),
        (lambda r: r["opds"].append(copy.deepcopy(r["opds"][0])), "used twice"),
        (lambda r: r["people"][2].update(email=r["people"][1]["email"]), "belongs to both"),
        (lambda r: r["opds"][0].update(code="dinas pu"), "capital letters"),
        (lambda r: r["opds"][0].update(bidang=[]), "at least 1"),
    ],
)
def test_invalid_directories_are_refused(raw: dict[str, Any], change: Any, fragment: str) -> None:
    broken = copy.deepcopy(raw)
    change(broken)
    with pytest.raises(ValidationError) as info:
        Directory.model_validate(broken)
    assert fragment in str(info.value)
