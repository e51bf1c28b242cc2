"""Issue 14 point 6 over Dovecot and aiosmtpd, on SQLite and PostgreSQL: KHUSUS keeps its reason.

The Kepala Dinas approves from Gmail with "SETUJU KHUSUS: <alasan>" typed between the quoted
blocks; the reason is stored with the case (who, when) and shown on the special-track line of the
action mails that follow; the Kabid's later "KHUSUS <alasan>" replaces it and is repeated in the
confirmation; the reason shows in `mailflow case` (text and --json) and in
the day's report list of special-track cases.
"""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import Case
from tests.cli.helpers import run_cli
from tests.hostile.reply_mails import WITA
from tests.hostile.test_reply_over_dovecot import IKP, KADIS, SEK_DISHUB, Site
from tests.hostile.test_reply_over_dovecot import site as site  # noqa: PLC0414  (the fixture)
from tests.intake.test_replies_live import (
    KABID_PJU,
    KADIS_DISHUB,
    deliver,
    gmail_interleaved,
    outlook_top,
    thunderbird_bottom,
)

pytestmark = [pytest.mark.imap, pytest.mark.slow]

REASON = "perlu tinjauan lapangan bersama PLN dan DPUPR"
LATER = "menunggu jadwal pemadaman dari PLN"


def test_the_special_track_keeps_its_reason(site: Site) -> None:
    number = site.complaint()
    assert deliver(
        site, thunderbird_bottom(site, site.mail("action.2", IKP), IKP, "VALID DISHUB")
    ).status == ("processed")
    approve = deliver(
        site, gmail_interleaved(site, site.mail("action.4", KADIS), KADIS, f"SETUJU KHUSUS: {REASON}")
    )
    assert approve.status == "processed", approve.quarantine_reason
    with site.env.db.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert (case.track, case.special_reason, case.special_by) == ("special", REASON, KADIS)
        assert case.special_at is not None
        routes = [r.opd_code for r in case.routes]
    assert routes == ["DISHUB"]  # the reason was not read as an OPD name
    action = site.mail("action.5", SEK_DISHUB)
    assert f"Alasan      : {REASON}" in action.text_body
    assert f"Alasan: {REASON}" in (action.html_body or "")
    # later, the Kabid asks for the special track again at the drafting step, with a new reason
    # (Outlook, above the history): the confirmation repeats it and the last reason counts
    site.answer(site.mail("action.5", SEK_DISHUB), "TERIMA")
    site.answer(site.mail("action.6", KADIS_DISHUB), "DISPOSISI PJU: mohon dicek")
    again = deliver(site, outlook_top(site, site.mail("action.7", KABID_PJU), KABID_PJU, f"KHUSUS {LATER}"))
    assert again.status == "processed", again.quarantine_reason
    confirm = site.mail("confirm.special_track", KABID_PJU)
    assert f"dengan alasan: {LATER}" in confirm.text_body
    with site.env.db.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert (case.special_reason, case.special_by) == (LATER, KABID_PJU)

    shown = run_cli("--config", site.env.config, "case", number, "--json")
    assert shown.returncode == 0, shown.stderr
    header = json.loads(shown.stdout)
    assert (header["special_reason"], header["special_by"]) == (LATER, KABID_PJU)
    assert datetime.fromisoformat(header["special_at"]).tzinfo is not None
    text = run_cli("--config", site.env.config, "case", number)
    assert text.returncode == 0, text.stderr
    assert "Jalur khusus sejak" in text.stdout and LATER in text.stdout

    day = site.clock.now().astimezone(WITA).date().isoformat()
    out = site.env.root / "reports"
    made = run_cli("--config", site.env.config, "report", "daily", day, "--out", out)
    assert made.returncode == 0, made.stderr
    (xlsx,) = out.rglob("*.xlsx")
    sheet = openpyxl.load_workbook(xlsx)["Jalur khusus"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(row[1], row[6]) for row in values] == [(number, LATER)]
