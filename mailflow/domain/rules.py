"""Inbox rules: ordered conditions on a mail, an action, and why a rule matched (pure).

A rule matches when every `match` condition holds and no `unless` condition holds. Rules are
tried in order (files by name, rules as written); the first matching rule decides, unless it
says `continue`: then its complaint settings are kept (the first rule that sets a value wins)
and its action, if it has one, becomes the fallback should no later rule decide.

Text comparisons ignore case. A condition's patterns are alternatives (any may match); a field
with several values (recipients, attachment types, a repeated header) matches when any does.
`config/rules_file.py` reads the YAML into these objects.

A rule with a scorer (`classify: true`) sets the category, the suggested OPDs and the
field-review hint from the scored topics (`domain/classify.py`) when it matches, and the
Decision keeps the scores.

Nothing that looks like a complaint is silently dropped: a mail from a web form (a machine
sender with the citizen in Reply-To, or a form block in the body, `complaint.looks_like_complaint`)
is not taken by `ignore` rules (the trace says which rule it escaped) and is not kept from rules
by being machine-sent; if no other rule decides, it is a complaint (rule `LOOKS_LIKE_COMPLAINT`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from mailflow.domain.classify import Classification, Scorer
from mailflow.domain.complaint import looks_like_complaint
from mailflow.domain.inbound import InboundMail
from mailflow.domain.reply_signals import ReplySignal

BODY_LIMIT = 200_000  # characters of body a regex sees; bounds the work of an admin's pattern
FIELDS = ("mailbox", "from", "to", "subject", "body", "attachment_type")
LOOKS_LIKE_COMPLAINT = "looks-like-complaint"  # the rule name of a form mail no rule took


class MatchKind(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


class Action(StrEnum):
    COMPLAINT = "complaint"
    REPLY = "reply"
    IGNORE = "ignore"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Pattern:
    kind: MatchKind
    value: str
    compiled: re.Pattern[str] | None = None

    @classmethod
    def make(cls, kind: MatchKind, value: str) -> Pattern:
        """Raises re.error for a bad regex (the loader turns it into a located ConfigError)."""
        compiled = re.compile(value, re.IGNORECASE | re.MULTILINE) if kind is MatchKind.REGEX else None
        return cls(kind, value, compiled)

    def find(self, candidate: str) -> str | None:
        """The matched text, or None."""
        if self.kind is MatchKind.EXACT:
            return candidate if candidate.strip().casefold() == self.value.strip().casefold() else None
        if self.kind is MatchKind.CONTAINS:
            index = candidate.casefold().find(self.value.casefold())
            return candidate[index : index + len(self.value)] if index >= 0 else None
        assert self.compiled is not None
        found = self.compiled.search(candidate)
        return found.group(0) if found else None

    def describe(self) -> str:
        return f"{self.kind.value} {self.value!r}"


@dataclass(frozen=True)
class Condition:
    """`field` is one of FIELDS or "header:<name>"; it holds when any pattern finds any value."""

    field: str
    patterns: tuple[Pattern, ...]

    def check(self, facts: MailFacts) -> str | None:
        """Why it holds ("subject contains 'aduan' ('Aduan')"), or None when it does not."""
        for value in facts.values(self.field):
            for pattern in self.patterns:
                hit = pattern.find(value)
                if hit is not None:
                    return f"{self.field} {pattern.describe()} ({_short(hit)!r})"
        return None


@dataclass(frozen=True)
class ComplaintSettings:
    """What a `complaint` rule says about the new case; None/empty means "not set here"."""

    category: str | None = None
    opds: tuple[str, ...] = ()
    track: str | None = None  # normal / special
    confidentiality: str | None = None  # biasa / rahasia / anonim
    channel: str | None = None  # email / lapor / ...
    acknowledge: bool | None = None
    field_review: bool | None = None  # a hint for the 14-day track (scored rules)
    fields: tuple[tuple[str, str], ...] = ()  # a site's form labels: (label, name/email/phone/address)

    def fill(self, other: ComplaintSettings) -> ComplaintSettings:
        """Values set here stay; unset ones are taken from `other`."""
        return replace(
            self,
            category=self.category or other.category,
            opds=self.opds or other.opds,
            track=self.track or other.track,
            confidentiality=self.confidentiality or other.confidentiality,
            channel=self.channel or other.channel,
            acknowledge=self.acknowledge if self.acknowledge is not None else other.acknowledge,
            field_review=self.field_review if self.field_review is not None else other.field_review,
            fields=self.fields or other.fields,
        )


@dataclass(frozen=True)
class Rule:
    name: str
    source: str = ""
    description: str = ""
    match: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    reply: bool | None = None  # require (True) or forbid (False) reply signals
    automated: bool = False  # may this rule take machine mail (bulk, notifications)?
    action: Action | None = None
    settings: ComplaintSettings = field(default_factory=ComplaintSettings)
    continue_: bool = False
    reason: str | None = None  # shown for ignore/quarantine
    scorer: Scorer | None = None  # `classify: true`: settings from the scored topics

    def scored(self, facts: MailFacts) -> tuple[ComplaintSettings, Classification | None]:
        """This rule's settings, with those of the scored topics when it classifies."""
        if self.scorer is None:
            return self.settings, None
        found = self.scorer.classify(facts.subject, facts.body)
        derived = ComplaintSettings(
            category=found.category, opds=found.opds, field_review=found.field_review or None
        )
        return self.settings.fill(derived), found

    def explain(self, facts: MailFacts) -> tuple[bool, tuple[str, ...]]:
        """(matches, the reasons): each condition that held, or the first one that did not."""
        if facts.automated and not self.automated:
            return False, ("automated mail; this rule does not take it (automated: false)",)
        why: list[str] = []
        if self.reply is not None:
            signals = facts.reply_signals
            if self.reply and not signals:
                return False, ("no reply signal (token address, In-Reply-To, subject tag)",)
            if not self.reply and signals:
                return False, (f"is a reply ({signals[0].describe()})",)
            why.append("reply: " + ", ".join(s.describe() for s in signals) if signals else "not a reply")
        for condition in self.match:
            held = condition.check(facts)
            if held is None:
                patterns = " or ".join(p.describe() for p in condition.patterns)
                return False, (f"{condition.field} does not match {patterns}",)
            why.append(held)
        for condition in self.unless:
            held = condition.check(facts)
            if held is not None:
                return False, (f"unless: {held}",)
        if not why:
            why.append("no conditions (matches every mail)")
        return True, tuple(why)


@dataclass(frozen=True)
class MailFacts:
    """What rules look at, taken from one mail and the mailbox it came from."""

    mailbox: str
    from_values: tuple[str, ...]
    to: tuple[str, ...]
    subject: str
    body: str
    attachment_types: tuple[str, ...]
    headers: Mapping[str, tuple[str, ...]]
    reply_signals: tuple[ReplySignal, ...] = ()
    automated: bool = False
    mail: InboundMail | None = None  # what the facts were taken from (the web-form check reads it)

    @classmethod
    def of(
        cls,
        mail: InboundMail,
        mailbox: str,
        reply_signals: tuple[ReplySignal, ...] = (),
        automated: bool = False,
    ) -> MailFacts:
        from_values = tuple(v for v in (mail.from_display, mail.from_addr or "", mail.from_name or "") if v)
        types: list[str] = []
        for attachment in mail.attachments:
            types.append(attachment.content_type)
            if attachment.extension:
                types.append(attachment.extension)
        return cls(
            mailbox=mailbox,
            from_values=from_values,
            to=mail.recipients,
            subject=mail.subject,
            body=mail.text[:BODY_LIMIT],
            attachment_types=tuple(types),
            headers=mail.headers,
            reply_signals=reply_signals,
            automated=automated,
            mail=mail,
        )

    def values(self, name: str) -> tuple[str, ...]:
        if name.startswith("header:"):
            return self.headers.get(name.split(":", 1)[1].lower(), ())
        return {
            "mailbox": (self.mailbox,),
            "from": self.from_values,
            "to": self.to,
            "subject": (self.subject,),
            "body": (self.body,),
            "attachment_type": self.attachment_types,
        }.get(name, ())


@dataclass(frozen=True)
class RuleTrace:
    rule: str
    source: str
    matched: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """The outcome: `action` None when no rule decided (the caller quarantines the mail)."""

    action: Action | None
    rule: str | None
    settings: ComplaintSettings
    reason: str | None
    trace: tuple[RuleTrace, ...]
    classification: Classification | None = None  # the scores, when a classifying rule matched
    complaint_signal: str | None = None  # why the mail looks like a complaint (web form)
    not_ignored: tuple[str, ...] = ()  # ignore rules that matched but may not swallow it

    @property
    def why(self) -> tuple[str, ...]:
        for item in reversed(self.trace):
            if item.matched and item.rule == self.rule:
                return item.reasons
        if self.rule == LOOKS_LIKE_COMPLAINT and self.complaint_signal:
            return (f"looks like a complaint: {self.complaint_signal}",)
        return ()


def evaluate(rules: Sequence[Rule], facts: MailFacts) -> Decision:
    fields = tuple(pair for rule in rules for pair in rule.settings.fields)
    signal = looks_like_complaint(facts.mail, fields=fields) if facts.mail is not None else None
    if signal is not None and facts.automated:
        facts = replace(facts, automated=False)  # a form's mail speaks for the person who wrote it
    settings = ComplaintSettings()
    classification: Classification | None = None
    trace: list[RuleTrace] = []
    spared: list[str] = []
    fallback: Rule | None = None

    def decided(rule: Rule | None, action: Action | None, reason: str | None) -> Decision:
        return Decision(
            action, rule.name if rule else None, settings, reason, tuple(trace),
            classification, signal, tuple(spared),
        )  # fmt: skip

    for rule in rules:
        matched, reasons = rule.explain(facts)
        if matched and signal is not None and rule.action is Action.IGNORE:
            spared.append(rule.name)
            trace.append(RuleTrace(rule.name, rule.source, False, (*reasons, f"not ignored: {signal}")))
            continue
        if not matched:
            trace.append(RuleTrace(rule.name, rule.source, matched, reasons))
            continue
        own, found = rule.scored(facts)
        if found is not None:
            reasons = (*reasons, f"scores: {found.summary()}")
        trace.append(RuleTrace(rule.name, rule.source, matched, reasons))
        classification = classification or found
        settings = settings.fill(own)
        if rule.continue_:
            if fallback is None and rule.action is not None:
                fallback = rule
            continue
        return decided(rule, rule.action, rule.reason)
    if fallback is not None:
        return decided(fallback, fallback.action, fallback.reason)
    if signal is not None:
        return Decision(
            Action.COMPLAINT, LOOKS_LIKE_COMPLAINT, settings, signal, tuple(trace),
            classification, signal, tuple(spared),
        )  # fmt: skip
    return decided(None, None, None)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
