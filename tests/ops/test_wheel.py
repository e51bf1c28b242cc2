"""A wheel built from the project is complete: installed into a fresh virtualenv outside the
repository, `mailflow init`, `config check`, `templates check` and `letters render --sample` work
from a temporary directory, with the templates, inbox rules, SOP data and starter site read from
the installed package (never from this checkout).

Offline: the wheel is built with `pip wheel --no-build-isolation` by the setuptools of the test
venv (pyproject's dev extra), from a copy of the sources in a temporary folder (so the build
leaves nothing in the repository). The fresh venv gets mailflow from the wheel alone (--no-deps);
its dependencies come from the test venv's site-packages through a .pth line added after the
install (so pip never sees the editable mailflow of the test venv). A .pth line adds a path but
does not run the .pth files inside it, so the editable finder of the test venv stays inactive.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(argv: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MAILFLOW_", "PYTHON"))}
    environ.update({"COLUMNS": "200", "NO_COLOR": "1"})
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("mailflow", "templates", "inbox_rules"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    dist = tmp / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", dist, source], cwd=tmp)  # fmt: skip
    (wheel,) = dist.glob("mailflow-*.whl")
    return wheel


def test_the_wheel_works_from_a_fresh_virtualenv_outside_the_repository(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("templates/surat_tanggapan.docx", "templates/email/ack.id.txt.j2",
                    "inbox_rules/90-warga.yaml"):  # fmt: skip
        assert f"mailflow/bundled/{shipped}" in names
    assert {"mailflow/data/sop_lapor_bontang.yaml", "mailflow/data/starter/mailflow.toml",
            "mailflow/data/starter/directory.yaml"} <= names  # fmt: skip
    # the weekly chart's fonts (issue 16: drawn with Pillow, not the server's fonts)
    assert {"mailflow/data/fonts/DejaVuSans.ttf", "mailflow/data/fonts/DejaVuSans-Bold.ttf"} <= names

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
        cwd=tmp_path)  # fmt: skip
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=tmp_path).stdout.strip())  # fmt: skip
    (site / "test-venv-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    where = run([python, "-c", "import mailflow.resources as r; print(r.__file__); print(r.bundled('templates'))"],
                cwd=tmp_path).stdout.split()  # fmt: skip
    assert all(Path(p).is_relative_to(site) for p in where), where
    assert not any(Path(p).is_relative_to(REPO) for p in where)

    work = tmp_path / "work"
    work.mkdir()
    mailflow = venv / "bin" / "mailflow"
    run([mailflow, "init", "site"], cwd=work)
    config = work / "site" / "mailflow.toml"
    assert (work / "site" / "templates" / "surat_tanggapan.docx").is_file()
    assert sorted(p.name for p in (work / "site" / "inbox_rules").glob("*.yaml")) == sorted(
        p.name for p in (REPO / "inbox_rules").glob("*.yaml")
    )
    checked = run([mailflow, "-c", config, "config", "check"], cwd=work)
    assert "Konfigurasi sah" in checked.stdout
    run([mailflow, "-c", config, "templates", "check"], cwd=work)
    run([mailflow, "-c", config, "letters", "render", "--sample", "--out", work / "letters"], cwd=work)
    rendered = sorted(p.name for p in (work / "letters").glob("*.docx"))
    assert len(rendered) == 3, rendered
    for docx in (work / "letters").glob("*.docx"):
        assert zipfile.ZipFile(docx).read("word/document.xml")  # a real Word file
