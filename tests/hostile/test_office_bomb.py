"""A complainant's Office file that would inflate far beyond its size is not unpacked to strip it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from mailflow.adapters.metadata_strip import MAX_OFFICE_UNPACKED, strip_metadata

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _package(path: Path, filler: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(
            "docProps/core.xml", "<cp:coreProperties><dc:creator>Budi</dc:creator></cp:coreProperties>"
        )
        package.writestr("word/document.xml", "<w:document>" + " " * filler + "</w:document>")


def test_a_package_that_inflates_past_the_limit_is_refused(tmp_path: Path) -> None:
    # the shipped limit is 200 MB; a lower one keeps the test's files small, the check is the same
    assert MAX_OFFICE_UNPACKED == 200 * 1024 * 1024
    limit = 64 * 1024
    bomb, small = tmp_path / "bom.docx", tmp_path / "biasa.docx"
    _package(bomb, 1024 * 1024)  # 1 MB of spaces: a few KB on disk
    _package(small, 1024)
    assert bomb.stat().st_size < limit
    refused = strip_metadata(bomb, tmp_path / "out" / "bom.docx", DOCX, max_office_unpacked=limit)
    assert not refused.ok and refused.reason == "unreadable"
    assert not (tmp_path / "out" / "bom.docx").exists()
    kept = strip_metadata(small, tmp_path / "out" / "biasa.docx", DOCX, max_office_unpacked=limit)
    assert kept.ok
    with zipfile.ZipFile(tmp_path / "out" / "biasa.docx") as copy:
        assert b"Budi" not in copy.read("docProps/core.xml")
