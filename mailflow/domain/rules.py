"""Inbox rules: ordered conditions on a mail, an action, and why a rule matched (pure).

A rule matches when every `match` condition holds and no `unless` condition holds. Rules are
tried in order (files by name, rules as written); the first matching rule decides, unless it
says `continue`: then its complaint settings are kept (the first rule that sets a value wins)
and its action, if it has one, becomes the fallback should no later rule decide.

Text comparisons ignore case. A condition's patterns are alternatives (any may match); a field
with several values (recipients, attachment types, a repeated header) matches when any does.
`config/rules_file.py` reads the YAML into these objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from mailflow.domain.inbound import InboundMail
from mailflow.domain.reply_signals import ReplySignal

BODY_LIMIT = 200_000  # characters of body a regex sees; bounds the work of an admin's pattern
FIELDS = ("mailbox", "from", "to", "subject", "body", "attachment_type")


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

    @property
    def why(self) -> tuple[str, ...]:
        for item in reversed(self.trace):
            if item.matched and item.rule == self.rule:
                return item.reasons
        return ()


def evaluate(rules: Sequence[Rule], facts: MailFacts) -> Decision:
    settings = ComplaintSettings()
    trace: list[RuleTrace] = []
    fallback: Rule | None = None
    for rule in rules:
        matched, reasons = rule.explain(facts)
        trace.append(RuleTrace(rule.name, rule.source, matched, reasons))
        if not matched:
            continue
        settings = settings.fill(rule.settings)
        if rule.continue_:
            if fallback is None and rule.action is not None:
                fallback = rule
            continue
        return Decision(rule.action, rule.name, settings, rule.reason, tuple(trace))
    if fallback is not None:
        return Decision(fallback.action, fallback.name, settings, fallback.reason, tuple(trace))
    return Decision(None, None, settings, None, tuple(trace))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
