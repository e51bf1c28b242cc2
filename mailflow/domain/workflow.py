"""The SOP as a state machine: given a case's state and a command (or a signed letter), decide
what happens. Pure: the engine service carries the decision out (rows, letters, mails).

Decisions taken here and documented in README "Alur":
* Step 3 (memo to the leadership) and step 9 (the signed letter reaches Diskominfo) are done by
  the system at once, and timed like every other step.
* Step 4 always takes the SOP's fast path: the system distributes the direction to the OPD(s)
  immediately; one disposition sheet lists every OPD.
* Several OPDs: each runs steps 5-9 on its own route; step 10 starts when every route has
  finished step 9 (one answer to the complainant, with every OPD's signed letter).
* `KHUSUS` (field review / cross-sector) switches the case to the 14-day track: given at step 2
  or 4 it applies to the step-7 rows still to come; given at step 7 (with a reason) it recomputes
  that step's deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mailflow.domain.commands import Command, Verb
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.sop import Role, Track

ALLOWED: dict[int, tuple[Verb, ...]] = {
    2: (Verb.VALID, Verb.TOLAK),
    4: (Verb.SETUJU, Verb.TERUSKAN, Verb.KHUSUS),
    5: (Verb.TERIMA,),
    6: (Verb.DISPOSISI,),
    7: (Verb.TANGGAPAN, Verb.KHUSUS),
    8: (),  # the signed PDF, attached or dropped in the watched folder
    10: (Verb.SETUJU, Verb.TERUSKAN),
    11: (Verb.KIRIM,),
}
ALWAYS = (Verb.STATUS, Verb.BANTUAN)


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
    status: str  # open/done/cancelled
    finished_steps: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CaseState:
    case_id: int
    number: str
    status: str
    track: Track
    suggested_opds: tuple[str, ...]
    routes: tuple[RouteState, ...]
    open_steps: tuple[OpenStep, ...]
    complainant_email: str | None


class Outcome(StrEnum):
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Finish:
    event_id: int
    outcome: Outcome = Outcome.DONE
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


@dataclass(frozen=True)
class Transition:
    finish: tuple[Finish, ...] = ()
    new_routes: tuple[str, ...] = ()
    set_track: Track | None = None
    set_suggested_opds: tuple[str, ...] | None = None
    route_bidang: tuple[tuple[int, str, str], ...] = ()  # (route_id, bidang, instruction)
    route_response: tuple[tuple[int, str], ...] = ()  # (route_id, drafted response)
    route_done: tuple[int, ...] = ()
    letters: tuple[MakeLetter, ...] = ()
    system_steps: tuple[SystemStep, ...] = ()
    start: tuple[Start, ...] = ()
    recompute_due: tuple[int, ...] = ()  # open step-7 events whose deadline follows a new track
    close: str | None = None  # "rejected" or "closed"
    close_reason: str = ""
    notify_complainant: str | None = None  # "rejected" or "answer"
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


def allowed_commands(step: int) -> tuple[Verb, ...]:
    return ALLOWED.get(step, ()) + ALWAYS


def on_registered() -> Transition:
    """After step 1 the IKP division checks the complaint."""
    return Transition(start=(Start(2, Role.IKP),))


def on_command(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal | Info:
    """The actor of the open step `event` replied with `command`."""
    if command.verb is Verb.STATUS:
        return Info("status", allowed_commands(event.step))
    if command.verb is Verb.BANTUAN:
        return Info("help", allowed_commands(event.step))
    if state.status != "open":
        return Refusal("case_closed")
    if command.verb not in ALLOWED.get(event.step, ()):
        code = "needs_pdf" if event.step == 8 else "wrong_command"
        return Refusal(code, allowed_commands(event.step), detail=command.verb.value)
    handler = _HANDLERS[event.step]
    return handler(state, event, command)


def _step2(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    if command.verb is Verb.TOLAK:
        return Transition(
            finish=(Finish(event.event_id, Outcome.REJECTED, "TOLAK", command.text),),
            close="rejected",
            close_reason=command.text,
            notify_complainant="rejected",
        )
    opds = command.opds or state.suggested_opds
    if not opds:
        return Refusal("missing_opd", allowed_commands(2))
    return Transition(
        finish=(Finish(event.event_id, command="VALID", note=", ".join(opds)),),
        set_suggested_opds=tuple(opds),
        set_track=Track.SPECIAL if command.special else None,
        letters=(MakeLetter(DocumentKind.NOTA_DINAS, Audience.INTERNAL),),
        system_steps=(SystemStep(3),),
        start=(Start(4, Role.PIMPINAN, attachments=(DocumentKind.NOTA_DINAS,)),),
    )


def _step4(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    opds = command.opds or state.suggested_opds
    if not opds:
        return Refusal("missing_opd", allowed_commands(4))
    special = command.special or command.verb is Verb.KHUSUS
    existing = {r.opd_code for r in state.routes}
    new = tuple(o for o in opds if o not in existing)
    routes = tuple(RouteRef(o, _route_id(state, o)) for o in opds)
    return Transition(
        finish=(Finish(event.event_id, command=command.verb.value, note="jalur cepat: " + ", ".join(opds)),),
        set_track=Track.SPECIAL if special else None,
        new_routes=new,
        letters=(MakeLetter(DocumentKind.LEMBAR_DISPOSISI, Audience.OPD),),
        start=tuple(
            Start(5, Role.SEKRETARIS, route=r, attachments=(DocumentKind.LEMBAR_DISPOSISI,)) for r in routes
        ),
    )


def _step5(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    route = _event_route(state, event)
    return Transition(
        finish=(Finish(event.event_id, command="TERIMA"),),
        start=(Start(6, Role.KEPALA_OPD, route=route, attachments=(DocumentKind.LEMBAR_DISPOSISI,)),),
    )


def _step6(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    route = _event_route(state, event)
    assert route.route_id is not None and command.bidang is not None
    return Transition(
        finish=(Finish(event.event_id, command="DISPOSISI", note=f"{command.bidang}: {command.text}"),),
        route_bidang=((route.route_id, command.bidang, command.text),),
        letters=(MakeLetter(DocumentKind.LEMBAR_DISPOSISI, Audience.OPD, route=route),),
        start=(
            Start(
                7,
                Role.KABID,
                route=route,
                bidang=command.bidang,
                attachments=(DocumentKind.LEMBAR_DISPOSISI,),
            ),
        ),
    )


def _step7(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    route = _event_route(state, event)
    assert route.route_id is not None
    if command.verb is Verb.KHUSUS:
        if not command.text:
            return Refusal("missing_reason", allowed_commands(7))
        return Transition(set_track=Track.SPECIAL, recompute_due=(event.event_id,), confirm="special_track")
    if not command.text.strip():
        return Refusal("missing_response", allowed_commands(7))
    return Transition(
        finish=(Finish(event.event_id, command="TANGGAPAN"),),
        route_response=((route.route_id, command.text),),
        letters=(MakeLetter(DocumentKind.SURAT_TANGGAPAN, Audience.OPD, route=route),),
        start=(Start(8, Role.KEPALA_OPD, route=route, attachments=(DocumentKind.SURAT_TANGGAPAN,)),),
    )


def _step10(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    return Transition(
        finish=(Finish(event.event_id, command=command.verb.value),),
        start=(Start(11, Role.ADMIN, attachments=(DocumentKind.SIGNED_RESPONSE,)),),
    )


def _step11(state: CaseState, event: OpenStep, command: Command) -> Transition | Refusal:
    return Transition(
        finish=(Finish(event.event_id, command="KIRIM"),),
        close="closed",
        notify_complainant="answer" if state.complainant_email else None,
        answer_text=command.text,
    )


_HANDLERS = {2: _step2, 4: _step4, 5: _step5, 6: _step6, 7: _step7, 10: _step10, 11: _step11}


def on_letter_signed(state: CaseState, event: OpenStep, signer: str) -> Transition | Refusal:
    """A validly signed response letter came back for the route of the open step-8 `event`."""
    if state.status != "open":
        return Refusal("case_closed")
    if event.step != 8:
        return Refusal("not_waiting_for_signature")
    route = _event_route(state, event)
    assert route.route_id is not None
    others_pending = [
        r
        for r in state.routes
        if r.route_id != route.route_id and r.status == "open" and 9 not in r.finished_steps
    ]
    return Transition(
        finish=(Finish(event.event_id, command="TTD", note=signer),),
        system_steps=(SystemStep(9, route=route),),
        route_done=(route.route_id,),
        start=() if others_pending else (Start(10, Role.IKP, attachments=(DocumentKind.SIGNED_RESPONSE,)),),
    )


def _route_id(state: CaseState, opd: str) -> int | None:
    for route in state.routes:
        if route.opd_code == opd:
            return route.route_id
    return None


def _event_route(state: CaseState, event: OpenStep) -> RouteRef:
    if event.route_id is None or event.opd_code is None:
        raise ValueError(f"step {event.step} needs a route")
    return RouteRef(event.opd_code, event.route_id)


def find_open_step(state: CaseState, step: int, route_key: int, attempt: int) -> OpenStep | None:
    for open_step in state.open_steps:
        if open_step.step == step and (open_step.route_id or 0) == route_key and open_step.attempt == attempt:
            return open_step
    return None


def open_steps_for(state: CaseState, steps: Sequence[int]) -> list[OpenStep]:
    return [s for s in state.open_steps if s.step in steps]
