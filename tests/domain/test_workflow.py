"""The SOP state machine, decision by decision, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from mailflow.domain.commands import Command, Verb
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.sop import Role, Track
from mailflow.domain.workflow import (
    CaseState,
    Info,
    OpenStep,
    Outcome,
    Refusal,
    RouteRef,
    RouteState,
    Start,
    SystemStep,
    Transition,
    on_command,
    on_letter_signed,
    on_registered,
)

T = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)


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
    assert result.finish[0].event_id == event.event_id and result.finish[0].outcome is Outcome.DONE
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
    assert result.finish[0].outcome is Outcome.REJECTED
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
