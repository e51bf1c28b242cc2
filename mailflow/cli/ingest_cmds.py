"""`mailflow poll`, `send`, `quarantine list|show|retry` and `rules check [FILE.eml]`."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from mailflow.adapters.db.models import Message
from mailflow.bootstrap import App
from mailflow.cli.common import (
    JsonOption,
    console,
    emit_json,
    err_console,
    h,
    shown,
    state,
    stop_on_signals,
    t,
)
from mailflow.config.model import MailboxSection
from mailflow.domain.safe_text import escape
from mailflow.errors import ConfigError, MailflowError, NotFoundError, UsageError

quarantine_app = typer.Typer(
    help=h(
        "Pesan yang dikarantina: daftar, rincian, proses ulang", "Quarantined messages: list, show, retry"
    ),
    no_args_is_help=True,
)
rules_app = typer.Typer(
    help=h("Aturan kotak masuk (inbox_rules)", "Inbox rules (inbox_rules)"), no_args_is_help=True
)
MailboxOption = typer.Option(None, "--mailbox", "-m", help=h("Hanya kotak surat ini", "Only this mailbox"))


def register(app: typer.Typer) -> None:
    app.command("poll", help=h("Baca kotak surat IMAP dan proses email masuk", "Read the IMAP mailboxes"))(
        poll_command
    )
    app.command("send", help=h("Kirim email dari outbox lewat SMTP", "Deliver outbox mail over SMTP"))(
        send_command
    )
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(rules_app, name="rules")


def poll_command(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help=h("Satu kali lalu berhenti", "One pass, then stop")),
    mailbox: str | None = MailboxOption,
    as_json: bool = JsonOption,
) -> None:
    from mailflow.bootstrap import ingest as ingest_app  # noqa: PLC0415 - imapclient loads only here

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    if not app.settings.mailboxes:
        raise ConfigError(t("ingest.no_mailboxes", lang), key="mailboxes")
    if once:
        results = ingest_app.poll_once(app, mailbox)
        if as_json:
            emit_json({name: _stats(s) for name, s in results.items()})
            return
        for name, stats in results.items():
            console.print(t("ingest.poll_result", lang, mailbox=name, **_stats(stats)))
        return
    stop = threading.Event()
    stop_on_signals(stop)
    pollers = ingest_app.run_pollers(app, stop, mailbox)
    console.print(t("ingest.polling", lang, count=len(pollers)))
    stop.wait()
    for poller in pollers:  # let each finish its message (a kill would be safe too, only slower)
        if poller.thread is not None:
            poller.thread.join(timeout=60)
    console.print(t("ingest.stopped", lang))


def _stats(stats: object) -> dict[str, int]:
    keys = ("seen", "processed", "skipped", "quarantined", "marked", "cycles", "reconnects")
    return {k: int(getattr(stats, k)) for k in keys}


def send_command(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help=h("Satu kali lalu berhenti", "One pass, then stop")),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.bootstrap import ingest as ingest_app  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    sender = ingest_app.build_sender(app)
    if once:
        stats = sender.send_pass()
        if as_json:
            emit_json(asdict(stats))
        else:
            console.print(t("ingest.send_result", lang, **asdict(stats)))
        return
    stop = threading.Event()
    stop_on_signals(stop)
    console.print(t("ingest.sending", lang))
    sender.run(stop)
    console.print(t("ingest.stopped", lang))


# --- quarantine -----------------------------------------------------------------------------


@quarantine_app.command("list", help=h("Daftar pesan di karantina", "List quarantined messages"))
def quarantine_list(
    ctx: typer.Context,
    include_released: bool = typer.Option(
        False, "--all", help=h("Termasuk yang sudah diproses ulang", "Include released items")
    ),
    ignored: bool = typer.Option(
        False,
        "--ignored",
        help=h(
            "Email yang diabaikan aturan (buletin, notifikasi), dengan ID pesannya",
            "Mails the rules ignored (newsletters, notifications), with their message ids",
        ),
    ),
    days: int = typer.Option(
        30, "--days", min=1, help=h("Dengan --ignored: hari terakhir", "With --ignored: the last days")
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.ingest.quarantine import list_items  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    if ignored:
        _ignored_list(app, lang, days, as_json)
        return
    items = list_items(app.database, include_released=include_released)
    if as_json:
        emit_json([asdict(item) for item in items])
        return
    if not items:
        console.print(t("ingest.q.empty", lang))
        return
    table = Table(title=t("ingest.q.title", lang, count=len(items)))
    for key in ("id", "when", "mailbox", "from", "subject", "reason"):
        table.add_column(t(f"ingest.q.col.{key}", lang), overflow="fold")
    for item in items:
        table.add_row(
            str(item.id),
            _local(app, item.created_at),
            shown(item.account or "-"),
            shown(item.from_addr or "-"),
            shown(item.subject or "-"),
            shown(f"{item.reason_code}: {item.reason}"),
        )
    console.print(table)


def _ignored_list(app: App, lang: str, days: int, as_json: bool) -> None:
    from datetime import timedelta  # noqa: PLC0415

    from mailflow.services.ingest.ignored import ignored_mails  # noqa: PLC0415

    with app.database.reader() as session:
        mails = ignored_mails(session, since=app.clock.now() - timedelta(days=days))
    if as_json:
        emit_json([asdict(mail) for mail in mails])
        return
    if not mails:
        console.print(t("ingest.ignored.empty", lang, days=days))
        return
    table = Table(title=t("ingest.ignored.title", lang, count=len(mails), days=days))
    for key in ("id", "when", "mailbox", "from", "subject", "rule"):
        table.add_column(t(f"ingest.ignored.col.{key}", lang), overflow="fold")
    for mail in mails:
        rule = mail.rule or t("ingest.ignored.automated", lang)
        table.add_row(
            str(mail.id),
            _local(app, mail.received_at),
            shown(mail.account),
            shown(mail.from_addr or "-"),
            shown(mail.subject or "-"),
            shown(f"{rule}: {mail.reason}" if mail.reason else rule),
        )
    console.print(table)
    console.print(t("ingest.ignored.hint", lang), markup=False)


@quarantine_app.command("show", help=h("Rincian satu item karantina", "Show one quarantine item"))
def quarantine_show(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., help=h("ID item", "Item id")),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.ingest.quarantine import show_item  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    item = show_item(app.database, item_id, lang)
    if as_json:
        emit_json(asdict(item))
        return
    rows = [
        ("ingest.q.col.id", str(item.id)),
        ("ingest.q.col.when", _local(app, item.created_at)),
        ("ingest.q.col.mailbox", item.account or "-"),
        ("ingest.q.col.from", item.from_addr or "-"),
        ("ingest.q.col.subject", item.subject or "-"),
        ("ingest.q.col.reason", f"{item.reason_code}: {item.reason}"),
        ("ingest.q.field.message", str(item.message_id or "-")),
        ("ingest.q.field.status", item.status or "-"),
        ("ingest.q.field.attempts", str(item.attempts if item.attempts is not None else "-")),
        ("ingest.q.field.raw", item.raw_path or "-"),
        ("ingest.q.field.retries", str(item.retries)),
        ("ingest.q.field.released", _local(app, item.released_at) if item.released_at else "-"),
    ]
    for key, value in rows:  # markup=False: a subject is text, not Rich markup
        console.print(f"{t(key, lang)}: {escape(value)}", markup=False)


@quarantine_app.command(
    "retry", help=h("Proses ulang pesan dari karantina", "Process a quarantined message again")
)
def quarantine_retry(
    ctx: typer.Context,
    item_id: int = typer.Argument(
        ...,
        help=h(
            "ID item karantina; dengan --as-complaint: ID pesan (dari `quarantine list --ignored` atau "
            "`quarantine show`)",
            "Quarantine item id; with --as-complaint: the message id (from `quarantine list --ignored` "
            "or `quarantine show`)",
        ),
    ),
    as_complaint: bool = typer.Option(
        False,
        "--as-complaint",
        help=h(
            "Daftarkan pesan yang diabaikan atau dikarantina sebagai aduan (sekali)",
            "Register an ignored or quarantined message as a complaint (once)",
        ),
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.adapters.db.models import Case  # noqa: PLC0415
    from mailflow.bootstrap import ingest as ingest_app  # noqa: PLC0415
    from mailflow.services.ingest.quarantine import release_for_retry, show_item  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    if as_complaint:
        _take_in(app, lang, item_id, as_json)
        return
    item = show_item(app.database, item_id, lang)
    if item.message_id is None:
        raise NotFoundError(t("ingest.err.not_message", lang, id=item_id))
    boxes = [b for b in app.settings.mailboxes if b.name == item.account] or list(app.settings.mailboxes)
    if not boxes:
        raise ConfigError(t("ingest.no_mailboxes", lang), key="mailboxes")
    message_id = release_for_retry(app.database, item_id, app.clock.now(), lang)
    outcome = ingest_app.build_ingest(app).reprocess(message_id, boxes[0])
    number = None
    with app.database.reader() as session:
        message = session.get(Message, message_id)
        header_id, sha256 = (message.message_id, message.sha256) if message else (None, "")
        if outcome.case_id is not None:
            case = session.get(Case, outcome.case_id)
            number = case.number if case else None
    moved, server_problem = None, None
    if outcome.status != "quarantined":
        moved, server_problem = _release_server_copy(boxes[0], header_id, sha256, lang)
    if as_json:
        emit_json({"item": item_id, "message": message_id, "status": outcome.status, "case": number,
                   "server_moved": moved, "server_problem": server_problem})  # fmt: skip
        return
    case_text = t("ingest.q.retry_case", lang, number=number) if number else ""
    console.print(t("ingest.q.retried", lang, id=item_id, status=outcome.status, case=case_text))
    if moved:
        console.print(t("ingest.q.server_moved", lang, folder=boxes[0].quarantine_folder))
    if server_problem:
        err_console.print(server_problem)


def _take_in(app: App, lang: str, message_id: int, as_json: bool) -> None:
    """`retry --as-complaint`: the stored mail registered as a complaint; a quarantined one's
    server copy leaves the quarantine folder as with a plain retry."""
    from mailflow.bootstrap import ingest as ingest_app  # noqa: PLC0415
    from mailflow.services.ingest.take_in import take_in_as_complaint  # noqa: PLC0415

    taken = take_in_as_complaint(ingest_app.build_ingest(app), message_id)
    moved, server_problem, folder = None, None, ""
    if taken.was == "quarantined":
        with app.database.reader() as session:
            message = session.get(Message, message_id)
            account = message.account if message else None
        boxes = [b for b in app.settings.mailboxes if b.name == account] or list(app.settings.mailboxes)
        if boxes:
            folder = boxes[0].quarantine_folder
            moved, server_problem = _release_server_copy(boxes[0], taken.header_id, taken.sha256, lang)
    if as_json:
        emit_json({"message": message_id, "was": taken.was, "case": taken.case_number,
                   "server_moved": moved, "server_problem": server_problem})  # fmt: skip
        return
    console.print(t("ingest.take_in.done", lang, id=message_id, number=taken.case_number), markup=False)
    if moved:
        console.print(t("ingest.q.server_moved", lang, folder=folder))
    if server_problem:
        err_console.print(server_problem)


def _release_server_copy(
    box: MailboxSection, header_id: str | None, sha256: str, lang: str
) -> tuple[int | None, str | None]:
    """Best effort: the database already says the message is processed; a server that cannot be
    reached now only leaves a stale copy in the quarantine folder, which is said, not fatal."""
    from mailflow.adapters.imap import ImapConnection  # noqa: PLC0415
    from mailflow.services.ingest.poller import account_for  # noqa: PLC0415
    from mailflow.services.ingest.server_copy import release_server_copy  # noqa: PLC0415

    folder = box.quarantine_folder
    if not header_id:
        return None, t("ingest.q.server_no_id", lang, folder=folder)
    try:
        conn = ImapConnection.open(account_for(box, timeout=30.0))
    except MailflowError as exc:
        return None, t("ingest.q.server_failed", lang, folder=folder, error=str(exc))
    try:
        return release_server_copy(conn, box, header_id, sha256), None
    except MailflowError as exc:
        return None, t("ingest.q.server_failed", lang, folder=folder, error=str(exc))
    finally:
        conn.close()


def _local(app: App, instant: object) -> str:
    from datetime import datetime  # noqa: PLC0415

    if not isinstance(instant, datetime):
        return "-"
    return instant.astimezone(app.zone).strftime("%Y-%m-%d %H:%M")


# --- rules ----------------------------------------------------------------------------------


@rules_app.command(
    "check",
    help=h(
        "Periksa semua berkas aturan; dengan FILE.eml tunjukkan aturan yang kena dan alasannya",
        "Validate all rule files; with FILE.eml show which rule it hits and why",
    ),
)
def rules_check(
    ctx: typer.Context,
    samples: list[Path] = typer.Argument(None, help=h("Contoh email (.eml)", "Sample mails (.eml)")),
    mailbox: str | None = MailboxOption,
    as_json: bool = JsonOption,
) -> None:
    from mailflow.bootstrap import ingest as ingest_app  # noqa: PLC0415
    from mailflow.cli.rules_report import check_samples, skipped_topics  # noqa: PLC0415
    from mailflow.config.rules_file import rule_files  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    folder = ingest_app.rules_folder(app)
    rules = ingest_app.load_app_rules(app)
    for sample in samples or []:
        if not sample.is_file():
            raise UsageError(t("ingest.rules.no_file", lang, file=sample))
    box = mailbox or (app.settings.mailboxes[0].name if app.settings.mailboxes else "diskominfo")
    reports = check_samples(app, rules, samples or [], box)
    skipped = skipped_topics(rules)
    if as_json:
        emit_json({"folder": str(folder), "rules": len(rules), "skipped_topics": list(skipped),
                   "samples": reports})  # fmt: skip
        return
    console.print(t("ingest.rules.ok", lang, count=len(rules), files=len(rule_files(folder)), folder=folder))
    if skipped:
        console.print(t("ingest.rules.skipped", lang, codes=", ".join(skipped)), markup=False)
    for report in reports:
        for line in report["lines"]:
            console.print(escape(line), markup=False)  # lines quote the sample's headers
