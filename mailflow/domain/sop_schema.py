"""Read and check an SOP file's mapping (already parsed from YAML) into a Sop. Pure.

Every error is a SopError naming the source and the key path (`steps[6].commands[1].next`) in the
site's language; the config layer adds the line number. Besides the shape of each value, the
transitions are checked as a whole: every `next` names a step, every step can be reached from the
first, every step has a way out and can lead to a closed case, no command is declared twice at one
step, and the roles are ones the directory can resolve.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from typing import Any

from mailflow.domain.commands import ALIASES, Verb
from mailflow.domain.documents import DocumentKind
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.sop import (
    ALWAYS,
    ATTACHABLE,
    COMPLAINANT_VERBS,
    DEFAULT_NEED,
    LETTER_KINDS,
    VERB_ARGS,
    AfterClose,
    ArgKind,
    Close,
    CommandRule,
    ComplainantRule,
    Completion,
    Need,
    Notify,
    Question,
    Role,
    RouteEffect,
    Scope,
    Sop,
    Step,
    StepMail,
    Text,
    Track,
)
from mailflow.errors import SopError
from mailflow.i18n import translate

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STEP_KEYS = frozenset(
    {
        "number", "key", "name", "actor", "alternate_actors", "limit", "special_limit", "scope",
        "by_system", "completion", "fast_path", "output", "commands", "next", "letter", "attach",
        "cc", "mail", "show_suggestion",
    }
)  # fmt: skip
COMMAND_KEYS = frozenset(
    {"verb", "desc", "next", "stay", "close", "track", "args", "confirm", "route", "aliases"}
)
AFTER_CLOSE_KEYS = frozenset({"actors", "mail", "commands"})
AFTER_CLOSE_COMMAND_KEYS = frozenset({"verb", "desc", "next", "to_complainant", "args"})
COMPLAINANT_KEYS = frozenset({"commands"})
COMPLAINANT_COMMAND_KEYS = frozenset({"verb", "desc", "question", "positive", "notify"})
ROOT_KEYS = frozenset({"code", "title", "stated_total", "roles", "steps", "after_close", "complainant"})
_ALIAS = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)?$")
_CLOSE_WORDS = {"rejected": Close.REJECTED, "answered": Close.ANSWERED}


def sop_from_mapping(data: Any, source: str = "SOP", lang: str = "id") -> Sop:
    """Build and check a Sop; every error names `source` and the key path, in `lang`."""
    reader = _Reader(source, lang)
    root = reader.mapping(data, "")
    reader.unknown(root, ROOT_KEYS, "")
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
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise reader.fail(f"steps[{index}].key", "sop.err.keys_unique", step=key)
    stated = root.get("stated_total")
    stated_total = reader.duration(stated, "stated_total") if stated is not None else None
    after_close = reader.after_close(root["after_close"]) if root.get("after_close") is not None else None
    complainant = reader.complainant(root["complainant"]) if root.get("complainant") is not None else ()
    sop = Sop(
        code=code,
        title=title,
        steps=steps,
        role_names=role_names,
        stated_total=stated_total,
        after_close=after_close,
        complainant_commands=complainant,
    )
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
    check_transitions(sop, reader, set(role_names))
    return sop


def check_transitions(sop: Sop, reader: _Reader, declared_roles: set[Role]) -> None:
    """The checks that need all steps: names, roles, ways out, reachability, closing."""
    _check_names(sop, reader, declared_roles)
    _check_branches(sop, reader, declared_roles)
    if sop.first.completion is not Completion.SYSTEM:
        raise reader.fail("steps[0].completion", "sop.err.first_system")
    for i, step in enumerate(sop.steps):
        if not step.targets() and not any(rule.close for rule in step.commands):
            raise reader.fail(f"steps[{i}]", "sop.err.no_way_out", step=step.key)
    reached = _reachable(sop, sop.first.key)
    closing = _can_close(sop)
    for i, step in enumerate(sop.steps):
        if step.key not in reached:
            raise reader.fail(f"steps[{i}]", "sop.err.unreachable", step=step.key)
    for i, step in enumerate(sop.steps):
        if step.key not in closing:
            raise reader.fail(f"steps[{i}]", "sop.err.never_closes", step=step.key)


def _check_names(sop: Sop, reader: _Reader, declared_roles: set[Role]) -> None:
    """Every role is declared under `roles`, every `next` names a step."""
    keys = {step.key for step in sop.steps}
    for i, step in enumerate(sop.steps):
        path = f"steps[{i}]"
        for role_path, role in _roles_of(step, path):
            if declared_roles and role not in declared_roles:
                raise reader.fail(role_path, "sop.err.role_undeclared", value=role.value)
        if step.next is not None and step.next not in keys:
            raise reader.fail(f"{path}.next", "sop.err.unknown_step", value=step.next)
        for j, rule in enumerate(step.commands):
            if rule.next is not None and rule.next not in keys:
                raise reader.fail(f"{path}.commands[{j}].next", "sop.err.unknown_step", value=rule.next)


def _check_branches(sop: Sop, reader: _Reader, declared_roles: set[Role]) -> None:
    """`route: returned` leads from a route step to a case step, `route: reopen` from a case step
    back to an earlier route step; a step's aliases name no other verb of the step; after-close
    commands name steps and declared roles."""
    for i, step in enumerate(sop.steps):
        taken = {rule.verb.value for rule in step.commands}
        for j, rule in enumerate(step.commands):
            path = f"steps[{i}].commands[{j}]"
            if rule.route is not None:
                _check_route_effect(sop, reader, step, rule, path)
            for k, alias in enumerate(rule.aliases):
                word = alias.upper()
                other = ALIASES.get(word)
                if word in taken or (other is not None and other is not rule.verb and other.value in taken):
                    raise reader.fail(f"{path}.aliases[{k}]", "sop.err.alias_taken", value=alias)
                taken.add(word)
    after = sop.after_close
    if after is None:
        return
    keys = {step.key for step in sop.steps}
    for i, role in enumerate(after.actors):
        if declared_roles and role not in declared_roles:
            raise reader.fail(f"after_close.actors[{i}]", "sop.err.role_undeclared", value=role.value)
    for j, rule in enumerate(after.commands):
        if rule.next is not None and rule.next not in keys:
            raise reader.fail(f"after_close.commands[{j}].next", "sop.err.unknown_step", value=rule.next)
        if rule.next is not None and sop.by_key(rule.next).scope is not Scope.CASE:
            raise reader.fail(f"after_close.commands[{j}].next", "sop.err.reopen_case_step")


def _check_route_effect(sop: Sop, reader: _Reader, step: Step, rule: CommandRule, path: str) -> None:
    target = sop.by_key(rule.next) if rule.next in {s.key for s in sop.steps} else None
    if rule.route is RouteEffect.RETURNED:
        if step.scope is not Scope.ROUTE or target is None or target.scope is not Scope.CASE:
            raise reader.fail(f"{path}.route", "sop.err.route_returned", verb=rule.verb.value)
    elif step.scope is not Scope.CASE or target is None or target.scope is not Scope.ROUTE:
        raise reader.fail(f"{path}.route", "sop.err.route_reopen", verb=rule.verb.value)
    elif target.number > step.number:
        raise reader.fail(f"{path}.next", "sop.err.route_reopen_earlier", verb=rule.verb.value)


def _roles_of(step: Step, path: str) -> list[tuple[str, Role]]:
    found = [(f"{path}.actor", step.actor)]
    found += [(f"{path}.alternate_actors[{i}]", r) for i, r in enumerate(step.alternate_actors)]
    found += [(f"{path}.cc[{i}]", r) for i, r in enumerate(step.cc)]
    return found


def _reachable(sop: Sop, start: str) -> set[str]:
    seen, todo = {start}, deque([start])
    while todo:
        for target in sop.by_key(todo.popleft()).targets():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_close(sop: Sop) -> set[str]:
    """Keys of the steps from which some path ends the case."""
    closing = {s.key for s in sop.steps if any(rule.close for rule in s.commands)}
    changed = True
    while changed:
        changed = False
        for step in sop.steps:
            if step.key not in closing and any(t in closing for t in step.targets()):
                closing.add(step.key)
                changed = True
    return closing


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

    def roles(self, value: Any, path: str) -> tuple[Role, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(path, "sop.err.roles_list")
        return tuple(self.role(item, f"{path}[{i}]") for i, item in enumerate(value))

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

    def key(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _KEY.match(value):
            raise self.fail(path, "sop.err.key")
        return value

    def choice(self, value: Any, path: str, choices: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and value in choices:
            return choices[value]
        raise self.fail(path, "literal_error", expected=", ".join(choices))

    def letter(self, value: Any, path: str, allowed: tuple[DocumentKind, ...]) -> DocumentKind:
        return self.choice(value, path, {k.value: k for k in allowed})  # type: ignore[no-any-return]

    def unknown(self, data: Mapping[str, Any], known: frozenset[str], path: str) -> None:
        unknown = sorted(set(data) - known)
        if unknown:
            where = f"{path}.{unknown[0]}" if path else str(unknown[0])
            raise self.fail(where, "sop.err.unknown_key", keys=", ".join(sorted(known)))

    def step(self, raw: Any, path: str) -> Step:
        data = self.mapping(raw, path)
        self.unknown(data, STEP_KEYS, path)
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise self.fail(f"{path}.number", "sop.err.number")
        scope = self.choice(data.get("scope", "case"), f"{path}.scope", {s.value: s for s in Scope})
        completion = self._completion(data, path)
        limit = self.duration(data.get("limit"), f"{path}.limit")
        if limit.is_zero:
            raise self.fail(f"{path}.limit", "sop.err.zero_limit")
        special = data.get("special_limit")
        commands = self._commands(data.get("commands"), f"{path}.commands", completion)
        step = Step(
            number=number,
            key=self.key(data.get("key"), f"{path}.key"),
            name=self.text(data, "name", f"{path}.name"),
            actor=self.role(data.get("actor"), f"{path}.actor"),
            alternate_actors=self.roles(data.get("alternate_actors"), f"{path}.alternate_actors"),
            limit=limit,
            special_limit=self.duration(special, f"{path}.special_limit") if special is not None else None,
            scope=scope,
            completion=completion,
            fast_path=self.boolean(data, "fast_path", path),
            output=self.text(data, "output", f"{path}.output") if "output" in data else None,
            commands=commands,
            next=self.key(data["next"], f"{path}.next") if data.get("next") is not None else None,
            letter=self.letter(data["letter"], f"{path}.letter", LETTER_KINDS) if "letter" in data else None,
            attach=self._attach(data.get("attach"), f"{path}.attach"),
            cc=self.roles(data.get("cc"), f"{path}.cc"),
            mail=self._mail(data.get("mail"), f"{path}.mail") if "mail" in data else None,
            show_suggestion=self.boolean(data, "show_suggestion", path),
        )
        self._step_shape(step, path)
        return step

    def _completion(self, data: Mapping[str, Any], path: str) -> Completion:
        if "completion" in data:
            if "by_system" in data:
                raise self.fail(f"{path}.by_system", "sop.err.completion_twice")
            return self.choice(data["completion"], f"{path}.completion", {c.value: c for c in Completion})  # type: ignore[no-any-return]
        return Completion.SYSTEM if self.boolean(data, "by_system", path) else Completion.COMMAND

    def _step_shape(self, step: Step, path: str) -> None:
        if step.completion is Completion.COMMAND:
            if not step.commands:
                raise self.fail(f"{path}.commands", "sop.err.needs_commands")
            if step.next is not None:
                raise self.fail(f"{path}.next", "sop.err.next_on_command_step")
        else:
            if step.commands:
                raise self.fail(f"{path}.commands", "sop.err.commands_on_auto_step")
            if step.next is None and step.completion is Completion.SIGNED_LETTER:
                raise self.fail(f"{path}.next", "missing")
        if step.completion is Completion.SIGNED_LETTER and step.scope is not Scope.ROUTE:
            raise self.fail(f"{path}.scope", "sop.err.signature_route")
        if step.completion is not Completion.SYSTEM and step.mail is None:
            raise self.fail(f"{path}.mail", "missing")

    def _commands(self, value: Any, path: str, completion: Completion) -> tuple[CommandRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(path, "list_type")
        rules: list[CommandRule] = []
        for i, raw in enumerate(value):
            rule = self._command(raw, f"{path}[{i}]")
            if any(r.verb is rule.verb for r in rules):
                raise self.fail(f"{path}[{i}].verb", "sop.err.command_twice", verb=rule.verb.value)
            rules.append(rule)
        return tuple(rules)

    def _command(self, raw: Any, path: str) -> CommandRule:
        data = self.mapping(raw, path)
        self.unknown(data, COMMAND_KEYS, path)
        verb = self._verb(data, path)
        leads = [k for k in ("next", "stay", "close") if data.get(k) not in (None, False)]
        if len(leads) != 1:
            raise self.fail(path, "sop.err.one_way", verb=verb.value)
        route = (
            self.choice(data["route"], f"{path}.route", {e.value: e for e in RouteEffect})
            if data.get("route") is not None
            else None
        )
        if route is not None and "next" not in leads:
            raise self.fail(f"{path}.route", "sop.err.route_needs_next", verb=verb.value)
        close = self.choice(data["close"], f"{path}.close", _CLOSE_WORDS) if "close" in data else None
        track = (
            self.choice(data["track"], f"{path}.track", {t.value: t for t in Track})
            if "track" in data
            else None
        )
        need = self._need(data, verb, path)
        return CommandRule(
            verb=verb,
            desc=self.text(data, "desc", f"{path}.desc") if "desc" in data else None,
            next=self.key(data["next"], f"{path}.next") if data.get("next") is not None else None,
            stay=self.boolean(data, "stay", path),
            close=close,
            track=track,
            need=need,
            confirm=self.boolean(data, "confirm", path),
            route=route,
            aliases=self._aliases(data.get("aliases"), f"{path}.aliases"),
        )

    def _verb(self, data: Mapping[str, Any], path: str, allowed: tuple[Verb, ...] | None = None) -> Verb:
        word = " ".join(str(data.get("verb", "")).split()).upper()
        verb = ALIASES.get(word)
        choices = allowed or tuple(v for v in Verb if v not in ALWAYS and v not in COMPLAINANT_VERBS)
        if verb is None or verb.value != word or verb not in choices:
            raise self.fail(
                f"{path}.verb",
                "sop.err.verb",
                value=data.get("verb"),
                names=", ".join(v.value for v in choices),
            )
        return verb

    def _need(self, data: Mapping[str, Any], verb: Verb, path: str) -> Need:
        need = DEFAULT_NEED.get(verb, Need.OPTIONAL)
        if "args" in data:
            need = self.choice(data["args"], f"{path}.args", {n.value: n for n in Need})
            if VERB_ARGS.get(verb, ArgKind.NONE) is ArgKind.NONE and need is not Need.NONE:
                raise self.fail(f"{path}.args", "sop.err.no_args", verb=verb.value)
        return Need.NONE if VERB_ARGS.get(verb, ArgKind.NONE) is ArgKind.NONE else need

    def _aliases(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(path, "list_type")
        found: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not _ALIAS.match(item.strip()):
                raise self.fail(f"{path}[{i}]", "sop.err.alias")
            found.append(" ".join(item.split()).upper())
        return tuple(found)

    def after_close(self, raw: Any) -> AfterClose:
        path = "after_close"
        data = self.mapping(raw, path)
        self.unknown(data, AFTER_CLOSE_KEYS, path)
        actors = self.roles(data.get("actors"), f"{path}.actors")
        if not actors:
            raise self.fail(f"{path}.actors", "sop.err.roles_list")
        commands_raw = data.get("commands")
        if not isinstance(commands_raw, list) or not commands_raw:
            raise self.fail(f"{path}.commands", "list_type")
        rules: list[CommandRule] = []
        for i, item in enumerate(commands_raw):
            where = f"{path}.commands[{i}]"
            entry = self.mapping(item, where)
            self.unknown(entry, AFTER_CLOSE_COMMAND_KEYS, where)
            verb = self._verb(entry, where)
            if any(r.verb is verb for r in rules):
                raise self.fail(f"{where}.verb", "sop.err.command_twice", verb=verb.value)
            to_complainant = self.boolean(entry, "to_complainant", where)
            target = self.key(entry["next"], f"{where}.next") if entry.get("next") is not None else None
            if to_complainant == (target is not None):
                raise self.fail(where, "sop.err.after_close_one_way", verb=verb.value)
            rules.append(
                CommandRule(
                    verb=verb,
                    desc=self.text(entry, "desc", f"{where}.desc") if "desc" in entry else None,
                    next=target,
                    need=self._need(entry, verb, where),
                    to_complainant=to_complainant,
                )
            )
        mail = self._mail(data["mail"], f"{path}.mail") if "mail" in data else None
        return AfterClose(actors=actors, commands=tuple(rules), mail=mail)

    def complainant(self, raw: Any) -> tuple[ComplainantRule, ...]:
        path = "complainant"
        data = self.mapping(raw, path)
        self.unknown(data, COMPLAINANT_KEYS, path)
        commands_raw = data.get("commands")
        if not isinstance(commands_raw, list) or not commands_raw:
            raise self.fail(f"{path}.commands", "list_type")
        rules: list[ComplainantRule] = []
        for i, item in enumerate(commands_raw):
            where = f"{path}.commands[{i}]"
            entry = self.mapping(item, where)
            self.unknown(entry, COMPLAINANT_COMMAND_KEYS, where)
            verb = self._verb(entry, where, COMPLAINANT_VERBS)
            if any(r.verb is verb for r in rules):
                raise self.fail(f"{where}.verb", "sop.err.command_twice", verb=verb.value)
            question = self.choice(entry.get("question"), f"{where}.question", {q.value: q for q in Question})
            if not isinstance(entry.get("positive"), bool):
                raise self.fail(f"{where}.positive", "bool_type")
            rules.append(
                ComplainantRule(
                    verb=verb,
                    question=question,
                    positive=bool(entry["positive"]),
                    desc=self.text(entry, "desc", f"{where}.desc") if "desc" in entry else None,
                    notify=self.choice(
                        entry.get("notify", "never"), f"{where}.notify", {n.value: n for n in Notify}
                    ),
                )
            )
        for question in {r.question for r in rules}:
            answers = {r.positive for r in rules if r.question is question}
            if answers != {True, False}:
                raise self.fail(path, "sop.err.question_both", question=question.value)
        return tuple(rules)

    def _attach(self, value: Any, path: str) -> tuple[DocumentKind, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(path, "list_type")
        return tuple(self.letter(item, f"{path}[{i}]", ATTACHABLE) for i, item in enumerate(value))

    def _mail(self, value: Any, path: str) -> StepMail:
        data = self.mapping(value, path)
        self.unknown(data, frozenset({"subject", "ask"}), path)
        return StepMail(
            subject=self.text(data, "subject", f"{path}.subject"), ask=self.text(data, "ask", f"{path}.ask")
        )
