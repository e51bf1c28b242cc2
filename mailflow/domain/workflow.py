"""The SOP as a state machine: given a case's state and a command (or a signed letter), decide
what happens, by following the transitions the SOP file declares (mailflow.domain.sop). Pure: the
engine carries the decision out (rows, letters, mails).

How a decision is assembled from the declared steps:
* the step the command answers is finished (or stays open, for `stay`; or the case closes);
* when the step is completed going forward, its `letter` is made;
* the `next` step is entered: a person's step starts (with its action mail); a system step is
  started and finished at once, makes its own letter and enters its own `next`, and so on;
* a case step leading to a route step fans out to one route per OPD named (or suggested); a route
  step leading to a case step ends its route and the case step starts once no route is still open.
Decisions documented in README "Alur": the first case step after the fan-in waits for every OPD,
so the complainant gets one answer with every OPD's signed letter; a command's KHUSUS word (or a
command declared with `track: special`) moves the case to the special track and recomputes the
deadlines of open steps that have a special limit.

The branches (issue 13, see mailflow.domain.sop): a command declared `route: returned` ends its
route as returned and starts its case step at once; `route: reopen` starts an earlier route step
again on one route; a fan-out to an OPD whose route was returned needs the PAKSA word; the join
also waits while a case step is open (the head of Diskominfo is still re-routing); after-close
commands answer the complainant or reopen the case as a new round. Every step entered again is a
new round of it (the engine numbers the rounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailflow.domain.commands import Command, Verb
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.sop import (
    ArgKind,
    Close,
    CommandRule,
    Completion,
    Need,
    Role,
    RouteEffect,
    Scope,
    Sop,
    Step,
    Track,
)
from mailflow.domain.statuses import CaseStatus, RouteStatus, StepOutcome


@dataclass(frozen=True)
class OpenStep:
    event_id: int
    step: int
    route_id: int | None
    opd_code: str | None
    attempt: int
    actor_person: str | None
    started_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class RouteState:
    route_id: int
    opd_code: str
    bidang_code: str | None
    status: str  # a RouteStatus value
    finished_steps: frozenset[int] = frozenset()
    note: str | None = None  # why it was returned (declined) or sent back
    rounds: tuple[tuple[int, int, datetime], ...] = ()  # (step, round, started) of its route steps


@dataclass(frozen=True)
class CaseState:
    case_id: int
    number: str
    status: str  # a CaseStatus value
    track: Track
    suggested_opds: tuple[str, ...]
    routes: tuple[RouteState, ...]
    open_steps: tuple[OpenStep, ...]
    complainant_email: str | None
    round: int = 1  # 1, then 2, 3, ... after each reopening


@dataclass(frozen=True)
class Finish:
    event_id: int
    outcome: StepOutcome = StepOutcome.DONE
    command: str = ""
    note: str = ""


@dataclass(frozen=True)
class RouteRef:
    """A route that exists (`route_id`) or is created by this transition (`opd_code` only)."""

    opd_code: str
    route_id: int | None = None


@dataclass(frozen=True)
class Start:
    step: int
    role: Role
    route: RouteRef | None = None
    bidang: str | None = None
    attachments: tuple[DocumentKind, ...] = ()  # letters of this case/route to attach


@dataclass(frozen=True)
class SystemStep:
    """A step the system performs now: started and finished in the same instant."""

    step: int
    route: RouteRef | None = None


@dataclass(frozen=True)
class MakeLetter:
    kind: DocumentKind
    audience: Audience
    route: RouteRef | None = None  # None: one letter for the whole case (e.g. the step-4 sheet)
    step: int = 0  # the step whose completion makes it
    next_step: int | None = None  # the step it starts: the letter states that step's deadline
    revision: bool = False  # drafted again after being sent back: a revision of the route's letter


@dataclass(frozen=True)
class Transition:
    finish: tuple[Finish, ...] = ()
    new_routes: tuple[str, ...] = ()
    set_track: Track | None = None
    set_suggested_opds: tuple[str, ...] | None = None
    route_bidang: tuple[tuple[int, str, str], ...] = ()  # (route_id, bidang, instruction)
    route_response: tuple[tuple[int, str], ...] = ()  # (route_id, drafted response)
    route_done: tuple[int, ...] = ()
    route_status: tuple[tuple[int, RouteStatus, str], ...] = ()  # (route_id, status, note)
    reopen: bool = False  # a closed case opens again as a new round
    reopen_reason: str = ""
    letters: tuple[MakeLetter, ...] = ()
    system_steps: tuple[SystemStep, ...] = ()
    start: tuple[Start, ...] = ()
    recompute_due: tuple[int, ...] = ()  # open events whose deadline follows a new track
    close: CaseStatus | None = None  # REJECTED or CLOSED
    close_reason: str = ""
    notify_complainant: str | None = None  # "rejected", "answer" or "message" (after close)
    answer_text: str = ""
    confirm: str | None = None  # a short confirmation to the sender (e.g. "special_track")


@dataclass(frozen=True)
class Refusal:
    """The reply is understood but cannot act: `code` picks the explanation sent back."""

    code: str  # wrong_command / missing_opd / needs_pdf / missing_response / case_closed / ...
    allowed: tuple[Verb, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Info:
    """STATUS or BANTUAN: answer the sender, change nothing."""

    kind: str  # status / help
    allowed: tuple[Verb, ...] = ()


@dataclass
class _Plan:
    """A transition being assembled (mutable while the declared steps are followed)."""

    letters: list[MakeLetter]
    system_steps: list[SystemStep]
    starts: list[Start]
    new_routes: list[str]
    route_done: list[int]
    route_status: list[tuple[int, RouteStatus, str]]


class Workflow:
    """Decisions for one SOP."""

    def __init__(self, sop: Sop) -> None:
        self.sop = sop

    def allowed(self, step: int) -> tuple[Verb, ...]:
        return self.sop.commands_of(step)

    def on_registered(self) -> Transition:
        """The first step (registration) is done by ingest: enter what follows it."""
        first = self.sop.first
        plan = _new_plan()
        if first.next is not None:
            self._leave(plan, first, None, first.next, (), None, None)
        return _assemble(plan)

    def on_command(self, state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal | Info:
        """The actor of the open step `event` replied with `command`."""
        step = self.sop.step(event.step)
        if command.verb is Verb.STATUS:
            return Info("status", step.verbs())
        if command.verb is Verb.BANTUAN:
            return Info("help", step.verbs())
        if state.status != CaseStatus.OPEN:
            return Refusal("case_closed")
        rule = step.command(command.verb)
        if rule is None:
            code = "needs_pdf" if step.waits_for_signature else "wrong_command"
            return Refusal(code, step.verbs(), detail=command.verb.value)
        return self._apply_rule(state, step, event, rule, command)

    def on_letter_signed(self, state: CaseState, event: OpenStep, signer: str) -> Transition | Refusal:
        """A validly signed letter came back for the route of the open signature step `event`."""
        if state.status != CaseStatus.OPEN:
            return Refusal("case_closed")
        step = self.sop.step(event.step)
        if not step.waits_for_signature or step.next is None:
            return Refusal("not_waiting_for_signature")
        route = _event_route(event)
        plan = _new_plan()
        self._leave(plan, step, route, step.next, (), state, event)
        return _assemble(plan, finish=(Finish(event.event_id, command="TTD", note=signer),))

    # --- one declared command ------------------------------------------------------------------

    def _apply_rule(
        self, state: CaseState, step: Step, event: OpenStep, rule: CommandRule, command: Command
    ) -> Transition | Refusal:
        route = _event_route(event) if step.scope is Scope.ROUTE else None
        verb = command.verb.value
        special = rule.track is Track.SPECIAL or (command.special and rule.args is ArgKind.OPDS)
        track = Track.SPECIAL if special else rule.track
        if rule.args is ArgKind.REASON and rule.need is Need.REQUIRED and not command.text.strip():
            return Refusal("missing_reason", step.verbs())
        if rule.args is ArgKind.RESPONSE and not command.text.strip():
            return Refusal("missing_response", step.verbs())
        if rule.close is not None:
            return self._close(state, event, rule, command, track)
        if rule.route is RouteEffect.RETURNED:
            return self._route_returned(state, step, event, rule, command, track)
        if rule.route is RouteEffect.REOPEN:
            return self._route_reopen(state, step, event, rule, command, track)
        if rule.stay:
            return Transition(
                set_track=track,
                recompute_due=(event.event_id,),
                confirm=("special_track" if track is Track.SPECIAL else "recorded") if rule.confirm else None,
            )
        assert rule.next is not None
        names_opds = rule.args is ArgKind.OPDS and rule.need is not Need.NONE
        opds = command.opds or (() if rule.need is Need.REQUIRED and names_opds else state.suggested_opds)
        fans_out = self.sop.by_key(rule.next).scope is Scope.ROUTE and step.scope is Scope.CASE
        if (names_opds or fans_out) and not opds:
            return Refusal("missing_opd", step.verbs())
        if fans_out:
            declined = [
                r.opd_code for r in state.routes if r.opd_code in opds and r.status == RouteStatus.RETURNED
            ]
            if declined and not command.force:
                return Refusal("route_returned", step.verbs(), detail=", ".join(declined))
        note = _note(step, rule, command, opds if names_opds or fans_out else ())
        plan = _new_plan()
        self._leave(plan, step, route, rule.next, opds, state, event, bidang=command.bidang)
        return _assemble(
            plan,
            finish=(Finish(event.event_id, command=verb, note=note),),
            set_track=track,
            set_suggested_opds=tuple(opds) if names_opds and not fans_out else None,
            route_bidang=_route_bidang(route, rule, command),
            route_response=((route.route_id, command.text),)
            if rule.args is ArgKind.RESPONSE and route and route.route_id
            else (),
        )

    def _close(
        self, state: CaseState, event: OpenStep, rule: CommandRule, command: Command, track: Track | None
    ) -> Transition:
        rejected = rule.close is Close.REJECTED
        answer = "answer" if state.complainant_email else None
        return Transition(
            finish=(
                Finish(
                    event.event_id,
                    StepOutcome.REJECTED if rejected else StepOutcome.DONE,
                    command.verb.value,
                    command.text if rejected else "",
                ),
            ),
            set_track=track,
            close=CaseStatus.REJECTED if rejected else CaseStatus.CLOSED,
            close_reason=command.text if rejected else "",
            notify_complainant="rejected" if rejected else answer,
            answer_text="" if rejected else command.text,
        )

    # --- the branches ------------------------------------------------------------------------------

    def _route_returned(
        self,
        state: CaseState,
        step: Step,
        event: OpenStep,
        rule: CommandRule,
        command: Command,
        track: Track | None,
    ) -> Transition:
        """The OPD declines: its route ends as returned; `next` (a case step) starts at once."""
        route = _event_route(event)
        assert route.route_id is not None and rule.next is not None
        plan = _new_plan()
        plan.route_status.append((route.route_id, RouteStatus.RETURNED, command.text))
        self._enter(plan, self.sop.by_key(rule.next), None, (), state, None)
        return _assemble(
            plan,
            finish=(Finish(event.event_id, command=command.verb.value, note=command.text),),
            set_track=track,
        )

    def _route_reopen(
        self,
        state: CaseState,
        step: Step,
        event: OpenStep,
        rule: CommandRule,
        command: Command,
        track: Track | None,
    ) -> Transition | Refusal:
        """An answer sent back: `next` (an earlier route step) starts again on one route."""
        assert rule.next is not None
        answered = [r for r in state.routes if r.status == RouteStatus.DONE]
        if command.opds:
            chosen = [r for r in answered if r.opd_code in command.opds]
        else:
            chosen = answered if len(answered) == 1 else []
        if len(chosen) != 1:
            return Refusal("which_route", step.verbs(), detail=", ".join(r.opd_code for r in answered))
        route = chosen[0]
        plan = _new_plan()
        plan.route_status.append((route.route_id, RouteStatus.OPEN, command.text))
        target = self.sop.by_key(rule.next)
        self._enter(plan, target, RouteRef(route.opd_code, route.route_id), (), state, route.bidang_code)
        note = f"{route.opd_code}: {command.text}"
        return _assemble(
            plan, finish=(Finish(event.event_id, command=command.verb.value, note=note),), set_track=track
        )

    def on_after_close(self, state: CaseState, command: Command) -> Transition | Refusal:
        """An after-close actor answered a forwarded complainant reply: KIRIM-like commands send
        their text to the complainant, reopening commands start the case again at their step."""
        after = self.sop.after_close
        rule = after.command(command.verb) if after else None
        if after is None or rule is None:
            return Refusal("wrong_command", after.verbs() if after else (), detail=command.verb.value)
        if state.status == CaseStatus.OPEN:
            return Refusal("case_open", after.verbs())
        if rule.need is Need.REQUIRED and not command.text.strip():
            return Refusal("missing_reason" if rule.args is ArgKind.REASON else "missing_text", after.verbs())
        if rule.to_complainant:
            if not state.complainant_email:
                return Refusal("no_complainant", after.verbs())
            return Transition(notify_complainant="message", answer_text=command.text)
        assert rule.next is not None
        plan = _new_plan()
        self._enter(plan, self.sop.by_key(rule.next), None, (), state, None)
        return _assemble(plan, reopen=True, reopen_reason=command.text)

    # --- following the declared steps ---------------------------------------------------------------

    def _leave(
        self,
        plan: _Plan,
        step: Step,
        route: RouteRef | None,
        target_key: str,
        opds: tuple[str, ...],
        state: CaseState | None,
        event: OpenStep | None,
        *,
        bidang: str | None = None,
    ) -> None:
        """`step` is completed going forward on `route`: make its letter, enter `target_key`."""
        target = self.sop.by_key(target_key)
        if step.letter is not None:
            plan.letters.append(
                MakeLetter(
                    step.letter,
                    Audience.INTERNAL if step.letter is DocumentKind.NOTA_DINAS else Audience.OPD,
                    route=route if step.scope is Scope.ROUTE else None,
                    step=step.number,
                    next_step=target.number,
                    revision=self._sent_back(step, route, state, event),
                )
            )
        if step.scope is Scope.CASE and target.scope is Scope.ROUTE:
            routes = {r.opd_code: r for r in state.routes} if state else {}
            for code in opds:
                known = routes.get(code)
                if known is None and code not in plan.new_routes:
                    plan.new_routes.append(code)
                elif known is not None and known.status != RouteStatus.OPEN:
                    # sent there again (PAKSA after a decline, or a reopened case): a new round
                    plan.route_status.append((known.route_id, RouteStatus.OPEN, ""))
                ref = RouteRef(code, known.route_id if known else None)
                self._enter(plan, target, ref, opds, state, None)
            return
        if step.scope is Scope.ROUTE and target.scope is Scope.CASE:
            assert route is not None and route.route_id is not None
            plan.route_done.append(route.route_id)
            if _others_open(state, route.route_id):
                return
            self._enter(plan, target, None, opds, state, None)
            return
        self._enter(plan, target, route, opds, state, bidang)

    def _sent_back(
        self, step: Step, route: RouteRef | None, state: CaseState | None, event: OpenStep | None
    ) -> bool:
        """This round of a route step came from a return (`route: reopen`): the step was done on
        the route before, and the route was not entered again since (as a reopened case or a
        re-routing with PAKSA enter it: those rounds make a new letter)."""
        if step.scope is not Scope.ROUTE or route is None or state is None or event is None:
            return False
        known = next((r for r in state.routes if r.route_id == route.route_id), None)
        if known is None:
            return False
        first = self.sop.route_steps()[0].number
        previous = [at for s, n, at in known.rounds if s == step.number and n == event.attempt - 1]
        entries = [at for s, _, at in known.rounds if s == first]
        return bool(previous) and not any(previous[0] < at <= event.started_at for at in entries)

    def _enter(
        self,
        plan: _Plan,
        step: Step,
        route: RouteRef | None,
        opds: tuple[str, ...],
        state: CaseState | None,
        bidang: str | None,
    ) -> None:
        if step.completion is Completion.SYSTEM:
            plan.system_steps.append(SystemStep(step.number, route))
            if step.next is not None:
                self._leave(plan, step, route, step.next, opds, state, None)
            return
        plan.starts.append(Start(step.number, step.actor, route, bidang, step.attach))


def _new_plan() -> _Plan:
    return _Plan([], [], [], [], [], [])


def _assemble(plan: _Plan, **fields: object) -> Transition:
    return Transition(
        new_routes=tuple(plan.new_routes),
        route_done=tuple(plan.route_done),
        route_status=tuple(plan.route_status),
        letters=tuple(plan.letters),
        system_steps=tuple(plan.system_steps),
        start=tuple(plan.starts),
        **fields,  # type: ignore[arg-type]
    )


def _others_open(state: CaseState | None, route_id: int) -> bool:
    """Another route is still open, or a case step is (a returned route being re-routed): the
    join waits for it."""
    if state is None:
        return False
    if any(step.route_id is None for step in state.open_steps):
        return True
    return any(r.route_id != route_id and r.status == RouteStatus.OPEN for r in state.routes)


def _route_bidang(
    route: RouteRef | None, rule: CommandRule, command: Command
) -> tuple[tuple[int, str, str], ...]:
    if rule.args is not ArgKind.BIDANG or route is None or route.route_id is None or command.bidang is None:
        return ()
    return ((route.route_id, command.bidang, command.text),)


def _note(step: Step, rule: CommandRule, command: Command, opds: tuple[str, ...]) -> str:
    if opds:
        return ("jalur cepat: " if step.fast_path else "") + ", ".join(opds)
    if rule.args is ArgKind.BIDANG and command.bidang:
        return f"{command.bidang}: {command.text}"
    if rule.args is ArgKind.REASON:
        return command.text
    return ""


def _event_route(event: OpenStep) -> RouteRef:
    if event.route_id is None or event.opd_code is None:
        raise ValueError(f"step {event.step} needs a route")
    return RouteRef(event.opd_code, event.route_id)
