"""The SOP as data: its steps, actors, limits, and the way a complaint moves between steps.

The SOP file (the shipped `mailflow/data/sop_lapor_bontang.yaml`, or one the config names)
declares everything the engine follows: per step a stable `key`, the actor's role, its limit per
track, how it is completed (by the system at once, by an actor's command, or by a signed letter
coming back), and for each command accepted there what it does (which step starts next, whether
the case closes or changes track). Steps are found by key and by these declared properties, never
by number; the number is what people see ("langkah 7"). Reading and checking the file is in
mailflow.domain.sop_schema; reading the YAML from disk is the config layer's job.

Two movements are implied by the steps' scopes, not spelled out per command:
* fan-out: a case-wide step leading to a per-OPD (route) step starts it once per OPD the command
  names (or the case's suggested OPDs);
* join: a route step leading to a case-wide step ends its route; the case-wide step starts when
  no other route is still open (and no case-wide step is open: a re-routing still pending).

The branches a complaint may take (issue 13) are declared the same way, per command:
* `route: returned` at a route step: the route ends as "dikembalikan" (RouteStatus.RETURNED)
  without joining, and the case step `next` names starts at once as a new round (a misrouted
  disposition goes back to the head of Diskominfo). A later fan-out to that OPD needs PAKSA.
* `route: reopen` at a case step: `next` is an earlier route step, started again as a new round
  on one route (the OPD the command names, or the only one that answered); the step after it
  is done again too, and the case step is reached again by the join (an answer sent back).
* `after_close:` commands accepted from its actors once the case is closed: `to_complainant:
  true` sends the text to the complainant, `next: <step>` reopens the case there as a follow-up
  round of the same case (a new round of every step it goes through again).
* `complainant:` commands the complainant may answer with (PUAS, TIDAK PUAS, SUDAH, BELUM): each
  answers a question (`satisfaction` on the final answer, `resolved` on the follow-up question
  N working days after closing), positively or not; `notify` (always, with_comment) tells the
  after-close actors.
A step entered again gets a new step event whose `attempt` is its round (1, 2, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mailflow.domain.commands import Verb
from mailflow.domain.documents import DocumentKind
from mailflow.domain.durations import BusinessDuration
from mailflow.domain.statuses import RouteStatus


class Role(StrEnum):
    """The actors mailflow can find in the directory. An SOP uses any of them."""

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
    ROUTE = "route"  # once per OPD the complaint is sent to


class Track(StrEnum):
    NORMAL = "normal"
    SPECIAL = "special"  # field review / cross-sector: the longer `special_limit`s apply


class Completion(StrEnum):
    """How a step is completed."""

    COMMAND = "command"  # an actor answers with one of the step's commands
    SYSTEM = "system"  # mailflow does it at once (and it is timed all the same)
    SIGNED_LETTER = "signed_letter"  # a validly signed copy of the route's letter comes back


class Close(StrEnum):
    """How a command may end a case; the value is the case's status afterwards."""

    REJECTED = "rejected"  # the complainant is told the complaint cannot be processed
    ANSWERED = "closed"  # the complainant gets the answer and the signed letters


class RouteEffect(StrEnum):
    """What a command does to a route besides moving on (see the module docstring)."""

    RETURNED = "returned"  # at a route step: the route ends as returned, `next` starts at once
    REOPEN = "reopen"  # at a case step: `next` (a route step) starts again on one route

    @property
    def route_status(self) -> RouteStatus:
        return RouteStatus.RETURNED if self is RouteEffect.RETURNED else RouteStatus.OPEN


class Question(StrEnum):
    """What a complainant's answer answers."""

    SATISFACTION = "satisfaction"  # asked with the final answer: PUAS / TIDAK PUAS
    RESOLVED = "resolved"  # asked N working days after closing: SUDAH / BELUM


class Notify(StrEnum):
    """When a complainant's answer is forwarded to the after-close actors."""

    NEVER = "never"
    ALWAYS = "always"
    WITH_COMMENT = "with_comment"  # only when the complainant wrote something with it


class ArgKind(StrEnum):
    """What a command's words after the keyword mean; the grammar of each is in domain.commands."""

    NONE = "none"
    OPDS = "opds"  # OPD codes or names
    REASON = "reason"  # a free-text reason
    BIDANG = "bidang"  # `<bidang>: <instruction>`
    RESPONSE = "response"  # the drafted response (text below the keyword, or an attached DOCX)
    TEXT = "text"  # optional free text (a covering note)


class Need(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


VERB_ARGS: Mapping[Verb, ArgKind] = {
    Verb.VALID: ArgKind.OPDS,
    Verb.SETUJU: ArgKind.OPDS,
    Verb.TERUSKAN: ArgKind.OPDS,
    Verb.TOLAK: ArgKind.REASON,
    Verb.KHUSUS: ArgKind.REASON,
    Verb.TERIMA: ArgKind.NONE,
    Verb.DISPOSISI: ArgKind.BIDANG,
    Verb.TANGGAPAN: ArgKind.RESPONSE,
    Verb.KIRIM: ArgKind.TEXT,
    Verb.BUKAN_KEWENANGAN: ArgKind.REASON,
    Verb.KEMBALIKAN: ArgKind.REASON,
    Verb.BUKA_KEMBALI: ArgKind.REASON,
    Verb.PUAS: ArgKind.TEXT,
    Verb.TIDAK_PUAS: ArgKind.TEXT,
    Verb.SUDAH: ArgKind.TEXT,
    Verb.BELUM: ArgKind.TEXT,
}
COMPLAINANT_VERBS = (Verb.PUAS, Verb.TIDAK_PUAS, Verb.SUDAH, Verb.BELUM)
ALWAYS: tuple[Verb, ...] = (Verb.STATUS, Verb.BANTUAN)  # accepted at every step, never declared
DEFAULT_NEED: Mapping[Verb, Need] = {
    Verb.TERUSKAN: Need.REQUIRED,
    Verb.TOLAK: Need.REQUIRED,
    Verb.TANGGAPAN: Need.REQUIRED,
    Verb.DISPOSISI: Need.REQUIRED,
    Verb.BUKAN_KEWENANGAN: Need.REQUIRED,
    Verb.KEMBALIKAN: Need.REQUIRED,
    Verb.BUKA_KEMBALI: Need.REQUIRED,
}
LETTER_KINDS = (DocumentKind.NOTA_DINAS, DocumentKind.LEMBAR_DISPOSISI, DocumentKind.SURAT_TANGGAPAN)
ATTACHABLE = (*LETTER_KINDS, DocumentKind.SIGNED_RESPONSE)


@dataclass(frozen=True)
class Text:
    """A user-facing text in Indonesian and English."""

    id: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


@dataclass(frozen=True)
class CommandRule:
    """One command accepted at a step and what it does. Exactly one of `next`, `stay` and `close`
    says where the case goes."""

    verb: Verb
    desc: Text | None = None
    next: str | None = None  # key of the step that starts
    stay: bool = False  # the step stays open (e.g. the track changes and its deadline with it)
    close: Close | None = None
    track: Track | None = None  # the case moves to this track
    need: Need = Need.OPTIONAL  # whether the arguments are required
    confirm: bool = False  # the sender gets a short confirmation
    route: RouteEffect | None = None  # returned / reopen (see the module docstring)
    aliases: tuple[str, ...] = ()  # words that mean this verb at this step only (e.g. TOLAK)
    to_complainant: bool = False  # after close: the text goes to the complainant

    @property
    def args(self) -> ArgKind:
        return VERB_ARGS.get(self.verb, ArgKind.NONE)

    def words(self) -> tuple[str, ...]:
        """The keyword and this step's own aliases, as they are written."""
        return (self.verb.value, *self.aliases)


@dataclass(frozen=True)
class AfterClose:
    """Commands accepted from `actors` once a case is closed (a complainant wrote back)."""

    actors: tuple[Role, ...]
    commands: tuple[CommandRule, ...]
    mail: StepMail | None = None  # the mail that forwards the complainant's words

    def command(self, verb: Verb) -> CommandRule | None:
        return next((rule for rule in self.commands if rule.verb is verb), None)

    def verbs(self) -> tuple[Verb, ...]:
        return tuple(rule.verb for rule in self.commands)

    def reopen_targets(self) -> tuple[str, ...]:
        return tuple(rule.next for rule in self.commands if rule.next)


@dataclass(frozen=True)
class ComplainantRule:
    """A complainant's one-word answer: which question it answers, and how."""

    verb: Verb
    question: Question
    positive: bool
    desc: Text | None = None
    notify: Notify = Notify.NEVER  # whether the after-close actors are told (with the comment)


@dataclass(frozen=True)
class StepMail:
    """The action mail of a step: its subject and what it asks, with {title}, {opds}, {opd},
    {bidang} and {arahan} filled in by the engine."""

    subject: Text
    ask: Text


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    name: Text
    actor: Role
    limit: BusinessDuration
    scope: Scope = Scope.CASE
    completion: Completion = Completion.COMMAND
    special_limit: BusinessDuration | None = None
    alternate_actors: tuple[Role, ...] = ()
    fast_path: bool = False
    output: Text | None = None
    commands: tuple[CommandRule, ...] = ()
    next: str | None = None  # system and signed-letter steps: the step that follows
    letter: DocumentKind | None = None  # made when the step is completed going forward
    attach: tuple[DocumentKind, ...] = ()  # letters the action mail carries
    cc: tuple[Role, ...] = ()  # roles copied on the action mail
    mail: StepMail | None = None
    show_suggestion: bool = False  # the action mail names the inbox rules' suggested OPDs

    @property
    def by_system(self) -> bool:
        return self.completion is Completion.SYSTEM

    @property
    def waits_for_signature(self) -> bool:
        return self.completion is Completion.SIGNED_LETTER

    def limit_for(self, track: Track) -> BusinessDuration:
        if track is Track.SPECIAL and self.special_limit is not None:
            return self.special_limit
        return self.limit

    def actors(self) -> tuple[Role, ...]:
        return (self.actor, *self.alternate_actors)

    def command(self, verb: Verb) -> CommandRule | None:
        for rule in self.commands:
            if rule.verb is verb:
                return rule
        return None

    def verbs(self) -> tuple[Verb, ...]:
        """The commands of this step, then STATUS and BANTUAN."""
        return (*(rule.verb for rule in self.commands), *ALWAYS)

    def aliases(self) -> dict[str, Verb]:
        """This step's own words for its verbs (upper-cased), for the parser."""
        return {word.upper(): rule.verb for rule in self.commands for word in rule.aliases}

    def takes(self, kind: ArgKind) -> bool:
        """Does one of its commands take arguments of `kind` (e.g. a bidang to choose)?"""
        return any(rule.args is kind for rule in self.commands)

    def targets(self) -> tuple[str, ...]:
        """Keys of the steps this step may lead to."""
        found = [self.next] if self.next else []
        found.extend(rule.next for rule in self.commands if rule.next)
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Sop:
    code: str
    title: Text
    steps: tuple[Step, ...]
    role_names: Mapping[Role, Text]
    stated_total: BusinessDuration | None = None
    after_close: AfterClose | None = None
    complainant_commands: tuple[ComplainantRule, ...] = ()
    _by_key: Mapping[str, Step] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {s.key: s for s in self.steps})

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(number)

    def by_key(self, key: str) -> Step:
        return self._by_key[key]

    @property
    def first(self) -> Step:
        """The registration step: done by the system when a complaint is registered."""
        return self.steps[0]

    def total(self, track: Track = Track.NORMAL) -> BusinessDuration:
        result = BusinessDuration()
        for step in self.steps:
            result = result + step.limit_for(track)
        return result

    def route_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.scope is Scope.ROUTE)

    def special_steps(self) -> tuple[Step, ...]:
        """Steps whose limit changes on the special track."""
        return tuple(s for s in self.steps if s.special_limit is not None)

    def signature_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.waits_for_signature)

    def role_name(self, role: Role, lang: str = "id") -> str:
        text = self.role_names.get(role)
        return text.get(lang) if text else role.value

    def complainant_rule(self, verb: Verb) -> ComplainantRule | None:
        return next((rule for rule in self.complainant_commands if rule.verb is verb), None)

    def complainant_rules(self, question: Question) -> tuple[ComplainantRule, ...]:
        return tuple(rule for rule in self.complainant_commands if rule.question is question)

    def revision_steps(self) -> tuple[Step, ...]:
        """Route steps a command sends a route back to (`route: reopen`): their rounds after the
        first are revisions."""
        keys = {r.next for s in self.steps for r in s.commands if r.route is RouteEffect.REOPEN and r.next}
        return tuple(s for s in self.steps if s.key in keys)

    def reopen_steps(self) -> tuple[Step, ...]:
        """Steps a closed case is reopened at (after_close commands with `next`)."""
        keys = set(self.after_close.reopen_targets()) if self.after_close else set()
        return tuple(s for s in self.steps if s.key in keys)

    def commands_of(self, number: int) -> tuple[Verb, ...]:
        """The commands accepted at step `number` (always with STATUS and BANTUAN)."""
        return self.step(number).verbs()
