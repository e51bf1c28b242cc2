"""Read and validate `inbox_rules/*.yaml` into domain Rules; errors name file, rule, field and line.

A file holds `rules:`, a list of rules, and may hold the scored OPD topics (`scoring:`,
`ignore:`, `field_review:`, `topics:`, see inbox_rules/README.md); the topics of all files make
one Scorer, given to every rule that says `classify: true`:

    rules:
      - name: lapor-portal                 # unique across all files
        description: Notifikasi SP4N-LAPOR!
        automated: true                    # may take machine mail (bulk, auto-generated)
        match:                             # all must hold; text is compared ignoring case
          from: {contains: "@lapor.go.id"} # exact / contains / regex; a value or a list (any of)
          subject: "laporan baru"          # a plain text means contains
          headers: {List-Id: {regex: ".+"}}
        unless: {subject: "uji coba"}      # none of these may hold
        reply: false                       # require (true) / forbid (false) reply signals
        action: complaint                  # complaint / reply / ignore / quarantine
        complaint: {category: Infrastruktur, opd: [DPUPR], track: normal,
                    confidentiality: biasa, channel: lapor, acknowledge: false,
                    fields: {"Nama Lengkap": name, "Nomor WA": phone}}  # a site's form labels
        classify: false                    # true: category and OPD from the scored topics
        continue: false                    # true: keep these settings and try the next rules
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailflow.config.errors import to_config_error
from mailflow.config.locate import yaml_line
from mailflow.config.yaml_file import read_yaml
from mailflow.domain.classify import Scorer, ScoringSettings, Term, Topic
from mailflow.domain.rules import (
    FIELDS,
    Action,
    ComplaintSettings,
    Condition,
    MatchKind,
    Pattern,
    Rule,
)
from mailflow.errors import ConfigError
from mailflow.i18n import language_from_env, translate

Texts = str | list[str]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PatternSpec(_Spec):
    exact: Texts | None = None
    contains: Texts | None = None
    regex: Texts | None = None

    @model_validator(mode="after")
    def _one(self) -> PatternSpec:
        if not (self.exact or self.contains or self.regex):
            raise ValueError(translate("ingest.rules.err.pattern", language_from_env()))
        return self


ConditionSpec = str | list[str] | PatternSpec


class MatchSpec(_Spec):
    mailbox: ConditionSpec | None = None
    from_: ConditionSpec | None = Field(None, alias="from")
    to: ConditionSpec | None = None
    subject: ConditionSpec | None = None
    body: ConditionSpec | None = None
    attachment_type: ConditionSpec | None = None
    headers: dict[str, ConditionSpec] = Field(default_factory=dict)


class ComplaintSpec(_Spec):
    category: str | None = None
    opd: Texts | None = None
    track: Literal["normal", "special"] | None = None
    confidentiality: Literal["biasa", "rahasia", "anonim"] | None = None
    channel: str | None = None
    acknowledge: bool | None = None
    fields: dict[str, Literal["name", "email", "phone", "address"]] | None = None


class RuleSpec(_Spec):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    match: MatchSpec = Field(default_factory=MatchSpec)
    unless: MatchSpec | None = None
    reply: bool | None = None
    automated: bool = False
    action: Literal["complaint", "reply", "ignore", "quarantine"] | None = None
    complaint: ComplaintSpec | None = None
    reason: str | None = None
    classify: bool = False
    continue_: bool = Field(False, alias="continue")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", value):
            raise ValueError(translate("ingest.rules.err.name", language_from_env()))
        return value

    @model_validator(mode="after")
    def _coherent(self) -> RuleSpec:
        if self.action is None and not self.continue_:
            raise ValueError(translate("ingest.rules.err.action", language_from_env()))
        if (self.complaint is not None or self.classify) and self.action not in (None, "complaint"):
            raise ValueError(translate("ingest.rules.err.settings", language_from_env(), action=self.action))
        return self


Weights = dict[str, float]


class ScoringSpec(_Spec):
    min_score: float = Field(3.0, gt=0)
    margin: float = Field(0.3, gt=0, le=1)
    secondary_weight: float = Field(4.0, ge=0)
    max_opds: int = Field(3, ge=1, le=10)
    repeat_bonus: float = Field(0.25, ge=0)
    subject_bonus: float = Field(0.5, ge=0)
    place_weight: float = Field(2.0, ge=0)
    location_factor: float = Field(0.25, ge=0, le=1)
    field_review_min: float = Field(3.0, gt=0)
    field_review_multi_opd: float = Field(1.5, ge=0)


class TopicSpec(_Spec):
    opd: str = Field(min_length=1)
    category: str = Field(min_length=1, max_length=200)
    terms: Weights
    places: list[str] = Field(default_factory=list)
    group: str | None = None


class RulesFileSpec(_Spec):
    rules: list[RuleSpec] = Field(default_factory=list)
    scoring: ScoringSpec | None = None
    ignore: list[str] = Field(default_factory=list)
    field_review: Weights = Field(default_factory=dict)
    topics: list[TopicSpec] = Field(default_factory=list)


def rule_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")], key=lambda p: p.name)


def load_rules(folder: Path, *, known_opds: Collection[str] | None = None, lang: str = "id") -> list[Rule]:
    """Every rule of every file in `folder`, in order; ConfigError on the first mistake."""
    files = rule_files(folder)
    if not files:
        raise ConfigError(
            translate("ingest.rules.err.no_files", lang, folder=folder), key="paths.inbox_rules"
        )
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    parts = _ScorerParts()
    classify_at: tuple[Path, str, int | None] | None = None
    for path in files:
        loaded, spec, text = _load_file(path, known_opds=known_opds, lang=lang)
        parts.add(path, spec, text, known_opds, lang)
        for rule, line in loaded:
            if rule.name in seen:
                raise ConfigError(
                    translate("ingest.rules.err.twice", lang, name=rule.name, other=seen[rule.name]),
                    file=str(path),
                    key=f"rule {rule.name!r}.name",
                    line=line,
                )
            seen[rule.name] = path.name
            if rule.scorer is not None and classify_at is None:
                classify_at = (path, rule.name, line)
            rules.append(rule)
    if classify_at is None:
        return rules
    if not parts.topics:
        path, name, line = classify_at
        raise ConfigError(
            translate("ingest.rules.err.no_topics", lang),
            file=str(path),
            key=f"rule {name!r}.classify",
            line=line,
        )
    scorer = parts.scorer()
    return [replace(rule, scorer=scorer) if rule.scorer is not None else rule for rule in rules]


def load_scorer(folder: Path, *, known_opds: Collection[str] | None = None, lang: str = "id") -> Scorer:
    """The scored topics of the rule files in `folder` alone (benchmarks, `rules check`)."""
    parts = _ScorerParts()
    for path in rule_files(folder):
        _, spec, text = _load_file(path, known_opds=known_opds, lang=lang)
        parts.add(path, spec, text, known_opds, lang)
    return parts.scorer()


def load_rule_file(
    path: Path, *, known_opds: Collection[str] | None = None, lang: str = "id"
) -> list[tuple[Rule, int | None]]:
    return _load_file(path, known_opds=known_opds, lang=lang)[0]


def _load_file(
    path: Path, *, known_opds: Collection[str] | None, lang: str
) -> tuple[list[tuple[Rule, int | None]], RulesFileSpec, str]:
    text, raw = read_yaml(path, ConfigError, lang)
    raw = raw if raw is not None else {}
    try:
        spec = RulesFileSpec.model_validate(raw)
    except ValidationError as exc:
        error = to_config_error(exc, RulesFileSpec, file=path, text=text, line_of=yaml_line, lang=lang)
        loc = exc.errors(include_url=False)[0]["loc"]
        raise _with_rule_name(error, raw, loc) from None
    out: list[tuple[Rule, int | None]] = []
    for index, item in enumerate(spec.rules):
        line = yaml_line(text, ("rules", index))
        out.append((_to_rule(item, path, text, index, known_opds, lang), line))
    return out, spec, text


class _ScorerParts:
    """Topics, ignore phrases, field-review terms and settings gathered over the files."""

    def __init__(self) -> None:
        self.topics: list[Topic] = []
        self.ignore: list[str] = []
        self.field_review: list[Term] = []
        self.settings: ScoringSettings | None = None
        self.skipped: list[str] = []

    def add(
        self, path: Path, spec: RulesFileSpec, text: str, known_opds: Collection[str] | None, lang: str
    ) -> None:
        known = {code.upper() for code in known_opds} if known_opds is not None else None
        for index, topic in enumerate(spec.topics):
            code = topic.opd.upper()
            if known is not None and code not in known:
                # the shipped topics cover every Perangkat Daerah; a directory may list fewer.
                # Never suggest an OPD the directory lacks; `rules check` names the skipped ones.
                self.skipped.append(code)
                continue
            terms = _terms(topic.terms, path, text, ("topics", index, "terms"), lang)
            places = tuple(Term.of(p, 0.0) for p in topic.places if p.strip())
            self.topics.append(Topic(code, topic.category, terms, places, topic.group))
        self.ignore.extend(p for p in spec.ignore if p.strip())
        self.field_review.extend(_terms(spec.field_review, path, text, ("field_review",), lang))
        if spec.scoring is not None:
            self.settings = ScoringSettings(**spec.scoring.model_dump())

    def scorer(self) -> Scorer:
        return Scorer(
            self.topics,
            ignore=self.ignore,
            field_review=self.field_review,
            settings=self.settings,
            skipped=tuple(dict.fromkeys(self.skipped)),
        )


def _terms(
    weights: Weights, path: Path, text: str, where: tuple[str | int, ...], lang: str
) -> tuple[Term, ...]:
    out: list[Term] = []
    for phrase, weight in weights.items():
        term = Term.of(phrase, weight)
        if not term.words:
            raise ConfigError(
                translate("ingest.rules.err.empty", lang),
                file=str(path),
                key="".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*where, phrase)).lstrip(
                    "."
                ),
                line=yaml_line(text, (*where, phrase)),
            )
        out.append(term)
    return tuple(out)


def _with_rule_name(error: ConfigError, raw: Any, loc: tuple[Any, ...]) -> ConfigError:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(raw, dict):
        items = raw.get("rules")
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            name = items[loc[1]].get("name")
            if name:
                key = f"rule {name!r}: {error.key}" if error.key else f"rule {name!r}"
                return ConfigError(error.message, file=error.file, key=key, line=error.line)
    return error


def _to_rule(
    spec: RuleSpec, path: Path, text: str, index: int, known_opds: Collection[str] | None, lang: str
) -> Rule:
    def fail(field: tuple[str | int, ...], message: str) -> ConfigError:
        return ConfigError(
            message,
            file=str(path),
            key=f"rule {spec.name!r}: " + ".".join(str(p) for p in field),
            line=yaml_line(text, ("rules", index, *field)),
        )

    match = _conditions(spec.match, ("match",), fail, lang)
    unless = _conditions(spec.unless, ("unless",), fail, lang) if spec.unless else ()
    settings = ComplaintSettings()
    if spec.complaint is not None:
        opds = _texts(spec.complaint.opd)
        if known_opds is not None:
            known = {code.upper() for code in known_opds}
            for code in opds:
                if code.upper() not in known:
                    known_text = ", ".join(sorted(known))
                    message = translate("ingest.rules.err.opd", lang, code=code, known=known_text)
                    raise fail(("complaint", "opd"), message)
        settings = ComplaintSettings(
            category=spec.complaint.category,
            opds=tuple(code.upper() for code in opds),
            track=spec.complaint.track,
            confidentiality=spec.complaint.confidentiality,
            channel=spec.complaint.channel,
            acknowledge=spec.complaint.acknowledge,
            fields=tuple((spec.complaint.fields or {}).items()),
        )
    return Rule(
        name=spec.name,
        source=path.name,
        description=spec.description,
        match=match,
        unless=unless,
        reply=spec.reply,
        automated=spec.automated,
        action=Action(spec.action) if spec.action else None,
        settings=settings,
        continue_=spec.continue_,
        reason=spec.reason,
        scorer=_PENDING if spec.classify else None,
    )


_PENDING = Scorer(())  # placeholder until every file's topics are read (load_rules replaces it)


def _conditions(spec: MatchSpec, prefix: tuple[str, ...], fail: Any, lang: str) -> tuple[Condition, ...]:
    out: list[Condition] = []
    values = {
        "mailbox": spec.mailbox,
        "from": spec.from_,
        "to": spec.to,
        "subject": spec.subject,
        "body": spec.body,
        "attachment_type": spec.attachment_type,
    }
    for name in FIELDS:
        value = values[name]
        if value is not None:
            out.append(Condition(name, _patterns(value, (*prefix, name), fail, lang)))
    for header, value in spec.headers.items():
        out.append(
            Condition(f"header:{header.lower()}", _patterns(value, (*prefix, "headers", header), fail, lang))
        )
    return tuple(out)


def _patterns(value: Any, where: tuple[str, ...], fail: Any, lang: str) -> tuple[Pattern, ...]:
    if isinstance(value, PatternSpec):
        pairs = [
            (MatchKind.EXACT, value.exact),
            (MatchKind.CONTAINS, value.contains),
            (MatchKind.REGEX, value.regex),
        ]
    else:
        pairs = [(MatchKind.CONTAINS, value)]
    patterns: list[Pattern] = []
    for kind, texts in pairs:
        for text in _texts(texts):
            if not text.strip():
                raise fail(where, translate("ingest.rules.err.empty", lang))
            try:
                patterns.append(Pattern.make(kind, text))
            except re.error as exc:
                raise fail(
                    where, translate("ingest.rules.err.regex", lang, pattern=text, error=exc)
                ) from None
    return tuple(patterns)


def _texts(value: Texts | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
