"""Turn a `Report` into its two files: the official DOCX (kop, signature) and the XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailflow.adapters.report_docx import DocReport, DocTable, Kop, Signature, write_report_docx
from mailflow.adapters.xlsx_writer import Sheet, SheetColumn, write_workbook
from mailflow.domain.periods import format_day
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.model import Report, Table, cells_for_xlsx, format_datetime, t, text_rows

_NUMERIC = ("int", "percent", "duration")


@dataclass(frozen=True)
class ReportFiles:
    docx: Path | None
    xlsx: Path | None


def file_stem(report: Report) -> str:
    return t(f"file.{report.kind}", report.lang, period=report.period.key)


def write_xlsx(ctx: ReportContext, report: Report, path: Path) -> Path:
    sheets = [
        Sheet(
            title=table.key,
            columns=[SheetColumn(c.header, c.kind, c.width) for c in table.columns],
            rows=[cells_for_xlsx(row, ctx.zone) for row in table.rows],
        )
        for table in report.tables
    ]
    return write_workbook(
        path, sheets, title=f"{report.title}: {report.period_label}", subject=report.period.key
    )


def write_docx(ctx: ReportContext, report: Report, path: Path) -> Path:
    lang = ctx.lang
    zone_label = ctx.zone_label
    generated = format_datetime(report.generated_at, ctx.zone, lang) + f" {zone_label}"
    as_of = format_datetime(report.as_of, ctx.zone, lang) + f" {zone_label}"
    basis = t("sop_basis", lang, code=ctx.sop.code, title=ctx.sop.title.get(lang))
    document = DocReport(
        kop=kop(ctx),
        title=report.title,
        subtitle=t("period", lang, label=report.period_label),
        lines=(t("as_of", lang, when=as_of), basis),
        intro=report.intro,
        tables=[doc_table(ctx, table) for table in report.tables],
        signature=signature(ctx, report),
        footer=t("generated", lang, when=generated),
        landscape=report.landscape,
        meta_title=report.title,
        meta_subject=report.period_label,
    )
    return write_report_docx(document, path)


def doc_table(ctx: ReportContext, table: Table) -> DocTable:
    return DocTable(
        heading=table.title,
        headers=[c.header for c in table.columns],
        rows=text_rows(table, ctx.lang, ctx.zone),
        align=["right" if c.kind in _NUMERIC else "left" for c in table.columns],
        widths=[c.width for c in table.columns],
        note=table.note,
        empty=table.empty or t("empty", ctx.lang),
        vertical=table.vertical,
    )


def kop(ctx: ReportContext) -> Kop:
    head = ctx.directory.diskominfo.letterhead
    lang = ctx.lang
    address = head.address
    if head.postal_code:
        address = (
            f"{address}, {t('kop.postal', lang, value=head.postal_code)}" if address else head.postal_code
        )
    contacts = [
        t(f"kop.{name}", lang, value=value)
        for name, value in (
            ("phone", head.phone),
            ("fax", head.fax),
            ("email", head.email),
            ("web", head.website),
        )
        if value
    ]
    return Kop(
        government=ctx.directory.government,
        name=head.name,
        address=address,
        contacts="  ·  ".join(contacts),
        logo=head.logo,
    )


def signature(ctx: ReportContext, report: Report) -> Signature:
    head = ctx.directory.person(ctx.directory.diskominfo.pimpinan)
    day = report.generated_at.astimezone(ctx.zone).date()
    return Signature(
        place_date=f"{ctx.place}, {format_day(day, ctx.lang)}",
        jabatan=head.jabatan or ctx.directory.diskominfo.letterhead.name,
        name=head.name,
        pangkat=head.pangkat,
        nip_line=t("sign.nip", ctx.lang, nip=head.nip) if head.nip else "",
    )
