"""The committed templates: what the builder makes, complete, and checked by `templates check`."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from mailflow.adapters.docx_render import DocxRenderer
from mailflow.adapters.letter_templates import TEMPLATE_FILES, build_all, template_bytes
from mailflow.domain.letter_fields import LETTER_KINDS, compare_fields
from tests.cli.helpers import run_cli
from tests.letters.helpers import TEMPLATES


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_committed_templates_are_what_the_builder_makes(kind) -> None:
    """`mailflow templates build --out templates` reproduces the committed files byte for byte."""
    assert (TEMPLATES / TEMPLATE_FILES[kind]).read_bytes() == template_bytes(kind)
    assert template_bytes(kind) == template_bytes(kind)


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_committed_templates_use_every_field_and_nothing_else(kind) -> None:
    template = DocxRenderer(TEMPLATES).load(TEMPLATE_FILES[kind])
    report = compare_fields(kind, template.variables)
    assert report.ok and report.unused == (), report


def test_build_keeps_edited_templates_unless_forced(tmp_path: Path) -> None:
    assert len(build_all(tmp_path)) == 3
    edited = tmp_path / "surat_tanggapan.docx"
    edited.write_bytes(b"edited by an admin")
    assert build_all(tmp_path) == []
    assert edited.read_bytes() == b"edited by an admin"
    assert edited in build_all(tmp_path, force=True)
    assert edited.read_bytes() == template_bytes(LETTER_KINDS[2])


def _init(tmp_path: Path) -> Path:
    result = run_cli("init", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    return tmp_path / "site"


@pytest.mark.slow
def test_templates_check_passes_on_a_fresh_site_and_names_what_an_admin_broke(tmp_path: Path) -> None:
    site = _init(tmp_path)
    config = site / "mailflow.toml"
    ok = run_cli("-c", config, "templates", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Semua templat surat baik." in ok.stdout
    assert "nomor_surat" in ok.stdout  # the variables are listed

    path = site / "templates" / "surat_tanggapan.docx"
    document = docx.Document(str(path))
    for paragraph in document.paragraphs:
        if "{{ isi_tanggapan }}" in paragraph.text:
            paragraph.runs[0].text = "{{ isi_tanggapan }} {{ nama_pelapor }}"
    for cell in document.sections[0].footer.tables[0]._cells:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.text = run.text.replace("{{ id_dokumen }}", "(dihapus)")
    document.save(str(path))
    (site / "templates" / "nota_dinas.docx").write_text("not a docx")

    broken = run_cli("-c", config, "templates", "check")
    assert broken.returncode == 1
    assert "Tidak dikenal mailflow (akan tercetak kosong): nama_pelapor" in broken.stdout
    assert "Wajib ada agar surat yang kembali dapat dicocokkan: id_dokumen" in broken.stdout
    assert "not a readable .docx" in broken.stdout
    assert "2 templat surat perlu diperbaiki." in broken.stdout

    as_json = run_cli("-c", config, "templates", "check", "--json")
    assert as_json.returncode == 1
    assert '"missing": [\n        "nama_pelapor"\n      ]' in as_json.stdout


def test_templates_build_without_a_config(tmp_path: Path) -> None:
    result = run_cli("templates", "build", "--out", tmp_path / "t")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(TEMPLATE_FILES.values())
