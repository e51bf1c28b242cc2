"""`mailflow sop` (the SOP table with limits) and `mailflow due` (a deadline on the calendar)."""

from __future__ import annotations

import re
from datetime import datetime

import typer
from rich.table import Table

from mailflow.bootstrap import App
from mailflow.cli.common import JsonOption, LangOption, console, emit_json, h, state, t
from mailflow.domain.calendar import format_local
from mailflow.domain.sop import Track
from mailflow.errors import UsageError

_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}[:.]\d{2}$")


def register(app: typer.Typer) -> None:
    app.command(
        "sop",
        help=h("Tampilkan langkah SOP beserta batas waktunya", "Show the SOP steps and their limits"),
    )(sop_command)
    app.command("due", help=h("Hitung batas waktu sebuah langkah", "Compute the deadline of a step"))(
        due_command
    )


def sop_command(ctx: typer.Context, lang: str | None = LangOption, as_json: bool = JsonOption) -> None:
    st = state(ctx)
    app = st.app()
    language = st.lang(lang)
    sop = app.sop
    if as_json:
        emit_json(
            {
                "code": sop.code,
                "title": sop.title.get(language),
                "steps": [
                    {
                        "number": s.number,
                        "key": s.key,
                        "name": s.name.get(language),
                        "actor": s.actor.value,
                        "alternate_actors": [a.value for a in s.alternate_actors],
                        "limit": s.limit.format(language),
                        "limit_minutes": s.limit.minutes,
                        "limit_days": s.limit.days,
                        "special_limit": s.special_limit.format(language) if s.special_limit else None,
                        "scope": s.scope.value,
                        "by_system": s.by_system,
                        "fast_path": s.fast_path,
                    }
                    for s in sop.steps
                ],
                "total": sop.total().format(language),
                "total_special": sop.total(Track.SPECIAL).format(language),
            }
        )
        return
    table = Table(
        title=t("sop.title", language, code=sop.code, title=sop.title.get(language)),
        show_lines=False,
    )
    for key in (
        "sop.col.step",
        "sop.col.name",
        "sop.col.actor",
        "sop.col.limit",
        "sop.col.scope",
        "sop.col.by",
    ):
        table.add_column(t(key, language), overflow="fold")
    for step in sop.steps:
        limit = step.limit.format(language)
        if step.special_limit:
            limit += f"\n({t('sop.special', language, limit=step.special_limit.format(language))})"
        name = step.name.get(language)
        if step.fast_path:
            name += f"\n({t('sop.fast_path', language)})"
        actors = " / ".join(sop.role_name(r, language) for r in step.actors())
        table.add_row(
            str(step.number),
            name,
            actors,
            limit,
            t(f"sop.scope.{step.scope.value}", language),
            t("sop.by.system" if step.by_system else "sop.by.person", language),
        )
    console.print(table)
    console.print(t("sop.total", language, total=sop.total().format(language)))
    console.print(t("sop.total_special", language, total=sop.total(Track.SPECIAL).format(language)))


def due_command(
    ctx: typer.Context,
    step: int = typer.Option(
        ..., "--step", "-s", help=h("Nomor langkah SOP (1-11)", "SOP step number (1-11)")
    ),
    start: str = typer.Option(
        ...,
        "--start",
        help=h(
            'Waktu mulai, WITA bila tanpa zona: "2026-03-17 15:00"',
            'Start time, in WITA unless it has an offset: "2026-03-17 15:00"',
        ),
    ),
    track: Track = typer.Option(Track.NORMAL, "--track", help=h("Jalur: normal atau special", "Track")),
    lang: str | None = LangOption,
    as_json: bool = JsonOption,
) -> None:
    st = state(ctx)
    app = st.app()
    language = st.lang(lang)
    sop = app.sop
    try:
        chosen = sop.step(step)
    except KeyError:
        raise UsageError(t("due.bad_step", language, step=step, count=len(sop.steps))) from None
    started = parse_start(start, app, language)
    limit = chosen.limit_for(track)
    deadline = app.calendar.add(started, limit)
    label = app.settings.general.zone_label
    if as_json:
        emit_json(
            {
                "step": chosen.number,
                "track": track.value,
                "start": started.isoformat(),
                "limit": limit.format(language),
                "due": deadline.astimezone(app.zone).isoformat(),
                "due_utc": deadline.isoformat(),
                "business_seconds": app.calendar.business_seconds(started, deadline),
            }
        )
        return
    console.print(
        t(
            "due.result",
            language,
            step=chosen.number,
            name=chosen.name.get(language),
            start=format_local(started, app.zone, language, label),
        )
    )
    console.print(t("due.limit", language, limit=limit.format(language)))
    console.print(t("due.deadline", language, due=format_local(deadline, app.zone, language, label)))


def parse_start(text: str, app: App, language: str) -> datetime:
    """A start time; without an offset it is read in the city's zone."""
    zone = app.zone
    cleaned = text.strip()
    try:
        if _LOCAL.match(cleaned):
            return datetime.strptime(cleaned.replace("T", " ").replace(".", ":"), "%Y-%m-%d %H:%M").replace(
                tzinfo=zone
            )
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise UsageError(t("due.bad_start", language, value=text)) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
