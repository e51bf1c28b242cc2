"""The SOP state machine, decision by decision, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from mailflow.config.sop_file import REGENCY_SOP, load_sop, shipped_sop_path
from mailflow.domain.commands import Command, Verb
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.sop import Role, Track
from mailflow.domain.statuses import RouteStatus, StepOutcome
from mailflow.domain.workflow import (
    CaseState,
    Info,
    OpenStep,
    Refusal,
    RouteRef,
    RouteState,
    Start,
    SystemStep,
    Transition,
    Workflow,
)

T = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)
WORKFLOW = Workflow(load_sop())
on_command, on_letter_signed, on_registered = (
    WORKFLOW.on_command,
    WORKFLOW.on_letter_signed,
    WORKFLOW.on_registered,
)


def step(number: int, event_id: int = 100, route_id: int | None = None, opd: str | None = None) -> OpenStep:
    return OpenStep(event_id, number, route_id, opd, 1, "someone", T, T)


def state(
    open_steps: tuple[OpenStep, ...] = (), routes: tuple[RouteState, ...] = (), **kw: object
) -> CaseState:
    values: dict[str, object] = {
        "case_id": 1, "number": "LPR-2026-00042", "status": "open", "track": Track.NORMAL,
        "suggested_opds": ("DISHUB",), "routes": routes, "open_steps": open_steps,
        "complainant_email": "siti.rahma@gmail.com",
    }  # fmt: skip
    values.update(kw)
    return CaseState(**values)  # type: ignore[arg-type]


def test_registration_starts_the_check_by_ikp() -> None:
    assert on_registered().start == (Start(2, Role.IKP),)


def test_valid_makes_the_memo_and_asks_the_leadership() -> None:
    event = step(2)
    result = on_command(state((event,)), event, Command(Verb.VALID, opds=("DLH",)))
    assert isinstance(result, Transition)
    assert result.finish[0].event_id == event.event_id and result.finish[0].outcome is StepOutcome.DONE
    assert result.set_suggested_opds == ("DLH",)
    assert (
        result.letters[0].kind is DocumentKind.NOTA_DINAS and result.letters[0].audience is Audience.INTERNAL
    )
    assert result.system_steps == (SystemStep(3),)
    assert result.start == (Start(4, Role.PIMPINAN, attachments=(DocumentKind.NOTA_DINAS,)),)


def test_valid_without_any_opd_is_refused() -> None:
    event = step(2)
    result = on_command(state((event,), suggested_opds=()), event, Command(Verb.VALID))
    assert isinstance(result, Refusal) and result.code == "missing_opd"


def test_tolak_rejects_and_tells_the_complainant() -> None:
    event = step(2)
    result = on_command(state((event,)), event, Command(Verb.TOLAK, text="di luar kewenangan"))
    assert isinstance(result, Transition)
    assert result.finish[0].outcome is StepOutcome.REJECTED
    assert result.close == "rejected" and result.close_reason == "di luar kewenangan"
    assert result.notify_complainant == "rejected"
    assert result.start == ()


def test_leadership_sends_to_two_opds_on_the_special_track() -> None:
    event = step(4)
    result = on_command(
        state((event,)), event, Command(Verb.TERUSKAN, opds=("DISHUB", "DPUPR"), special=True)
    )
    assert isinstance(result, Transition)
    assert result.set_track is Track.SPECIAL
    assert result.new_routes == ("DISHUB", "DPUPR")
    assert [s.step for s in result.start] == [5, 5]
    assert [s.route for s in result.start] == [RouteRef("DISHUB"), RouteRef("DPUPR")]
    assert (
        result.letters[0].kind is DocumentKind.LEMBAR_DISPOSISI and result.letters[0].audience is Audience.OPD
    )


def test_khusus_alone_at_step_4_approves_the_suggestion_on_the_special_track() -> None:
    event = step(4)
    result = on_command(state((event,)), event, Command(Verb.KHUSUS, special=True))
    assert isinstance(result, Transition)
    assert result.set_track is Track.SPECIAL and result.new_routes == ("DISHUB",)


def test_route_steps_5_to_8() -> None:
    routes = (RouteState(7, "DISHUB", None, "open"),)
    five = step(5, route_id=7, opd="DISHUB")
    result = on_command(state((five,), routes), five, Command(Verb.TERIMA))
    assert isinstance(result, Transition) and result.start[0].step == 6
    six = step(6, route_id=7, opd="DISHUB")
    result = on_command(state((six,), routes), six, Command(Verb.DISPOSISI, bidang="PJU", text="segera"))
    assert isinstance(result, Transition)
    assert result.route_bidang == ((7, "PJU", "segera"),)
    assert result.start[0].step == 7 and result.start[0].bidang == "PJU"
    seven = step(7, route_id=7, opd="DISHUB")
    result = on_command(state((seven,), routes), seven, Command(Verb.TANGGAPAN, text="Sudah diperbaiki."))
    assert isinstance(result, Transition)
    assert result.route_response == ((7, "Sudah diperbaiki."),)
    assert result.letters[0].kind is DocumentKind.SURAT_TANGGAPAN
    assert result.start[0].step == 8


def test_khusus_at_step_7_needs_a_reason_and_keeps_the_step_open() -> None:
    routes = (RouteState(7, "DISHUB", "PJU", "open"),)
    seven = step(7, route_id=7, opd="DISHUB")
    refused = on_command(state((seven,), routes), seven, Command(Verb.KHUSUS, special=True))
    assert isinstance(refused, Refusal) and refused.code == "missing_reason"
    result = on_command(state((seven,), routes), seven, Command(Verb.KHUSUS, text="perlu tinjauan lapangan"))
    assert isinstance(result, Transition)
    assert result.finish == () and result.recompute_due == (seven.event_id,)
    assert result.set_track is Track.SPECIAL


def test_empty_tanggapan_is_refused() -> None:
    seven = step(7, route_id=7, opd="DISHUB")
    result = on_command(
        state((seven,), (RouteState(7, "DISHUB", "PJU", "open"),)), seven, Command(Verb.TANGGAPAN)
    )
    assert isinstance(result, Refusal) and result.code == "missing_response"


def test_signed_letter_finishes_8_and_9_and_waits_for_the_other_opd() -> None:
    routes = (RouteState(7, "DISHUB", "PJU", "open"), RouteState(8, "DPUPR", "BM", "open"))
    eight = step(8, route_id=7, opd="DISHUB")
    result = on_letter_signed(state((eight,), routes), eight, "Kepala Dishub")
    assert isinstance(result, Transition)
    assert result.system_steps == (SystemStep(9, RouteRef("DISHUB", 7)),)
    assert result.route_done == (7,)
    assert result.start == ()  # DPUPR has not finished step 9 yet
    routes = (
        RouteState(7, "DISHUB", "PJU", "done", frozenset({5, 6, 7, 8, 9})),
        RouteState(8, "DPUPR", "BM", "open"),
    )
    eight = step(8, route_id=8, opd="DPUPR")
    result = on_letter_signed(state((eight,), routes), eight, "Kepala DPUPR")
    assert isinstance(result, Transition) and [s.step for s in result.start] == [10]


def test_steps_10_and_11_close_the_case() -> None:
    ten = step(10)
    result = on_command(state((ten,)), ten, Command(Verb.SETUJU))
    assert (
        isinstance(result, Transition) and result.start[0].step == 11 and result.start[0].role is Role.ADMIN
    )
    eleven = step(11)
    result = on_command(state((eleven,)), eleven, Command(Verb.KIRIM, text="Terima kasih."))
    assert isinstance(result, Transition)
    assert (
        result.close == "closed"
        and result.notify_complainant == "answer"
        and result.answer_text == "Terima kasih."
    )
    anonymous = on_command(state((eleven,), complainant_email=None), eleven, Command(Verb.KIRIM))
    assert isinstance(anonymous, Transition) and anonymous.notify_complainant is None


def test_wrong_command_for_the_step() -> None:
    event = step(5, route_id=7, opd="DISHUB")
    result = on_command(state((event,)), event, Command(Verb.SETUJU))
    assert isinstance(result, Refusal) and result.code == "wrong_command"
    assert Verb.TERIMA in result.allowed and Verb.BANTUAN in result.allowed
    eight = step(8, route_id=7, opd="DISHUB")
    result = on_command(state((eight,)), eight, Command(Verb.TERIMA))
    assert isinstance(result, Refusal) and result.code == "needs_pdf"


def test_status_and_help_change_nothing_even_on_closed_cases() -> None:
    event = step(4)
    assert on_command(state((event,), status="closed"), event, Command(Verb.STATUS)) == Info(
        "status", (Verb.SETUJU, Verb.TERUSKAN, Verb.KHUSUS, Verb.STATUS, Verb.BANTUAN)
    )
    closed = on_command(state((event,), status="rejected"), event, Command(Verb.SETUJU))
    assert isinstance(closed, Refusal) and closed.code == "case_closed"


# --- another SOP, same engine: the regency's 8 steps ---------------------------------------------


def _regency() -> Workflow:
    return Workflow(load_sop(shipped_sop_path(REGENCY_SOP)))


def test_the_regency_sop_runs_on_the_same_engine() -> None:
    flow = _regency()
    assert flow.on_registered().start == (Start(2, Role.ADMIN),)
    two = step(2)
    valid = flow.on_command(state((two,)), two, Command(Verb.VALID, opds=("DLH",)))
    assert isinstance(valid, Transition)
    assert valid.system_steps == () and valid.letters == ()  # no memo step in this SOP
    assert valid.start == (Start(3, Role.PIMPINAN),) and valid.set_suggested_opds == ("DLH",)
    three = step(3)
    fan = flow.on_command(
        state((three,), suggested_opds=("DLH",)), three, Command(Verb.TERUSKAN, opds=("DLH", "DPUPR"))
    )
    assert isinstance(fan, Transition)
    assert fan.new_routes == ("DLH", "DPUPR")
    assert [(s.step, s.role, s.route) for s in fan.start] == [
        (4, Role.KEPALA_OPD, RouteRef("DLH")),
        (4, Role.KEPALA_OPD, RouteRef("DPUPR")),
    ]  # straight to the head of the department: no secretary step
    assert fan.letters[0].kind is DocumentKind.LEMBAR_DISPOSISI and fan.letters[0].route is None
    assert fan.letters[0].next_step == 4
    routes = (RouteState(7, "DLH", "KEBERSIHAN", "open"), RouteState(8, "DPUPR", "BM", "open"))
    six = step(6, route_id=7, opd="DLH")
    first = flow.on_letter_signed(state((six,), routes), six, "Kepala DLH")
    assert isinstance(first, Transition) and first.route_done == (7,) and first.start == ()
    routes = (RouteState(7, "DLH", "KEBERSIHAN", "done"), RouteState(8, "DPUPR", "BM", "open"))
    six = step(6, route_id=8, opd="DPUPR")
    last = flow.on_letter_signed(state((six,), routes), six, "Kepala DPUPR")
    assert isinstance(last, Transition) and last.system_steps == ()
    assert last.start == (Start(7, Role.PIMPINAN, attachments=(DocumentKind.SIGNED_RESPONSE,)),)
    seven = step(7)
    approved = flow.on_command(state((seven,)), seven, Command(Verb.SETUJU))
    assert isinstance(approved, Transition) and approved.start[0].step == 8
    wrong = flow.on_command(state((seven,)), seven, Command(Verb.TERUSKAN, opds=("DLH",)))
    assert isinstance(wrong, Refusal) and wrong.code == "wrong_command"


# --- the branches (issue 13) -----------------------------------------------------------------------


def test_a_declined_route_is_returned_and_the_head_asked_at_once() -> None:
    routes = (RouteState(7, "DISHUB", None, "open"), RouteState(8, "DPUPR", None, "open"))
    five = step(5, route_id=7, opd="DISHUB")
    result = on_command(
        state((five, step(5, 101, 8, "DPUPR")), routes),
        five,
        Command(Verb.BUKAN_KEWENANGAN, text="jalan provinsi"),
    )
    assert isinstance(result, Transition)
    assert result.route_status == ((7, RouteStatus.RETURNED, "jalan provinsi"),)
    assert result.route_done == ()  # never a join
    assert [s.step for s in result.start] == [4]  # at once, although DPUPR is still open
    assert result.finish[0].command == "BUKAN KEWENANGAN" and result.finish[0].note == "jalan provinsi"


def test_the_join_waits_while_the_head_is_re_routing() -> None:
    routes = (RouteState(7, "DISHUB", None, "returned"), RouteState(8, "DPUPR", "BM", "open"))
    eight = step(8, route_id=8, opd="DPUPR")
    four = step(4, 102)
    result = on_letter_signed(state((four, eight), routes), eight, "Kepala DPUPR")
    assert isinstance(result, Transition) and result.route_done == (8,) and result.start == ()
    result = on_letter_signed(state((eight,), routes), eight, "Kepala DPUPR")
    assert isinstance(result, Transition) and [s.step for s in result.start] == [10]


def test_forwarding_to_a_returned_route_needs_paksa_and_reopens_it() -> None:
    routes = (RouteState(7, "DISHUB", None, "returned", note="jalan provinsi"),)
    four = step(4)
    refused = on_command(state((four,), routes), four, Command(Verb.TERUSKAN, opds=("DISHUB",)))
    assert isinstance(refused, Refusal) and refused.code == "route_returned" and refused.detail == "DISHUB"
    forced = on_command(state((four,), routes), four, Command(Verb.TERUSKAN, opds=("DISHUB",), force=True))
    assert isinstance(forced, Transition)
    assert forced.route_status == ((7, RouteStatus.OPEN, ""),) and forced.new_routes == ()
    assert [(s.step, s.route) for s in forced.start] == [(5, RouteRef("DISHUB", 7))]


def test_kembalikan_reopens_the_drafting_step_of_one_route() -> None:
    done = frozenset({5, 6, 7, 8, 9})
    routes = (RouteState(7, "DISHUB", "PJU", "done", done), RouteState(8, "DPUPR", "BM", "done", done))
    ten = step(10)
    which = on_command(state((ten,), routes), ten, Command(Verb.KEMBALIKAN, text="lengkapi"))
    assert isinstance(which, Refusal) and which.code == "which_route" and which.detail == "DISHUB, DPUPR"
    result = on_command(state((ten,), routes), ten, Command(Verb.KEMBALIKAN, opds=("DPUPR",), text="foto"))
    assert isinstance(result, Transition)
    assert result.route_status == ((8, RouteStatus.OPEN, "foto"),)
    assert result.start == (
        Start(7, Role.KABID, RouteRef("DPUPR", 8), "BM", (DocumentKind.LEMBAR_DISPOSISI,)),
    )


def test_after_close_commands() -> None:
    closed = state((), (), status="closed")
    sent = WORKFLOW.on_after_close(closed, Command(Verb.KIRIM, text="Tiang akan dicek."))
    assert isinstance(sent, Transition) and sent.notify_complainant == "message" and sent.start == ()
    reopened = WORKFLOW.on_after_close(closed, Command(Verb.BUKA_KEMBALI, text="mati lagi"))
    assert isinstance(reopened, Transition) and reopened.reopen and reopened.reopen_reason == "mati lagi"
    assert reopened.start == (Start(2, Role.IKP),)
    still_open = WORKFLOW.on_after_close(state(), Command(Verb.BUKA_KEMBALI, text="x"))
    assert isinstance(still_open, Refusal) and still_open.code == "case_open"
    wrong = WORKFLOW.on_after_close(closed, Command(Verb.SETUJU))
    assert isinstance(wrong, Refusal) and wrong.code == "wrong_command"
    anonymous = WORKFLOW.on_after_close(
        state((), (), status="closed", complainant_email=None), Command(Verb.KIRIM, text="x")
    )
    assert isinstance(anonymous, Refusal) and anonymous.code == "no_complainant"
