"""The demo's closing summary: per complaint, the steps (each round of a step done again) with
actor, business time against the limit and on time or late; routes returned, the complainant's
answers; where the letters are; where the weekly email was written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from mailflow.adapters.db.models import Case
from mailflow.bootstrap import App
from mailflow.demo.people import HARI_PENDEK
from mailflow.demo.runner import Outcome
from mailflow.demo.scenario import COMPLAINTS
from mailflow.domain.durations import format_seconds
from mailflow.i18n import translate
from mailflow.services.conversation.timeline import StepRow, answers, documents, timeline


def print_summary(console: Console, app: App, outcome: Outcome, lang: str) -> None:
    now = app.clock.now()
    with app.database.reader() as session:
        for complaint in COMPLAINTS:
            number = outcome.numbers.get(complaint.key)
            case = session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()
            if case is None:
                continue
            rows = timeline(session, case, app.sop, app.calendar, app.directory, now, lang)
            status = translate(f"engine.case.status.{case.status}", lang)
            title = f"{case.number}: {case.subject} [{status}]"
            if case.track == "special":
                title += " — " + translate("demo.special_track", lang)
            table = Table(title=title, title_justify="left", show_lines=False)
            for key in ("step", "actor", "finished", "taken", "limit", "result"):
                table.add_column(translate(f"engine.cli.col.{key}", lang))
            for row in rows:
                key = app.sop.step(row.step).key.replace("_", " ")
                again = (
                    " (" + translate("demo.round", lang, round=row.attempt) + ")" if row.attempt > 1 else ""
                )
                table.add_row(
                    f"{row.step} {key}" + (f" {row.opd}" if row.opd else "") + again,
                    _short_name(row.actor),
                    _when(app, row),
                    format_seconds(row.business_seconds, lang),
                    row.limit,
                    _result(row, lang),
                )
            console.print(table)
            declined = [r.opd_code for r in case.routes if r.status == "returned"]
            if declined:
                console.print("  " + translate("demo.returned", lang, opd=", ".join(declined)))
            given = answers(session, case)
            if given:
                listed = ", ".join(a.answer for a in given)
                console.print("  " + translate("demo.answers", lang, answers=listed), markup=False)
            folder = {Path(d.docx_path).parent for d in documents(session, case) if d.docx_path}
            for path in sorted(folder):
                console.print("  " + translate("demo.letters_at", lang, path=path))
    if outcome.weekly_files:
        console.print(translate("demo.weekly", lang))
        for kind, path in outcome.weekly_files.items():
            console.print(f"  {kind}: {path}")


def _when(app: App, row: StepRow) -> str:
    return short_time(row.finished, app) if row.finished else "-"


def short_time(instant: datetime, app: App) -> str:
    """ "Sen 30/11 10.15": enough for a week of events in a narrow terminal."""
    local = instant.astimezone(app.zone)
    return f"{HARI_PENDEK[local.weekday()]} {local:%d/%m %H.%M}"


def _short_name(name: str) -> str:
    """Without the degrees after the comma: "Drs. Hendra Gunawan, M.Si." -> "Drs. Hendra Gunawan"."""
    return name.split(",", maxsplit=1)[0]


def _result(row: StepRow, lang: str) -> str:
    if row.outcome == "rejected":
        return "[yellow]" + translate("engine.cli.rejected", lang) + "[/]"
    if row.outcome == "cancelled":
        return translate("engine.cli.cancelled", lang)
    if row.finished is None:
        return translate("engine.cli.open", lang)
    if row.on_time:
        return "[green]" + translate("engine.cli.on_time", lang) + "[/]"
    late = format_seconds(row.late_seconds, lang)
    return "[red]" + translate("engine.cli.late", lang, late=late) + "[/]"
