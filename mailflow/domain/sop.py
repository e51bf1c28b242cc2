"""The SOP as data: its steps, actors and limits, read from a plain mapping and validated.

The mapping comes from a YAML file (the shipped `mailflow/data/sop_lapor_bontang.yaml`, or one the
config names); reading the file is the caller's job, so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mailflow.domain.durations import BusinessDuration
from mailflow.errors import SopError
from mailflow.i18n import translate


class Role(StrEnum):
    ADMIN = "ADMIN"
    IKP = "IKP"
    PIMPINAN = "PIMPINAN"
    SEKRETARIS = "SEKRETARIS"
    KEPALA_OPD = "KEPALA_OPD"
    KABID = "KABID"

    @property
    def is_opd_role(self) -> bool:
        return self in (Role.SEKRETARIS, Role.KEPALA_OPD, Role.KABID)


class Scope(StrEnum):
    CASE = "case"  # once per complaint
    ROUTE = "route"  # once per OPD the complaint is sent to (steps 5-9)


class Track(StrEnum):
    NORMAL = "normal"
    SPECIAL = "special"  # field review / cross-sector: step 7 within 14 days


@dataclass(frozen=True)
class Text:
    """A user-facing text in Indonesian and English."""

    id: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    name: Text
    actor: Role
    limit: BusinessDuration
    scope: Scope = Scope.CASE
    by_system: bool = False
    special_limit: BusinessDuration | None = None
    alternate_actors: tuple[Role, ...] = ()
    fast_path: bool = False
    output: Text | None = None

    def limit_for(self, track: Track) -> BusinessDuration:
        if track is Track.SPECIAL and self.special_limit is not None:
            return self.special_limit
        return self.limit

    def actors(self) -> tuple[Role, ...]:
        return (self.actor, *self.alternate_actors)


@dataclass(frozen=True)
class Sop:
    code: str
    title: Text
    steps: tuple[Step, ...]
    role_names: Mapping[Role, Text]
    stated_total: BusinessDuration | None = None

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(number)

    def total(self, track: Track = Track.NORMAL) -> BusinessDuration:
        result = BusinessDuration()
        for step in self.steps:
            result = result + step.limit_for(track)
        return result

    def route_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.scope is Scope.ROUTE)

    def role_name(self, role: Role, lang: str = "id") -> str:
        text = self.role_names.get(role)
        return text.get(lang) if text else role.value


def sop_from_mapping(data: Any, source: str = "SOP", lang: str = "id") -> Sop:
    """Build and validate a Sop; every error names `source` and the key path, in `lang`."""
    reader = _Reader(source, lang)
    root = reader.mapping(data, "")
    code = reader.string(root, "code")
    title = reader.text(root, "title")
    roles_raw = reader.mapping(root.get("roles", {}), "roles")
    role_names: dict[Role, Text] = {}
    for key, value in roles_raw.items():
        role = reader.role(key, f"roles.{key}")
        role_names[role] = reader.text({"_": value}, "_", path=f"roles.{key}")
    steps_raw = root.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise reader.fail("steps", "sop.err.steps_list")
    steps = tuple(reader.step(raw, f"steps[{i}]") for i, raw in enumerate(steps_raw))
    numbers = [s.number for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise reader.fail("steps", "sop.err.numbers", count=len(steps), found=numbers)
    keys = [s.key for s in steps]
    if len(set(keys)) != len(keys):
        raise reader.fail("steps", "sop.err.keys_unique")
    stated = root.get("stated_total")
    stated_total = reader.duration(stated, "stated_total") if stated is not None else None
    sop = Sop(code=code, title=title, steps=steps, role_names=role_names, stated_total=stated_total)
    if stated_total is not None and sop.total() != stated_total:
        raise reader.fail(
            "stated_total",
            "sop.err.total",
            total=sop.total().format(lang),
            stated=stated_total.format(lang),
        )
    route = [s.number for s in steps if s.scope is Scope.ROUTE]
    if route and route != list(range(route[0], route[-1] + 1)):
        raise reader.fail("steps", "sop.err.route_consecutive")
    return sop


class _Reader:
    """Small typed accessors that raise SopError with the path of the bad value."""

    def __init__(self, source: str, lang: str) -> None:
        self.source = source
        self.lang = lang

    def fail(self, key: str, message_key: str, **values: Any) -> SopError:
        return SopError(translate(message_key, self.lang, **values), file=self.source, key=key or None)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, "dict_type")
        return value

    def string(self, data: Mapping[str, Any], key: str, path: str | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path or key, "sop.err.text")
        return value.strip()

    def text(self, data: Mapping[str, Any], key: str, path: str | None = None) -> Text:
        where = path or key
        value = self.mapping(data.get(key), where)
        return Text(id=self.string(value, "id", f"{where}.id"), en=self.string(value, "en", f"{where}.en"))

    def role(self, value: Any, path: str) -> Role:
        try:
            return Role(str(value).strip().upper())
        except ValueError:
            names = ", ".join(r.value for r in Role)
            raise self.fail(path, "sop.err.role", value=value, names=names) from None

    def duration(self, value: Any, path: str) -> BusinessDuration:
        if not isinstance(value, str):
            raise self.fail(path, "sop.err.duration_type")
        try:
            return BusinessDuration.parse(value)
        except ValueError as exc:
            raise self.fail(path, "sop.err.duration", error=exc) from None

    def boolean(self, data: Mapping[str, Any], key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "bool_type")
        return value

    def step(self, raw: Any, path: str) -> Step:
        known = {
            "number", "key", "name", "actor", "alternate_actors", "limit", "special_limit",
            "scope", "by_system", "fast_path", "output",
        }  # fmt: skip
        data = self.mapping(raw, path)
        unknown = sorted(set(data) - known)
        if unknown:
            raise self.fail(f"{path}.{unknown[0]}", "sop.err.unknown_key", keys=", ".join(sorted(known)))
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise self.fail(f"{path}.number", "sop.err.number")
        scope_raw = data.get("scope", "case")
        try:
            scope = Scope(scope_raw)
        except ValueError:
            raise self.fail(f"{path}.scope", "sop.err.scope") from None
        alternates = data.get("alternate_actors", [])
        if not isinstance(alternates, list):
            raise self.fail(f"{path}.alternate_actors", "sop.err.roles_list")
        special = data.get("special_limit")
        limit = self.duration(data.get("limit"), f"{path}.limit")
        if limit.is_zero:
            raise self.fail(f"{path}.limit", "sop.err.zero_limit")
        return Step(
            number=number,
            key=self.string(data, "key", f"{path}.key"),
            name=self.text(data, "name", f"{path}.name"),
            actor=self.role(data.get("actor"), f"{path}.actor"),
            alternate_actors=tuple(
                self.role(a, f"{path}.alternate_actors[{i}]") for i, a in enumerate(alternates)
            ),
            limit=limit,
            special_limit=(self.duration(special, f"{path}.special_limit") if special is not None else None),
            scope=scope,
            by_system=self.boolean(data, "by_system", path),
            fast_path=self.boolean(data, "fast_path", path),
            output=self.text(data, "output", f"{path}.output") if "output" in data else None,
        )
