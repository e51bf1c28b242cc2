"""The report DOCX writes its data tables as WordprocessingML directly: read back with python-docx
they hold exactly the text, layout and header repetition the cell-by-cell writer made."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml.ns import qn

from mailflow.adapters.report_docx import DocReport, DocTable, Kop, write_report_docx


def test_a_data_table_reads_back_as_written(tmp_path: Path) -> None:
    table = DocTable(
        heading="Aduan",
        headers=["Nomor", "Perihal", "Hari"],
        rows=[
            ["LPR-2026-00001", "Jalan <rusak> & berlubang", "3"],
            ["LPR-2026-00002", "baris satu\nbaris dua", "12"],
            ["LPR-2026-00003", "Lampu \u202emati \x07 \ufffe \udc80", ""],
        ],
        align=["left", "left", "right"],
        widths=[14, 40, 6],
    )
    report = DocReport(kop=Kop("PEMERINTAH KOTA BONTANG", "DINAS KOMINFO"), title="Uji", subtitle="2026",
                       tables=[table])  # fmt: skip
    path = write_report_docx(report, tmp_path / "uji.docx")

    (grid,) = docx.Document(str(path)).tables
    texts = [[cell.text for cell in row.cells] for row in grid.rows]
    assert texts == [
        ["Nomor", "Perihal", "Hari"],
        ["LPR-2026-00001", "Jalan <rusak> & berlubang", "3"],
        ["LPR-2026-00002", "baris satu\nbaris dua", "12"],
        # unsafe and XML-impossible characters are shown as markers, never written raw
        ["LPR-2026-00003", "Lampu \\u202emati \\u0007 \\ufffe \\udc80", ""],
    ]
    header = grid.rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert [c.paragraphs[0].alignment for c in grid.rows[1].cells][2] == 2  # right-aligned number
    widths = [int(col.get(qn("w:w"))) for col in grid._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert widths[1] > widths[0] > widths[2]  # the grid follows the relative widths
    assert len(grid._tbl.tblPr.findall(qn("w:tblLayout"))) == 1


def test_a_vertical_table_is_label_and_value_lines(tmp_path: Path) -> None:
    table = DocTable(
        heading="Ringkasan",
        headers=["Aduan Masuk", "% Sesuai Batas", "Catatan"],
        rows=[["1.234", "20%", "Lampu \u202emati \ufffe\nbaris dua"]],
        vertical=True,
    )
    report = DocReport(kop=Kop("PEMERINTAH KOTA BONTANG", "DINAS KOMINFO"), title="Uji", subtitle="2026",
                       tables=[table])  # fmt: skip
    path = write_report_docx(report, tmp_path / "uji.docx")

    (grid,) = docx.Document(str(path)).tables
    assert [[cell.text for cell in row.cells] for row in grid.rows] == [
        ["Aduan Masuk", "1.234"],
        ["% Sesuai Batas", "20%"],
        ["Catatan", "Lampu \\u202emati \\ufffe\nbaris dua"],
    ]
    assert grid.style is not None and grid.style.name == "Table Grid"
    for row in grid.rows:
        label, value = row.cells
        assert all(run.bold for run in label.paragraphs[0].runs)  # labels bold on grey
        assert label._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "F2F2F2"
        assert value._tc.tcPr.find(qn("w:shd")) is None
        assert not any(run.bold for run in value.paragraphs[0].runs)
        assert value.paragraphs[0].alignment == 2  # right-aligned value
        assert {run.font.name for run in value.paragraphs[0].runs if run.text.strip()} == {"Arial"}
    widths = [int(col.get(qn("w:w"))) for col in grid._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert widths == [round(14 / 2.54 * 1440 * share) for share in (0.7, 0.3)]  # 14 cm, 70/30
    assert [c.width for c in grid.rows[0].cells] == [w * 635 for w in widths]  # Word reads the cells
    assert grid._tbl.tblPr.find(qn("w:jc")).get(qn("w:val")) == "left"
