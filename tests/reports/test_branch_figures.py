"""The branches in the reports and the weekly email (issue 13), checked against hand counts of a
week played through the engine: one complaint misrouted, re-routed and sent back for revision,
one closed, rated, reopened and answered again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Document
from mailflow.domain.periods import PeriodKind, period_containing
from mailflow.services.reports.branches import Answers, branch_figures
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.figures import compute_figures
from mailflow.services.reports.weekly_email import build_weekly_email
from tests.engine.harness import Harness
from tests.engine.test_branches import (
    ADMIN,
    IKP,
    KADIS,
    SEK_DISHUB,
    SITI,
    closed_case,
    latest,
    only,
    sign,
    to_step_8,
)
from tests.engine.test_branches import h as harness  # noqa: F401  (the fixture)


def play_week(h: Harness) -> tuple[str, str]:
    """Case A: DISHUB declines, the head re-routes to DPUPR two hours later (round 2 of step 4,
    late), DPUPR's answer is sent back once, the complainant is satisfied. Case B: DISHUB answers,
    the complainant is not satisfied and says the problem is not solved, the case is reopened
    and answered again through DISHUB (new rounds, not a revision)."""
    a = h.register(subject="Jalan berlubang di Jl. Awang Long", email="andi@gmail.com", name="Andi")
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "BUKAN KEWENANGAN: jalan, bukan lampu; kewenangan DPUPR")
    h.reply(only(h.mails(), KADIS), "TERUSKAN DPUPR", advance=timedelta(hours=2))
    to_step_8(h, a, "DPUPR")
    sign(h, a, "DPUPR")
    h.reply(latest(h, IKP, "action.10"), "KEMBALIKAN: lampirkan foto hasil perbaikan")
    h.reply(
        latest(h, "binamarga.dpupr@bontangkota.go.id", "action.7"),
        "TANGGAPAN\nSudah ditambal, foto terlampir.",
    )
    sign(h, a, "DPUPR")
    h.reply(latest(h, IKP, "action.10"), "SETUJU")
    h.reply(latest(h, ADMIN, "action.11"), "KIRIM")
    h.reply(latest(h, "andi@gmail.com", "complainant_answer"), "PUAS")

    b = closed_case(h)
    answer = latest(h, SITI, "complainant_answer")
    h.reply(answer, "Tidak puas: lampu hanya menyala sebentar.")
    h.reply(answer, "BELUM")
    forward = latest(h, ADMIN, "complainant.forward")
    h.reply(forward, "BUKA KEMBALI: lampu mati lagi")
    h.reply(latest(h, IKP, "action.2"), "VALID DISHUB")
    h.reply(latest(h, KADIS, "action.4"), "SETUJU")
    to_step_8(h, b, "DISHUB")
    sign(h, b, "DISHUB")
    h.reply(latest(h, IKP, "action.10"), "SETUJU")
    h.reply(latest(h, ADMIN, "action.11"), "KIRIM")
    return a, b


@pytest.fixture
def week(harness: Harness) -> Harness:  # noqa: F811
    play_week(harness)
    return harness


def test_branch_figures_match_hand_counts(week: Harness) -> None:
    h = week
    period = period_containing(PeriodKind.WEEKLY, h.now.astimezone(h.calendar.zone).date())
    assert period.first.isoformat() == "2026-11-30"
    with h.database.reader() as session:
        figures = branch_figures(session, h.conversation.mails.sop, period.bounds(h.calendar.zone))
        standard = compute_figures(
            session, period, now=h.now, calendar=h.calendar, sop=h.conversation.mails.sop
        )
    assert (figures.misrouted, figures.revisions, figures.reopened) == (1, 1, 1)
    assert figures.satisfaction == Answers(2, 1) and figures.resolved == Answers(1, 0)
    opds = {o.opd_code: o for o in figures.opds}
    assert (opds["DISHUB"].misrouted, opds["DISHUB"].revisions) == (1, 0)  # B's 2nd round is no revision
    assert (opds["DPUPR"].misrouted, opds["DPUPR"].revisions) == (0, 1)
    assert opds["DPUPR"].satisfaction == Answers(1, 1)  # A's DISHUB route was returned: not counted
    assert opds["DISHUB"].satisfaction == Answers(1, 0) and opds["DISHUB"].resolved == Answers(1, 0)
    # a repeated step counts every round, each judged against its own deadline: step 4 ran twice
    # in A (the second round answered two hours after its start: late) and twice in B
    step4 = next(s for s in standard.steps if s.step == 4)
    assert (step4.timing.finished, step4.timing.on_time) == (4, 3)
    step7 = next(s for s in standard.steps if s.step == 7)
    assert step7.timing.finished == 4  # A: 2 rounds (revision), B: 2 rounds (reopened)


def test_weekly_email_and_report_show_the_branches(week: Harness, tmp_path: Path) -> None:
    h = week
    sop = h.conversation.mails.sop
    ctx = ReportContext(
        database=h.database,
        calendar=h.calendar,
        sop=sop,
        directory=h.directory,
        lang="id",
        now=h.now + timedelta(days=7),
        output_root=tmp_path / "reports",
    )
    period = period_containing(PeriodKind.WEEKLY, h.now.astimezone(h.calendar.zone).date())
    email = build_weekly_email(ctx, period)
    assert "Salah alamat 1, revisi 1, dibuka kembali 1" in email.text
    assert "Jawaban kepuasan 2 (50% PUAS)" in email.text
    assert "DPUPR (DPUPR): salah alamat 0, revisi 1, PUAS 100% dari 1" in email.text
    assert "% PUAS" in email.html and "Dibuka kembali: 1" in email.html


def test_a_return_after_a_forced_re_route_is_still_a_revision(harness: Harness) -> None:  # noqa: F811
    """DISHUB declines, the head sends it back to DISHUB with PAKSA (its route's steps run a
    second round), then the IKP sends DISHUB's answer back: one misrouted, one revision, and the
    revised letter keeps the first letter's number."""
    h = harness
    number = h.register()
    h.reply(only(h.mails(), IKP), "VALID DISHUB")
    h.reply(only(h.mails(), KADIS), "SETUJU")
    h.reply(only(h.mails(), SEK_DISHUB), "BUKAN KEWENANGAN: coba DPUPR")
    h.reply(only(h.mails(), KADIS), "TERUSKAN DISHUB PAKSA")
    to_step_8(h, number, "DISHUB")
    sign(h, number, "DISHUB")
    h.reply(latest(h, IKP, "action.10"), "KEMBALIKAN: lengkapi tanggal")
    h.reply(latest(h, "pju.dishub@bontangkota.go.id", "action.7"), "TANGGAPAN\nDiganti 1 Desember.")
    period = period_containing(PeriodKind.WEEKLY, h.now.astimezone(h.calendar.zone).date())
    with h.database.reader() as session:
        figures = branch_figures(session, h.conversation.mails.sop, period.bounds(h.calendar.zone))
        letters = session.execute(
            select(Document.number, Document.revision)
            .where(Document.kind == "surat_tanggapan")
            .order_by(Document.id)
        ).all()
    assert (figures.misrouted, figures.revisions) == (1, 1)
    assert [(o.opd_code, o.misrouted, o.revisions) for o in figures.opds] == [("DISHUB", 1, 1)]
    assert [r for _, r in letters] == [0, 1] and letters[0][0] == letters[1][0]
