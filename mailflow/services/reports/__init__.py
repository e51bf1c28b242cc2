"""The SOP's reports ("Pencatatan dan pendataan") and the weekly compliance report.

`generate_report(ctx, kind, period)` builds one report from the step events and writes its DOCX
(official format with kop and signature) and XLSX (one sheet per table) under
`<data_dir>/reports/<kind>/<period>/` unless another folder is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailflow.domain.periods import Period, PeriodKind
from mailflow.services.reports.context import ReportContext
from mailflow.services.reports.daily import build_daily
from mailflow.services.reports.model import Report
from mailflow.services.reports.monthly import build_monthly
from mailflow.services.reports.render import ReportFiles, write_docx, write_xlsx
from mailflow.services.reports.render import file_stem as file_stem
from mailflow.services.reports.semester import build_semester
from mailflow.services.reports.weekly import build_weekly
from mailflow.services.reports.yearly import build_yearly

Progress = Callable[[str], None]

__all__ = [
    "Progress",
    "Report",
    "ReportContext",
    "ReportFiles",
    "build_report",
    "default_out_dir",
    "generate_report",
]


def build_report(ctx: ReportContext, kind: PeriodKind | str, period: Period) -> Report:
    kind = PeriodKind(kind)
    if kind is PeriodKind.DAILY:
        return build_daily(ctx, period)
    if kind is PeriodKind.WEEKLY:
        return build_weekly(ctx, period).report
    if kind is PeriodKind.MONTHLY:
        return build_monthly(ctx, period)
    if kind is PeriodKind.SEMESTER:
        return build_semester(ctx, period)
    return build_yearly(ctx, period)


def default_out_dir(ctx: ReportContext, kind: PeriodKind | str, period: Period) -> Path:
    return ctx.output_root / PeriodKind(kind).value / period.key


def generate_report(
    ctx: ReportContext,
    kind: PeriodKind | str,
    period: Period,
    out_dir: Path | None = None,
    progress: Progress | None = None,
) -> tuple[Report, ReportFiles]:
    """Build the report and write its DOCX and XLSX; `progress` hears each stage's text key."""
    tell = progress or (lambda _stage: None)
    tell("figures")
    report = build_report(ctx, kind, period)
    folder = out_dir or default_out_dir(ctx, kind, period)
    stem = file_stem(report)
    tell("xlsx")
    xlsx = write_xlsx(ctx, report, folder / f"{stem}.xlsx")
    tell("docx")
    docx = write_docx(ctx, report, folder / f"{stem}.docx")
    tell("done")
    return report, ReportFiles(docx=docx, xlsx=xlsx)
