"""The daily report's list of ignored mails (issue 14): what the inbox rules set aside that day,
with its sender, subject and the rule, so nothing a citizen wrote can disappear unseen. An admin
who finds a complaint among them takes it in with `mailflow quarantine retry --as-complaint`."""

from __future__ import annotations

from mailflow.services.ingest.ignored import IgnoredMail
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.model import Table, columns, t


def ignored_table(ctx: ReportContext, mails: list[IgnoredMail]) -> Table:
    lang = ctx.lang
    cols = columns(
        lang,
        ("message_id", "int", 8), ("received_at", "datetime", 19), ("sender", "text", 30),
        ("subject", "text", 40), ("rule", "text", 22), ("reason", "text", 26),
    )  # fmt: skip
    rows = tuple(
        (
            mail.id,
            mail.received_at,
            mail.from_addr or "",
            mail.subject or "",
            mail.rule or t("ignored.automated", lang),
            mail.reason or "",
        )
        for mail in mails
    )
    return Table(
        key=t("sheet.ignored", lang),
        title=t("table.ignored", lang),
        columns=cols,
        rows=rows,
        note=t("note.ignored", lang) if mails else None,
        empty=t("empty", lang),
    )
