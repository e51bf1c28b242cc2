"""Another SOP runs without code changes: the shipped regency procedure (8 steps, no secretary,
no memo, limits in days) drives complaints from intake to closing over Dovecot and aiosmtpd, with
LibreOffice letters and pyHanko-signed PDFs, the officials following what its file declares; the
timeline, the reports and `mailflow sop --json` read the same file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Case, OutboxMail, StepEvent
from mailflow.config.sop_file import REGENCY_SOP, shipped_sop_path
from mailflow.demo.runner import DemoRunner
from mailflow.domain.periods import PeriodKind, period_containing
from mailflow.services.reports import generate_report
from tests.cli.helpers import run_cli
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.mail_servers import unique_address
from tests.integration.test_full_procedure import DovecotMailbox

pytestmark = [pytest.mark.imap, pytest.mark.libreoffice, pytest.mark.slow]


@pytest.fixture(scope="module")
def regency(dovecot: DovecotServer, tmp_path_factory: pytest.TempPathFactory) -> DemoRunner:
    mailbox = DovecotMailbox(dovecot, dovecot.add_user(unique_address("pengaduan")))
    runner = DemoRunner(
        tmp_path_factory.mktemp("regency") / "site", imap=mailbox, convert=True,
        shift=-timedelta(weeks=4), sop=shipped_sop_path(REGENCY_SOP),
    )  # fmt: skip
    runner.start()
    runner.play()
    yield runner
    runner.stop()


def test_both_complaints_close_through_the_eight_declared_steps(regency: DemoRunner) -> None:
    assert regency.outcome.problems == []
    assert regency.app is not None
    with regency.app.database.reader() as session:
        for key, opds in (("A", {"DISHUB"}), ("C", {"DPUPR", "DLH"})):
            case = session.execute(
                select(Case).where(Case.number == regency.outcome.numbers[key])
            ).scalar_one()
            assert case.status == "closed"
            events = session.execute(select(StepEvent).where(StepEvent.case_id == case.id)).scalars().all()
            assert {e.step for e in events} == set(range(1, 9))
            assert {e.opd_code for e in events if e.opd_code} == opds
            route_steps = sorted({e.step for e in events if e.opd_code})
            assert route_steps == [4, 5, 6]  # disposisi_opd, konsep_tanggapan, tanda_tangan
            assert all(e.actor_role != "SEKRETARIS" for e in events)
            assert all(e.on_time for e in events)


def test_the_officials_got_the_files_texts_and_letters(regency: DemoRunner) -> None:
    assert regency.app is not None and regency.smtp is not None
    with regency.app.database.reader() as session:
        subjects = [m.subject for m in session.execute(select(OutboxMail)).scalars()]
    assert any("Pengaduan baru, mohon verifikasi" in s for s in subjects)
    assert any("Mohon disposisi pengaduan" in s for s in subjects)
    assert not any("nota dinas" in s.lower() for s in subjects)  # no memo step in this SOP
    answered = [r for r in regency.smtp.all_received() if r.to == "andi.saputra@gmail.com"]
    kinds = [str(r.message["Subject"]) for r in answered]
    assert any("Jawaban atas aduan Anda" in k for k in kinds)
    final = next(r for r in answered if "Jawaban atas aduan Anda" in str(r.message["Subject"]))
    pdfs = [
        p.get_filename()
        for p in final.message.iter_attachments()
        if (p.get_filename() or "").endswith(".pdf")
    ]
    assert len(pdfs) == 2  # one signed letter from each OPD


def test_the_cli_timeline_sop_and_reports_read_the_same_file(regency: DemoRunner) -> None:
    assert regency.app is not None
    config = regency.folder / "mailflow.toml"
    sop = json.loads(run_cli("-c", config, "sop", "--json").stdout)
    assert [s["key"] for s in sop["steps"]][:3] == ["registrasi", "verifikasi", "disposisi_kepala"]
    assert sop["steps"][5]["completion"] == "signed_letter"
    timeline = json.loads(run_cli("-c", config, "case", regency.outcome.numbers["C"], "--json").stdout)
    names = {s["step"]: s["name"] for s in timeline["steps"]}
    assert names[6] == "Menandatangani surat jawaban"
    day = (regency.clock.now() - timedelta(days=1)).astimezone(regency.app.zone).date()
    period = period_containing(PeriodKind.MONTHLY, day)
    report, files = generate_report(regency.app.report_context(), PeriodKind.MONTHLY, period)
    assert files.docx is not None and files.xlsx is not None and Path(files.xlsx).exists()
    assert any("Menyusun jawaban pengaduan" in str(row) for table in report.tables for row in table.rows)
