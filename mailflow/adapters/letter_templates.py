"""The three letter templates, built with python-docx so they are reproducible (`mailflow templates
build`); the committed `templates/*.docx` are exactly what this module makes.

Layout follows Tata Naskah Dinas (docs/RECIPES.md): the kop (government and office names centred, address,
contacts, a thick-thin rule), Nomor/Sifat/Lampiran/Hal, the addressee, body, signature block with
jabatan, name, pangkat and NIP, tembusan; the disposition sheet as a ruled form. Every page carries
a footer with the QR code, the document id, the number and the case number, so a returned page,
even a scan, can be matched. Placeholders are the Indonesian names of mailflow.domain.letter_fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx.document import Document as DocumentObject
from docx.shared import Cm

from mailflow.adapters.docx_blocks import (
    CENTER,
    JUSTIFY,
    RIGHT,
    cell_border,
    cell_margins,
    field,
    keep_rows_whole,
    label_line,
    middle,
    new_document,
    para,
    reproducible_bytes,
    rule_below,
    run,
    shade,
    table,
    tag,
)
from mailflow.domain.documents import DocumentKind

TEXT_WIDTH_CM = 16.5  # A4 21 cm minus 2.5 cm left and 2 cm right
MARGINS = (1.5, 2.0, 3.2, 2.5)  # top, right, bottom (room for the QR footer), left
QR_CM = 2.2
LOGO_CM = 2.0
TEMPLATE_FILES = {
    DocumentKind.NOTA_DINAS: "nota_dinas.docx",
    DocumentKind.LEMBAR_DISPOSISI: "lembar_disposisi.docx",
    DocumentKind.SURAT_TANGGAPAN: "surat_tanggapan.docx",
}


def kop(doc: DocumentObject) -> None:
    """Logo left, the names centred on the page (a blank column right balances the logo), a rule."""
    side = LOGO_CM + 0.1
    t = table(doc, (side, TEXT_WIDTH_CM - 2 * side, side))
    cell_margins(t, left_cm=0.0, right_cm=0.0)
    logo, names, _ = t.rows[0].cells
    middle(logo)
    middle(names)
    para(logo, "{{ logo }}", align=CENTER, reuse_first=True)
    names.paragraphs[0].add_run("{%p if kop_pemerintah %}")
    para(names, "{{ kop_pemerintah }}", align=CENTER, size=14, bold=True)
    tag(names, "{%p endif %}")
    para(names, "{{ kop_instansi }}", align=CENTER, size=16, bold=True)
    para(names, "{{ kop_alamat }}", align=CENTER, size=9, before=2)
    para(names, "{{ kop_kontak }}", align=CENTER, size=9)
    line = para(doc, "", size=4)
    rule_below(line, style="thickThinSmallGap", size=24, space=1)


def footer(doc: DocumentObject, number_field: str) -> None:
    """QR code, document id, number, case number and page count on every page."""
    container = doc.sections[0].footer
    container.is_linked_to_previous = False
    t = table(container, (QR_CM + 0.3, TEXT_WIDTH_CM - QR_CM - 0.3))
    cell_margins(t, left_cm=0.0, right_cm=0.1)
    qr_cell, text = t.rows[0].cells
    cell_border(qr_cell, top="single:4")
    cell_border(text, top="single:4")
    middle(qr_cell)
    middle(text)
    para(qr_cell, "{{ kode_qr }}", before=2, reuse_first=True)
    para(text, ("ID dokumen: ", {}), ("{{ id_dokumen }}", {"bold": True}), size=8, before=2, reuse_first=True)
    para(text, f"Nomor: {{{{ {number_field} }}}}   ·   Aduan: {{{{ nomor_aduan }}}}", size=8)
    para(
        text,
        "Dibuat oleh sistem {{ nama_layanan }}. Kode QR dan ID dokumen dipakai untuk mencocokkan "
        "berkas yang ditandatangani dan dikirim kembali; mohon tidak ditutup.",
        size=7,
    )
    pages = para(text, "Halaman ", size=7, align=RIGHT)
    field(pages, "PAGE", size=7)
    run(pages, " dari ", size=7)
    field(pages, "NUMPAGES", size=7)
    # docxtpl needs a paragraph after a table in a footer part
    para(container, "", size=2)


def signature(doc: DocumentObject, *, pangkat: bool = True, lead: str = "") -> None:
    """Jabatan, room to sign, name (bold, underlined), pangkat and NIP in the right half."""
    t = table(doc, (TEXT_WIDTH_CM - 9.0, 9.0))
    keep_rows_whole(t)
    cell_margins(t, left_cm=0.0, right_cm=0.0)
    block = t.rows[0].cells[1]
    if lead:
        para(block, lead, reuse_first=True)
    para(block, "{{ ttd_jabatan }},", reuse_first=not lead, after=40)
    para(block, ("{{ ttd_nama }}", {"bold": True, "underline": True}))
    if pangkat:
        tag(block, "{%p if ttd_pangkat %}")
        para(block, "{{ ttd_pangkat }}")
        tag(block, "{%p endif %}")
        tag(block, "{%p if ttd_nip %}")
        para(block, "NIP. {{ ttd_nip }}")
        tag(block, "{%p endif %}")


# --- nota dinas ---------------------------------------------------------------------------


def nota_dinas() -> DocumentObject:
    doc = new_document(title="Nota Dinas (templat mailflow)", margins_cm=MARGINS)
    kop(doc)
    para(doc, ("NOTA DINAS", {"spacing": 1.5}), align=CENTER, size=12, bold=True, before=6)
    para(doc, "NOMOR {{ nomor_surat }}", align=CENTER, after=10)
    for label, value in (
        ("Yth.", "{{ yth }}"),
        ("Dari", "{{ dari }}"),
        ("Tanggal", "{{ tanggal_surat }}"),
        ("Sifat", "{{ sifat }}"),
        ("Lampiran", "{{ lampiran }}"),
        ("Hal", "{{ perihal }}"),
    ):
        last = label_line(doc, label, value, label_cm=2.3)
    rule_below(last, size=6, space=6)
    para(
        doc,
        "Dengan hormat, bersama ini kami laporkan aduan masyarakat yang diterima melalui layanan "
        "{{ nama_layanan }} dan telah diperiksa oleh Bidang Informasi dan Komunikasi Publik, "
        "dengan rincian sebagai berikut:",
        align=JUSTIFY,
        before=10,
        after=4,
    )
    for label, value in (
        ("Nomor aduan", "{{ nomor_aduan }}"),
        ("Diterima", "{{ tanggal_aduan }} melalui {{ saluran }}"),
        ("Pelapor", "{{ pelapor }}"),
        ("Kontak pelapor", "{{ kontak_pelapor }}"),
        ("Kategori", "{{ kategori }}"),
        ("Ringkasan", "{{ ringkasan }}"),
        ("Usulan OPD", "{{ opd_usulan }}"),
    ):
        label_line(doc, label, value, label_cm=3.2, after=1)
    para(doc, "Isi aduan:", before=6, after=3, keep_next=True)
    box = table(doc, (TEXT_WIDTH_CM,), grid=True)
    cell_margins(box, left_cm=0.2, right_cm=0.2, top_cm=0.1)
    shade(box.rows[0].cells[0], "F2F2F2")
    para(box.rows[0].cells[0], "{{ isi_aduan }}", size=9.5, align=JUSTIFY, reuse_first=True)
    tag(doc, "{%p if catatan %}")
    para(doc, ("Catatan Bidang IKP: ", {"bold": True}), "{{ catatan }}", align=JUSTIFY, before=8)
    tag(doc, "{%p endif %}")
    para(
        doc,
        "Sehubungan dengan hal tersebut, mohon arahan Bapak/Ibu untuk meneruskan aduan dimaksud "
        "kepada {{ opd_usulan }} guna ditindaklanjuti sesuai SOP Pelayanan Pengaduan LAPOR Bontang.",
        align=JUSTIFY,
        before=8,
        after=4,
    )
    tag(doc, "{%p if batas_waktu %}")
    para(doc, "Sesuai SOP, arahan diharapkan paling lambat {{ batas_waktu }}.", align=JUSTIFY, after=4)
    tag(doc, "{%p endif %}")
    # the closing stays with the signature: a signature never stands alone on a page
    para(
        doc,
        "Demikian disampaikan, atas perhatian dan arahannya diucapkan terima kasih.",
        after=12,
        keep_next=True,
    )
    signature(doc)
    footer(doc, "nomor_surat")
    return doc


# --- lembar disposisi ---------------------------------------------------------------------


def _sifat_boxes(cell: Any) -> None:
    para(cell, "Sifat:", size=10, before=4)
    for left, right in (("sangat_segera", "segera"), ("rahasia", "biasa")):
        line = para(cell, size=10)
        for key in (left, right):
            label = key.replace("_", " ").title()
            run(line, f"{{{{ kotak_{key} }}}}", size=12)
            run(line, f" {label}    ", size=10)


def lembar_disposisi() -> DocumentObject:
    doc = new_document(title="Lembar Disposisi (templat mailflow)", margins_cm=MARGINS)
    kop(doc)
    para(doc, ("LEMBAR DISPOSISI", {"spacing": 1.5}), align=CENTER, size=13, bold=True, before=6, after=8)
    half = TEXT_WIDTH_CM / 2
    form = table(doc, (half, half), rows=5, grid=True)
    cell_margins(form, left_cm=0.2, right_cm=0.2, top_cm=0.08)
    rows = form.rows
    left, right = rows[0].cells
    for index, (label, value) in enumerate(
        (
            ("Surat dari", "{{ surat_dari }}"),
            ("No. Surat", "{{ nomor_surat_asal }}"),
            ("Tgl. Surat", "{{ tanggal_surat_asal }}"),
        )
    ):
        label_line(left, label, value, label_cm=2.1, size=10, after=2, reuse_first=index == 0)
    label_line(
        right, "Diterima Tgl.", "{{ diterima_tanggal }}", label_cm=2.4, size=10, after=2, reuse_first=True
    )
    label_line(right, "No. Agenda", "{{ nomor_agenda }}", label_cm=2.4, size=10, after=2, bold_value=True)
    _sifat_boxes(right)
    merged = rows[1].cells[0].merge(rows[1].cells[1])
    label_line(merged, "Perihal", "{{ perihal }}", label_cm=2.1, size=10, after=2, reuse_first=True)
    label_line(merged, "Ringkasan", "{{ ringkasan }}", label_cm=2.1, size=10, after=2)
    label_line(merged, "No. Aduan", "{{ nomor_aduan }}", label_cm=2.1, size=10, after=2)
    label_line(merged, "Lampiran", "{{ lampiran }}", label_cm=2.1, size=10, after=2)
    left, right = rows[2].cells
    para(left, ("Diteruskan kepada Sdr.:", {"bold": True}), size=10, after=4, reuse_first=True)
    para(left, "{{ diteruskan_kepada }}", size=10, after=4)
    para(right, ("Dengan hormat harap:", {"bold": True}), size=10, after=4, reuse_first=True)
    for key, label in (
        ("tanggapan", "Tanggapan dan saran"),
        ("proses", "Proses lebih lanjut"),
        ("koordinasi", "Koordinasikan/konfirmasikan"),
        ("tindak_lanjut", "Untuk ditindaklanjuti"),
        ("diketahui", "Untuk diketahui"),
        ("arsip", "Arsip"),
    ):
        para(right, (f"{{{{ harap_{key} }}}}", {"size": 12}), f"  {label}", size=10, after=1)
    merged = rows[3].cells[0].merge(rows[3].cells[1])
    para(merged, ("Catatan:", {"bold": True}), size=10, after=3, reuse_first=True)
    para(merged, "{{ catatan }}", size=10, align=JUSTIFY, after=6)
    left, right = rows[4].cells
    para(left, ("Batas waktu tindak lanjut:", {"bold": True}), size=10, after=3, reuse_first=True)
    para(left, "{{ batas_waktu }}", size=10)
    para(right, "{{ tempat }}, {{ tanggal_surat }}", size=10, after=2, reuse_first=True)
    para(right, "{{ ttd_jabatan }},", size=10, after=4)
    para(
        right,
        ("Paraf elektronik: disetujui melalui balasan email pada {{ waktu_disposisi }}", {"italic": True}),
        size=8,
        after=8,
    )
    para(right, ("{{ ttd_nama }}", {"bold": True, "underline": True}), size=10, after=4)
    for index, height in ((2, 4.6), (3, 3.6), (4, 3.2)):
        rows[index].height = Cm(height)  # room to write by hand, as on the paper form
    keep_rows_whole(form)
    footer(doc, "nomor_agenda")
    return doc


# --- surat tanggapan ----------------------------------------------------------------------


def surat_tanggapan() -> DocumentObject:
    doc = new_document(title="Surat Tanggapan (templat mailflow)", margins_cm=MARGINS)
    kop(doc)
    para(doc, "{{ tempat }}, {{ tanggal_surat }}", align=RIGHT, before=6, after=10)
    for label, value in (
        ("Nomor", "{{ nomor_surat }}"),
        ("Sifat", "{{ sifat }}"),
        ("Lampiran", "{{ lampiran }}"),
        ("Hal", "{{ perihal }}"),
    ):
        label_line(doc, label, value, label_cm=2.3)
    para(doc, "Yth. {{ yth }}", before=14)
    para(doc, "di {{ alamat_tujuan }}", after=14)
    para(
        doc,
        "Menindaklanjuti {{ rujukan }} perihal aduan masyarakat melalui layanan {{ nama_layanan }} "
        'Nomor {{ nomor_aduan }} tanggal {{ tanggal_aduan }} yang disampaikan oleh {{ pelapor }} tentang "'
        '{{ ringkasan }}", dengan hormat kami sampaikan tanggapan sebagai berikut:',
        align=JUSTIFY,
        after=8,
    )
    para(doc, "{{ isi_tanggapan }}", align=JUSTIFY, after=8)
    para(
        doc,
        "Demikian tanggapan ini kami sampaikan. Atas perhatian dan kerja samanya, kami ucapkan terima kasih.",
        align=JUSTIFY,
        after=18,
        keep_next=True,
    )
    signature(doc)
    tag(doc, "{%p if tembusan %}")
    para(doc, ("Tembusan:", {"underline": False}), size=10, before=18)
    para(doc, "{{ tembusan }}", size=10)
    tag(doc, "{%p endif %}")
    footer(doc, "nomor_surat")
    return doc


BUILDERS = {
    DocumentKind.NOTA_DINAS: nota_dinas,
    DocumentKind.LEMBAR_DISPOSISI: lembar_disposisi,
    DocumentKind.SURAT_TANGGAPAN: surat_tanggapan,
}


def template_bytes(kind: DocumentKind) -> bytes:
    return reproducible_bytes(BUILDERS[kind]())


def build_all(out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the three templates into `out_dir`; an existing file is kept unless `force`
    (an admin's edited template is never overwritten by accident)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in TEMPLATE_FILES.items():
        target = out_dir / name
        if target.exists() and not force:
            continue
        temporary = target.with_name(f".{name}.tmp")
        temporary.write_bytes(template_bytes(kind))
        temporary.replace(target)
        written.append(target)
    return written
