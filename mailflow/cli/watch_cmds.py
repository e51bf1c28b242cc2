"""`mailflow watch`: the watched folders of signed letters coming back (SOP steps 8 and 9)."""

from __future__ import annotations

import threading

import typer

from mailflow.cli.common import JsonOption, console, emit_json, err_console, h, state, stop_on_signals, t


def register(app: typer.Typer) -> None:
    app.command(
        "watch",
        help=h(
            "Pantau folder surat kembali (PDF bertanda tangan) dan proses berkas yang masuk",
            "Watch the returned-letters folders (signed PDFs) and process what arrives",
        ),
    )(watch_command)


def watch_command(
    ctx: typer.Context,
    once: bool = typer.Option(
        False,
        "--once",
        help=h("Proses berkas yang ada lalu berhenti", "Process the files present, then stop"),
    ),
    as_json: bool = JsonOption,
) -> None:
    from mailflow.bootstrap.watch import build_watcher  # noqa: PLC0415 - pyHanko loads only here

    st = state(ctx)
    app = st.app()
    lang = st.lang()
    watcher = build_watcher(app)
    if not app.settings.signatures.trust_roots:
        err_console.print(t("signatures.watch.no_trust_roots", lang))
    if once:
        done = watcher.run_once()
        accepted = sum(1 for d in done if d.disposition.accepted)
        if as_json:
            emit_json(
                [
                    {
                        "file": str(d.source),
                        "moved_to": str(d.destination),
                        "accepted": d.disposition.accepted,
                        "note": d.disposition.note,
                    }
                    for d in done
                ]
            )
            return
        console.print(
            t(
                "signatures.watch.once",
                lang,
                total=len(done),
                accepted=accepted,
                rejected=len(done) - accepted,
            )
        )
        return
    stop = threading.Event()
    stop_on_signals(stop)
    watcher.start()
    folders = ", ".join(str(f) for f in watcher.folders)
    console.print(t("signatures.watch.started", lang, count=len(watcher.folders), folders=folders))
    try:
        stop.wait()
    finally:
        watcher.stop()
    console.print(t("signatures.watch.stopped", lang))
