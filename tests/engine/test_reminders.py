"""Reminders at 50% and 100% of a step's limit and escalation to the superior, on business minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.adapters.db.engine import Database
from mailflow.services.conversation.reminders import ReminderService
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")
KADIS = "kadis.kominfo@bontangkota.go.id"
SEKDA = "sekda@bontangkota.go.id"
IKP = "ikp.kominfo@bontangkota.go.id"


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    return make_harness(database, tmp_path, datetime(2026, 11, 30, 8, 5, tzinfo=WITA))


def tick(h: Harness, service: ReminderService, hh: int, mm: int, day: int = 30, month: int = 11) -> int:
    h.clock.set(datetime(2026, month, day, hh, mm, tzinfo=WITA))
    return service.run(h.database, h.now)


def test_step_4_reminded_at_0910_and_0940_and_escalated(h: Harness) -> None:
    service = h.conversation.reminders
    h.register()
    ikp_mail = next(m for m in h.mails() if m.to_addr == IKP)
    h.reply(ikp_mail, "VALID DISHUB", advance=timedelta(minutes=35))  # 08:40: step 4 starts
    h.mails()
    assert tick(h, service, 9, 9) == 0
    assert tick(h, service, 9, 10) == 1
    half = h.mails(to=KADIS)
    assert [m.kind for m in half] == ["reminder"]
    assert "Separuh batas waktu" in half[0].text_body
    assert half[0].reply_to is not None and half[0].reply_to.startswith("lapor+")
    assert tick(h, service, 9, 11) == 0  # nothing twice
    assert tick(h, service, 9, 39) == 0
    assert tick(h, service, 9, 40) == 2
    due = h.mails(to=KADIS)
    assert [m.kind for m in due] == ["reminder"] and "Batas waktu langkah ini telah tercapai" in due[
        0
    ].text_body
    escalation = h.mails(to=SEKDA)
    assert [m.kind for m in escalation] == ["escalation"]
    assert "Langkah 4" in escalation[0].text_body and "terlambat" not in escalation[0].subject
    assert tick(h, service, 10, 30) == 0  # escalated once
    # the reminder mail can be answered directly: its Reply-To carries the token
    assert h.reply(due[0], "SETUJU").status == "applied"


def test_no_reminders_outside_working_hours_then_at_the_next_opening(h: Harness) -> None:
    service = h.conversation.reminders
    h.clock.set(datetime(2026, 11, 27, 10, 50, tzinfo=WITA))  # Friday, 10 minutes before closing
    h.register()
    h.mails()
    # step 2 (60 min) started Fri 10:50: 10 minutes on Friday, 50% on Monday 07:50, due Monday 08:20
    assert tick(h, service, 10, 59, day=27) == 0
    assert tick(h, service, 20, 0, day=28) == 0  # Saturday evening: never
    assert tick(h, service, 7, 49, day=30) == 0
    assert tick(h, service, 7, 50, day=30) == 1
    assert [m.kind for m in h.mails(to=IKP)] == ["reminder"]
    assert tick(h, service, 8, 20, day=30) == 2  # due: reminder + escalation to the head of Diskominfo
    assert [m.kind for m in h.mails(to=KADIS)] == ["escalation"]


def test_several_steps_for_one_person_come_as_one_digest(h: Harness) -> None:
    service = h.conversation.reminders
    for _ in range(3):
        h.register()
    h.mails()
    assert tick(h, service, 8, 35) == 1
    digest = h.mails(to=IKP)
    assert [m.kind for m in digest] == ["reminder.digest"]
    assert digest[0].text_body.count("LPR-2026-") == 3
    assert "3 langkah" in digest[0].subject


def test_daily_cap_holds_notices_until_the_next_day(database: Database, tmp_path: Path) -> None:
    h = make_harness(
        database,
        tmp_path,
        datetime(2026, 11, 30, 8, 5, tzinfo=WITA),
        edit={"[calendar]": "[reminders]\nmax_mails_per_person_per_day = 1\n\n[calendar]"},
    )
    service = h.conversation.reminders
    h.register()
    h.mails()
    assert tick(h, service, 8, 35) == 1  # 50%: the one mail of the day
    assert tick(h, service, 9, 5) == 1  # due: the IKP is capped, only the escalation goes out
    assert [m.kind for m in h.mails(to=IKP)] == ["reminder"]
    assert [m.kind for m in h.mails(to=KADIS)] == ["escalation"]
    assert tick(h, service, 7, 30, day=1, month=12) == 1  # next day: the held 100% reminder
    assert [m.kind for m in h.mails(to=IKP)] == ["reminder"]
