"""`mailflow doctor`: every check against the real servers, one line each; exit 1 on a failure."""

from __future__ import annotations

import typer
from rich.markup import escape

from mailflow.cli.common import JsonOption, console, emit_json, h, state, t
from mailflow.errors import UsageError

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def register(app: typer.Typer) -> None:
    app.command(
        "doctor",
        help=h(
            "Periksa konfigurasi terhadap server sungguhan (IMAP, SMTP, alamat plus, basis data, "
            "LibreOffice, akar kepercayaan, templat, jam)",
            "Check the configuration against the real servers (IMAP, SMTP, plus-addresses, database, "
            "LibreOffice, trust roots, templates, clock)",
        ),
    )(doctor_command)


def doctor_command(
    ctx: typer.Context,
    to: str | None = typer.Option(
        None, "--to", help=h("Kirim juga email uji ke alamat ini", "Also send a test mail to this address")
    ),
    skip: str = typer.Option(
        "",
        "--skip",
        help=h(
            "Lewati pemeriksaan (dipisah koma): database, secret, templates, trust, converter, smtp, "
            "mailboxes, clock",
            "Skip checks (comma-separated): database, secret, templates, trust, converter, smtp, "
            "mailboxes, clock",
        ),
    ),
    no_create: bool = typer.Option(
        False,
        "--no-create-folders",
        help=h("Jangan buat folder Diproses/Karantina", "Do not create the processed/quarantine folders"),
    ),
    timeout: float = typer.Option(
        10, "--timeout", help=h("Batas waktu tiap sambungan (detik)", "Timeout per connection (seconds)")
    ),
    probe_wait: float = typer.Option(
        60,
        "--probe-wait",
        help=h(
            "Berapa lama menunggu email uji alamat plus (detik)",
            "How long to wait for the plus-address probe",
        ),
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.services.operations.doctor import CHECKS, Doctor, DoctorOptions, Finding  # noqa: PLC0415

    st = state(ctx)
    lang = st.lang()
    skipped = frozenset(name.strip() for name in skip.split(",") if name.strip())
    unknown = sorted(skipped - set(CHECKS))
    if unknown:
        raise UsageError(t("doctor.bad_skip", lang, names=", ".join(unknown), known=", ".join(CHECKS)))
    app = st.app()
    lang = st.lang()
    options = DoctorOptions(
        send_to=to, create_folders=not no_create, timeout=timeout, probe_wait=probe_wait, skip=skipped
    )
    width = max(len(t(f"doctor.status.{s}", lang)) for s in ("ok", "warn", "fail"))

    def show(item: Finding) -> None:
        label = t(f"doctor.status.{item.status}", lang).ljust(width)
        where = f"{escape(item.check)} · {escape(item.subject)}"
        console.print(f"[{_STYLE[item.status]}]{label}[/] {where}: {escape(item.message)}")
        if item.hint and item.status != "ok":
            console.print(f"{' ' * width}   → {escape(item.hint)}")

    if not as_json:
        console.print(t("doctor.title", lang, config=app.settings.config_file), markup=False)
    report = Doctor(app.settings, app.database, options).run(progress=None if as_json else show)
    failures = sum(1 for f in report.findings if f.status == "fail")
    warnings = sum(1 for f in report.findings if f.status == "warn")
    if as_json:
        emit_json(report.as_dict())
    elif failures:
        console.print(t("doctor.summary.fail", lang, failures=failures, warnings=warnings), style="bold red")
    else:
        console.print(t("doctor.summary.ok", lang, warnings=warnings), style="green")
    if failures:
        raise typer.Exit(1)
