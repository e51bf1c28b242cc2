"""A warm LibreOffice for mailflow's converter. Runs as a script under a Python that can `import
uno` (Debian's /usr/bin/python3 with python3-uno), never inside mailflow's own interpreter, so it
imports nothing from mailflow and keeps `uno` imports inside functions.

    python3 uno_worker.py SOFFICE PROFILE_DIR STARTUP_TIMEOUT_SECONDS

It starts one soffice with its own user profile, listening on a private named pipe, connects
through UNO and then converts documents one at a time. Protocol, one JSON object per line:
    first line out   {"ready": true, "pid": <soffice pid>}
                     or {"fatal": "...", "kind": "dependency" or "startup"}
    request in       {"id": 7, "input": "/abs/letter.docx", "output": "/abs/letter.pdf"}
    reply out        {"id": 7, "ok": true}  or  {"id": 7, "ok": false, "error": "..."}
End of input closes LibreOffice and ends the worker. If soffice dies the worker exits (code 4)
and mailflow starts a new one. Only the protocol goes to stdout: anything else, including what
LibreOffice or UNO print, goes to stderr, which mailflow logs to a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from typing import IO, Any

EXIT_DEPENDENCY = 3
EXIT_OFFICE_DIED = 4


def _protocol_stream() -> IO[str]:
    """Keep the real stdout for the protocol; point fd 1 at stderr for everybody else."""
    stream = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    return stream


def _say(stream: IO[str], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def _prop(name: str, value: Any) -> Any:
    from com.sun.star.beans import PropertyValue  # noqa: PLC0415 - exists only under python3-uno

    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _start_office(soffice: str, profile: str, pipe: str) -> subprocess.Popen[bytes]:
    import uno  # noqa: PLC0415

    command = [
        soffice,
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--norestore",
        "--nolockcheck",
        "--nofirststartwizard",
        f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)


def _connect(office: subprocess.Popen[bytes], pipe: str, timeout: float) -> Any:
    """The Desktop of the started soffice, once it accepts UNO connections."""
    import uno  # noqa: PLC0415
    from com.sun.star.connection import NoConnectException  # noqa: PLC0415

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError(f"soffice exited with code {office.returncode} while starting") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"soffice did not accept connections within {timeout:.0f} s") from None
            time.sleep(0.1)


def _convert(desktop: Any, source: str, target: str) -> None:
    import uno  # noqa: PLC0415

    options = (
        _prop("Hidden", True),
        _prop("ReadOnly", True),
        _prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        _prop("UpdateDocMode", 0),  # NO_UPDATE: no links are followed
    )
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, options)
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        document.storeToURL(uno.systemPathToFileUrl(target), (_prop("FilterName", "writer_pdf_Export"),))
    finally:
        document.close(True)


def _stop(desktop: Any, office: subprocess.Popen[bytes]) -> None:
    # soffice may already be gone (any UNO error then): it is killed below anyway
    with contextlib.suppress(Exception):
        desktop.terminate()
    try:
        office.wait(timeout=10)
    except subprocess.TimeoutExpired:
        office.kill()
        office.wait()


def _serve(stream: IO[str], desktop: Any, office: subprocess.Popen[bytes]) -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            _convert(desktop, request["input"], request["output"])
        except Exception as exc:  # noqa: BLE001 - UNO raises its own exception tree; all go back
            _say(stream, {"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"})
            if office.poll() is not None:
                return EXIT_OFFICE_DIED
            continue
        _say(stream, {"id": request.get("id"), "ok": True})
    return 0


def main(argv: list[str]) -> int:
    stream = _protocol_stream()
    soffice, profile, timeout = argv[1], argv[2], float(argv[3])
    try:
        import uno  # noqa: F401, PLC0415
    except ImportError as exc:
        _say(
            stream,
            {
                "fatal": f"{sys.executable} cannot import uno ({exc}); install python3-uno",
                "kind": "dependency",
            },
        )
        return EXIT_DEPENDENCY
    pipe = f"mailflow-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        office = _start_office(soffice, profile, pipe)
    except OSError as exc:
        _say(stream, {"fatal": f"cannot start {soffice}: {exc}", "kind": "dependency"})
        return EXIT_DEPENDENCY
    try:
        desktop = _connect(office, pipe, timeout)
    except (RuntimeError, TimeoutError) as exc:
        office.kill()
        _say(stream, {"fatal": str(exc), "kind": "startup"})
        return 1
    _say(stream, {"ready": True, "pid": office.pid})
    try:
        return _serve(stream, desktop, office)
    finally:
        _stop(desktop, office)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
