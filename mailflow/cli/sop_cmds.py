"""`mailflow sop` (the SOP table with limits) and `mailflow due` (a deadline on the calendar)."""

from __future__ import annotations

import re
from datetime import datetime

import typer
from rich.table import Table

from mailflow.bootstrap import App
from mailflow.cli.common import JsonOption, LangOption, console, emit_json, h, state, t
from mailflow.domain.calendar import format_local
from mailflow.domain.sop import Close, Sop, Step, Track
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
                "steps": [_step_json(step, language) for step in sop.steps],
                "total": sop.total().format(language),
                "total_special": sop.total(Track.SPECIAL).format(language),
                **_branches_json(sop, language),
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
        "sop.col.leads",
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
            _leads(sop, step, language),
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


def _leads(sop: Sop, step: Step, lang: str) -> str:
    """Where the step leads: "VALID → 3", "TOLAK → ditolak", "KHUSUS → tetap" (one per line)."""
    if step.next is not None:
        return f"→ {sop.by_key(step.next).number}"
    lines = []
    for rule in step.commands:
        if rule.next is not None:
            target = str(sop.by_key(rule.next).number)
        elif rule.stay:
            target = t("sop.leads.stay", lang)
        else:
            target = t(f"sop.leads.{'answered' if rule.close is Close.ANSWERED else 'rejected'}", lang)
        if rule.route is not None:
            target += f" ({t('sop.leads.' + rule.route.value, lang)})"
        lines.append(f"{rule.verb.value} → {target}")
    return "\n".join(lines)


def _step_json(step: Step, lang: str) -> dict[str, object]:
    """One step as the SOP file declares it: who, how long, how it is completed, where it leads."""
    return {
        "number": step.number,
        "key": step.key,
        "name": step.name.get(lang),
        "actor": step.actor.value,
        "alternate_actors": [a.value for a in step.alternate_actors],
        "limit": step.limit.format(lang),
        "limit_minutes": step.limit.minutes,
        "limit_days": step.limit.days,
        "special_limit": step.special_limit.format(lang) if step.special_limit else None,
        "scope": step.scope.value,
        "completion": step.completion.value,
        "by_system": step.by_system,
        "fast_path": step.fast_path,
        "letter": step.letter.value if step.letter else None,
        "attach": [kind.value for kind in step.attach],
        "cc": [role.value for role in step.cc],
        "next": step.next,
        "commands": [
            {
                "verb": rule.verb.value,
                "args": rule.args.value,
                "need": rule.need.value,
                "next": rule.next,
                "stay": rule.stay,
                "close": "answered" if rule.close is Close.ANSWERED else ("rejected" if rule.close else None),
                "track": rule.track.value if rule.track else None,
                "confirm": rule.confirm,
                "route": rule.route.value if rule.route else None,
                "aliases": list(rule.aliases),
                "desc": rule.desc.get(lang) if rule.desc else None,
            }
            for rule in step.commands
        ],
    }


def _branches_json(sop: Sop, lang: str) -> dict[str, object]:
    """What may happen after closing, and the complainant's answers (issue 13)."""
    after = sop.after_close
    return {
        "after_close": {
            "actors": [role.value for role in after.actors],
            "commands": [
                {
                    "verb": rule.verb.value,
                    "next": rule.next,
                    "to_complainant": rule.to_complainant,
                    "desc": rule.desc.get(lang) if rule.desc else None,
                }
                for rule in after.commands
            ],
        }
        if after
        else None,
        "complainant": [
            {
                "verb": rule.verb.value,
                "question": rule.question.value,
                "positive": rule.positive,
                "notify": rule.notify.value,
                "desc": rule.desc.get(lang) if rule.desc else None,
            }
            for rule in sop.complainant_commands
        ],
    }
