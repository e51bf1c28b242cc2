"""`mailflow templates check|build` and `mailflow letters render|convert`.

`templates check` is for admins who edited a template in Word: it names every field the template
uses that mailflow does not know (it would print empty) and every field that must stay for
returned letters to be matched; exit code 1 when something needs fixing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import typer

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t
from mailflow.domain.documents import DocumentKind
from mailflow.domain.letter_fields import FIELDS, IMAGE_FIELDS, LETTER_KINDS, FieldReport, compare_fields
from mailflow.errors import ConfigError, UsageError

templates_app = typer.Typer(
    help=h("Templat surat: periksa dan buat ulang", "Letter templates: check and rebuild"),
    no_args_is_help=True,
)
letters_app = typer.Typer(
    help=h("Surat dinas: contoh dan konversi PDF", "Official letters: samples and PDF conversion"),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.add_typer(templates_app, name="templates")
    app.add_typer(letters_app, name="letters")


@templates_app.command(
    "check",
    help=h(
        "Periksa isian setiap templat surat terhadap data yang disediakan mailflow",
        "Check every letter template's fields against what mailflow provides",
    ),
)
def check_command(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    from mailflow.adapters.docx_render import DocxRenderer  # noqa: PLC0415 - docxtpl only here
    from mailflow.adapters.letter_templates import TEMPLATE_FILES  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    renderer = DocxRenderer(app.settings.paths.templates)
    results: list[dict[str, Any]] = []
    for kind in LETTER_KINDS:
        name = TEMPLATE_FILES[kind]
        try:
            template = renderer.load(name)
        except ConfigError as exc:
            results.append({"kind": kind.value, "template": name, "ok": False, "error": str(exc)})
            continue
        report = compare_fields(kind, template.variables, qr_code=app.settings.letters.qr_code)
        results.append(_report_dict(kind, name, template.version, report))
    failed = sum(1 for r in results if not r["ok"])
    if as_json:
        emit_json({"templates": results, "ok": not failed})
    else:
        _print_check(results, st.lang())
        console.print(
            t("letters.check.failed", st.lang(), count=failed) if failed else t("letters.check.ok", st.lang())
        )
    if failed:
        raise typer.Exit(1)


def _report_dict(kind: DocumentKind, name: str, version: str, report: FieldReport) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "template": name,
        "version": version,
        "ok": report.ok,
        "variables": list(report.variables),
        "missing": list(report.missing),
        "required_absent": list(report.required_absent),
        "unused": list(report.unused),
        "available": sorted(FIELDS[kind] | IMAGE_FIELDS),
    }


def _print_check(results: list[dict[str, Any]], lang: str) -> None:
    for result in results:
        mark = "[green]✓[/]" if result["ok"] else "[red]✗[/]"
        console.print(
            f"{mark} "
            + t(
                "letters.check.template",
                lang,
                name=result["template"],
                version=result.get("version", "-")[:12],
            )
        )
        if "error" in result:
            console.print(t("letters.check.broken", lang, error=result["error"]), markup=False)
            continue
        names = ", ".join(result["variables"])
        console.print(
            t("letters.check.variables", lang, count=len(result["variables"]), names=names), markup=False
        )
        for key, message in (
            ("missing", "letters.check.missing"),
            ("required_absent", "letters.check.required"),
        ):
            if result[key]:
                console.print(t(message, lang, names=", ".join(result[key])), style="red", markup=False)
        if result["unused"]:
            console.print(t("letters.check.unused", lang, names=", ".join(result["unused"])), markup=False)
        if result["missing"]:
            console.print(
                t("letters.check.available", lang, names=", ".join(result["available"])), markup=False
            )


@templates_app.command(
    "build",
    help=h(
        "Buat templat surat bawaan (nota_dinas, lembar_disposisi, surat_tanggapan) dengan python-docx",
        "Build the standard letter templates (nota_dinas, lembar_disposisi, surat_tanggapan), python-docx",
    ),
)
def build_command(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None,
        "--out",
        help=h(
            "Folder tujuan (bawaan: folder templat konfigurasi)",
            "Target folder (default: the configured templates folder)",
        ),
    ),
    force: bool = typer.Option(
        False, "--force", help=h("Timpa templat yang sudah ada", "Overwrite existing templates")
    ),
) -> None:
    from mailflow.adapters.letter_templates import TEMPLATE_FILES, build_all  # noqa: PLC0415

    st = state(ctx)
    target = out if out is not None else st.app().settings.paths.templates
    written = build_all(target, force=force)
    for name in TEMPLATE_FILES.values():
        path = target / name
        key = "letters.build.written" if path in written else "letters.build.kept"
        console.print(t(key, st.lang(), path=path), markup=False)


@letters_app.command(
    "render",
    help=h(
        "Buat surat contoh dari data contoh (tanpa basis data), untuk melihat hasil templat",
        "Make sample letters from example data (no database), to see what the templates produce",
    ),
)
def render_command(
    ctx: typer.Context,
    sample: bool = typer.Option(False, "--sample", help=h("Pakai data contoh", "Use example data")),
    kind: str = typer.Option("all", "--kind", help="nota_dinas | lembar_disposisi | surat_tanggapan | all"),
    out: Path = typer.Option(Path(), "--out", help=h("Folder tujuan", "Target folder")),
    pdf: bool = typer.Option(
        False, "--pdf", help=h("Buat juga PDF (LibreOffice)", "Also make the PDF (LibreOffice)")
    ),
    as_json: bool = JsonOption,
) -> None:
    st = state(ctx)
    if not sample:
        raise UsageError(t("letters.sample.only", st.lang()))
    kinds = _kinds(kind, st.lang())
    app = st.app()
    from mailflow.services.letters.service import LetterService  # noqa: PLC0415

    service = LetterService(app.settings, app.directory)
    out.mkdir(parents=True, exist_ok=True)
    made: list[dict[str, str]] = []
    for letter_kind in kinds:
        data, number, doc_id = service.sample(letter_kind)
        path = out / f"{letter_kind.value}_contoh.docx"
        path.write_bytes(data)
        made.append({"kind": letter_kind.value, "docx": str(path), "number": number, "doc_id": doc_id})
    if pdf:
        _convert_samples(app.settings, made)
    if as_json:
        emit_json(made)
        return
    for item in made:
        for key in ("docx", "pdf"):
            if key in item:
                console.print(
                    t("letters.sample.written", st.lang(), kind=item["kind"], path=item[key]), markup=False
                )


def _kinds(kind: str, lang: str) -> list[DocumentKind]:
    if kind == "all":
        return list(LETTER_KINDS)
    for letter_kind in LETTER_KINDS:
        if letter_kind.value == kind:
            return [letter_kind]
    raise UsageError(
        t("letters.sample.bad_kind", lang, kind=kind, kinds=", ".join(k.value for k in LETTER_KINDS))
    )


def _convert_samples(settings: Any, made: list[dict[str, str]]) -> None:
    from mailflow.adapters.converter import WarmConverter  # noqa: PLC0415

    section = settings.converter
    with WarmConverter(
        work_dir=settings.data_dir / "converter",
        soffice=section.soffice,
        uno_python=section.uno_python,
        timeout=section.timeout_seconds,
        startup_timeout=section.startup_timeout_seconds,
    ) as converter:
        for item in made:
            target = Path(item["docx"]).with_suffix(".pdf")
            converter.convert(Path(item["docx"]), target)
            item["pdf"] = str(target)


@letters_app.command(
    "convert",
    help=h(
        "Konversi surat yang menunggu ke PDF (sekali, atau terus dengan --loop)",
        "Convert waiting letters to PDF (once, or continuously with --loop)",
    ),
)
def convert_command(
    ctx: typer.Context,
    loop: bool = typer.Option(
        False, "--loop", help=h("Terus berjalan sampai Ctrl+C", "Keep running until Ctrl+C")
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.letters.conversion import ConversionService  # noqa: PLC0415

    st = state(ctx)
    app = st.app()
    worker = ConversionService(app.database, app.settings, clock=app.clock)
    if loop:
        console.print(t("letters.convert.running", st.lang()))
        stop = threading.Event()
        try:
            worker.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
        return
    try:
        summary = worker.run_once()
    finally:
        worker.close()
    if as_json:
        emit_json({"converted": summary.converted, "failed": summary.failed})
    else:
        console.print(
            t("letters.convert.done", st.lang(), converted=len(summary.converted), failed=len(summary.failed))
        )
