"""`mailflow cases` and `mailflow case <number>`: the complaints and one complaint's timeline.

At step 8 the timeline also lists every signed PDF refused while the step waited, one line each:
"ditolak: <reason>, <time>, <file>" (`--json`: the full reason, code, source, sender and hash).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, tzinfo
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from mailflow.adapters.db.models import Case
from mailflow.cli.common import JsonOption, LangOption, console, emit_json, h, shown, state, t
from mailflow.domain.calendar import format_local
from mailflow.domain.durations import format_seconds
from mailflow.domain.safe_text import escape
from mailflow.errors import NotFoundError
from mailflow.i18n import has
from mailflow.services.conversation.timeline import (
    AnswerRow,
    RefusedFile,
    ReplyRow,
    StepRow,
    answers,
    complainant_replies,
    documents,
    list_cases,
    timeline,
)
from mailflow.services.outbound.outbox import failed_counts, failed_mails


def register(app: typer.Typer) -> None:
    app.command("cases", help=h("Daftar aduan", "List complaints"))(cases_command)
    app.command("case", help=h("Linimasa satu aduan", "Timeline of one complaint"))(case_command)


def cases_command(
    ctx: typer.Context,
    only_open: bool = typer.Option(False, "--open", help=h("Hanya yang berjalan", "Only open ones")),
    only_overdue: bool = typer.Option(
        False, "--overdue", help=h("Hanya yang terlambat", "Only overdue ones")
    ),
    lang: str | None = LangOption,
    as_json: bool = JsonOption,
) -> None:
    st = state(ctx)
    app = st.app()
    language = st.lang(lang)
    now = app.clock.now()
    with app.database.reader() as session:
        rows = list_cases(session, now, only_open=only_open, only_overdue=only_overdue)
        failed = failed_counts(session, [row.number for row in rows])
    if as_json:
        emit_json([{**row.__dict__, "failed_mails": failed.get(row.number, 0)} for row in rows])
        return
    if not rows:
        console.print(t("engine.cli.no_cases", language))
        return
    table = Table()
    for key in ("number", "received", "subject", "status", "step"):
        table.add_column(t(f"engine.cli.col.{key}", language))
    table.add_column("OPD")
    for row in rows:
        status = t(f"engine.case.status.{row.status}", language)
        if row.overdue:
            status += " (!)"
        if failed.get(row.number):
            status += "\n" + t("outbox.cli.failed_count", language, count=failed[row.number])
        table.add_row(
            row.number,
            _when(row.received, app.zone, language),
            shown(row.subject, limit=60),
            status,
            str(row.current_step or "-"),
            shown(row.opds),
        )
    console.print(table)


def case_command(
    ctx: typer.Context,
    number: str = typer.Argument(..., help=h("Nomor aduan, mis. LPR-2026-00042", "Complaint number")),
    lang: str | None = LangOption,
    as_json: bool = JsonOption,
) -> None:
    st = state(ctx)
    app = st.app()
    language = st.lang(lang)
    now = app.clock.now()
    with app.database.reader() as session:
        case = session.execute(select(Case).where(Case.number == number.strip().upper())).scalar_one_or_none()
        if case is None:
            raise NotFoundError(t("engine.cli.not_found", language, number=number))
        rows = timeline(session, case, app.sop, app.calendar, app.directory, now, language)
        docs = documents(session, case)
        replies = complainant_replies(session, case)
        answered = answers(session, case)
        route_rows = [{"opd": r.opd_code, "status": r.status, "note": r.note} for r in case.routes]
        header = {
            "number": case.number,
            "subject": case.subject,
            "status": case.status,
            "track": case.track,
            "received": case.received_at.isoformat(),
            "closed": case.closed_at.isoformat() if case.closed_at else None,
            "round": case.round,
        }
        doc_rows = [
            {
                "kind": d.kind,
                "number": d.number,
                "doc_id": d.doc_uid,
                "docx": d.docx_path,
                "pdf": d.pdf_path,
                "status": d.status,
                "revision": d.revision,
            }
            for d in docs
        ]
        failed = [
            {"id": m.id, "kind": m.kind, "to": m.to_addr, "reason": m.last_error or ""}
            for m in failed_mails(session, case.id)
        ]
    if as_json:
        steps = [_step_json(r, app.zone, language) for r in rows]
        emit_json(
            {
                **header,
                "steps": steps,
                "routes": route_rows,
                "documents": doc_rows,
                "complainant_replies": [asdict(r) for r in replies],
                "answers": [asdict(a) for a in answered],
                "failed_mails": failed,
            }
        )
        return
    console.print(
        t("engine.cli.case_title", language, number=shown(header["number"]), subject=shown(header["subject"]))
    )
    table = Table()
    for key in ("step", "actor", "started", "finished", "taken", "limit", "result", "source"):
        table.add_column(t(f"engine.cli.col.{key}", language), overflow="fold")
    for row in rows:
        round_label = "\n" + t("branches.cli.round", language, round=row.attempt) if row.attempt > 1 else ""
        table.add_row(
            f"{row.step}{' ' + shown(row.opd) if row.opd else ''}{round_label}\n{shown(row.name)}",
            shown(row.actor),
            _when(row.started, app.zone, language),
            _when(row.finished, app.zone, language) if row.finished else "-",
            format_seconds(row.business_seconds, language),
            row.limit,
            "\n".join([_result(row, language), *(_refusal(f, app.zone, language) for f in row.refusals)]),
            shown(row.command or "")
            + (f"\n{shown(row.note, limit=120)}" if row.note else "")
            + (f"\n{shown(row.source)}" if row.source else ""),
        )
    console.print(table)
    if doc_rows:
        console.print(t("engine.cli.documents", language))
        for doc in doc_rows:
            where = doc["pdf"] or doc["docx"] or ""
            revision = (
                f" {t('branches.cli.revision', language, n=doc['revision'])}" if doc["revision"] else ""
            )
            console.print(shown(f"  {doc['kind']} {doc['number'] or ''} [{doc['doc_id']}]{revision} {where}"))
    _print_branches(route_rows, replies, answered, app.zone, language)
    if failed:
        console.print(t("outbox.cli.failed_title", language), markup=False)
        for mail in failed:
            line = t("outbox.cli.failed_line", language, id=mail["id"], kind=mail["kind"],
                     to=mail["to"], reason=mail["reason"])  # fmt: skip
            console.print(shown(line), markup=False)


def _print_branches(
    route_rows: list[dict[str, Any]],
    replies: list[ReplyRow],
    answered: list[AnswerRow],
    zone: tzinfo,
    language: str,
) -> None:
    """Returned routes, the complainant's replies and answers (issue 13)."""
    for route in route_rows:
        if route["status"] == "returned":
            console.print(
                shown(t("branches.cli.returned", language, opd=route["opd"], note=route["note"] or "-"))
            )
    if replies:
        console.print(t("branches.cli.replies", language))
        for reply in replies:
            when = t(
                "branches.cli.after_close" if reply.after_close else "branches.cli.before_close", language
            )
            head = f"  {_when(reply.at, zone, language)} ({when}, {reply.round})"
            if reply.answer:
                head += f" {reply.answer}"
            if reply.attachments:
                head += " " + t("branches.cli.attachments", language, count=reply.attachments)
            console.print(shown(head), markup=False)
            console.print(shown("    " + " ".join(reply.text.split()), limit=300), markup=False)
    for answer in answered:
        line = t(
            "branches.cli.answer",
            language,
            question=t(f"branches.question.{answer.question}", language),
            answer=answer.answer,
            when=_when(answer.at, zone, language),
            changes=answer.changes,
        )
        console.print(
            shown(line + (f": {answer.comment}" if answer.comment else ""), limit=300), markup=False
        )


def _when(instant: datetime | None, zone: tzinfo, lang: str) -> str:
    if instant is None:
        return "-"
    return format_local(instant, zone, lang).rsplit(" ", 1)[0]


def _step_json(row: StepRow, zone: tzinfo, lang: str) -> dict[str, Any]:
    refusals = [
        {**asdict(f), "file": escape(f.file), "summary": _refusal(f, zone, lang)} for f in row.refusals
    ]
    return {**asdict(row), "refusals": refusals}


def _refusal(refused: RefusedFile, zone: tzinfo, lang: str) -> str:
    key = f"signatures.short.{refused.code}"
    reason = t(key, lang) if has(key) else refused.code
    name = escape(refused.file, limit=60)
    return t(
        "signatures.timeline.refused", lang, reason=reason, time=_when(refused.at, zone, lang), file=name
    )


def _result(row: StepRow, lang: str) -> str:
    if row.outcome == "rejected":
        return t("engine.cli.rejected", lang)
    if row.outcome == "cancelled":
        return t("engine.cli.cancelled", lang)
    if row.finished is None:
        if row.late_seconds:
            return t("engine.cli.overdue", lang, late=format_seconds(row.late_seconds, lang))
        return t("engine.cli.open", lang)
    if row.on_time:
        return t("engine.cli.on_time", lang)
    return t("engine.cli.late", lang, late=format_seconds(row.late_seconds, lang))
