"""The fields of each letter template: what the context provides, what `templates check` compares.

Names are Indonesian so an admin editing a template in Word reads `{{ nomor_surat }}`, not
`{{ letter_number }}`. IMAGE_FIELDS are filled by the renderer (the QR code, the logo), the rest
by mailflow.domain.letters. REQUIRED fields must stay in a template: a returned PDF is matched to
its letter by the document id, the number and the QR code printed on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailflow.domain.documents import DocumentKind

SIFAT = ("Sangat Segera", "Segera", "Rahasia", "Biasa")
# "Dengan hormat harap:" boxes of the disposition sheet; their labels are text in the template
HARAP = ("tanggapan", "proses", "koordinasi", "tindak_lanjut", "diketahui", "arsip")
CHECKED, UNCHECKED = "☑", "☐"

LETTER_KINDS = (DocumentKind.NOTA_DINAS, DocumentKind.LEMBAR_DISPOSISI, DocumentKind.SURAT_TANGGAPAN)
IMAGE_FIELDS = frozenset({"kode_qr", "logo"})


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COMMON = _names(
    "kop_pemerintah kop_instansi kop_alamat kop_kontak id_dokumen nomor_aduan nama_layanan "
    "tanggal_surat ringkasan"
)
_SIGNATURE = {"ttd_jabatan", "ttd_nama", "ttd_pangkat", "ttd_nip"}
_NOTA_DINAS = _names(
    "nomor_surat sifat lampiran perihal yth dari tanggal_aduan saluran kategori pelapor kontak_pelapor "
    "isi_aduan opd_usulan catatan batas_waktu"
)
_DISPOSISI = _names(
    "tempat nomor_agenda perihal surat_dari nomor_surat_asal tanggal_surat_asal diterima_tanggal "
    "diteruskan_kepada catatan batas_waktu waktu_disposisi ttd_jabatan ttd_nama"
)
_TANGGAPAN = _names(
    "tempat nomor_surat sifat lampiran perihal yth alamat_tujuan rujukan pelapor tanggal_aduan isi_tanggapan "
    "tembusan"
)

FIELDS: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.NOTA_DINAS: frozenset(_COMMON | _SIGNATURE | _NOTA_DINAS),
    DocumentKind.LEMBAR_DISPOSISI: frozenset(
        _COMMON
        | _DISPOSISI
        | {f"kotak_{s.lower().replace(' ', '_')}" for s in SIFAT}
        | {f"harap_{key}" for key in HARAP}
    ),
    DocumentKind.SURAT_TANGGAPAN: frozenset(_COMMON | _SIGNATURE | _TANGGAPAN),
}

# Text that may come from the citizen or be typed by officials: scrubbed for confidential cases.
FREE_TEXT_FIELDS = tuple(
    sorted(
        _names(
            "ringkasan perihal isi_aduan catatan isi_tanggapan lampiran kategori tembusan yth alamat_tujuan"
        )
    )
)

NUMBER_FIELD = {
    DocumentKind.NOTA_DINAS: "nomor_surat",
    DocumentKind.LEMBAR_DISPOSISI: "nomor_agenda",
    DocumentKind.SURAT_TANGGAPAN: "nomor_surat",
}

_COMMON_EXTRA = {"sifat", "perihal", "batas_waktu", "penandatangan"}
EXTRA_KEYS: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.NOTA_DINAS: frozenset(_COMMON_EXTRA | {"lampiran", "catatan", "opd_usulan"}),
    DocumentKind.LEMBAR_DISPOSISI: frozenset(
        _COMMON_EXTRA
        | {"level", "diteruskan_kepada", "arahan", "catatan", "harap", "rujukan", "waktu_disposisi"}
    ),
    DocumentKind.SURAT_TANGGAPAN: frozenset(
        _COMMON_EXTRA
        | {"lampiran", "isi_tanggapan", "yth", "alamat_tujuan", "tembusan", "rujukan", "revisi_dari"}
    ),
}


def checkbox(ticked: bool) -> str:
    return CHECKED if ticked else UNCHECKED


def numbered(items: Sequence[str], *, last: str = "", sep: str = "") -> str:
    """ "1. A;\\n2. B." (one item stands alone, unnumbered, as Tata Naskah Dinas writes it)."""
    items = [i.strip() for i in items if i and i.strip()]
    if len(items) == 1:
        return items[0] + last
    lines = [f"{n}. {item}{sep if n < len(items) else last}" for n, item in enumerate(items, start=1)]
    return "\n".join(lines)


def required_fields(kind: DocumentKind, *, qr_code: bool = True) -> frozenset[str]:
    required = {"id_dokumen", "nomor_aduan", NUMBER_FIELD[kind]}
    if qr_code:
        required.add("kode_qr")
    return frozenset(required)


@dataclass(frozen=True)
class FieldReport:
    """A template's variables against what mailflow provides for its kind."""

    kind: DocumentKind
    variables: tuple[str, ...]
    missing: tuple[str, ...]  # used by the template, not provided: they would print empty
    unused: tuple[str, ...]  # provided, never used by the template (information only)
    required_absent: tuple[str, ...]  # must be in the template for returned PDFs to be matched

    @property
    def ok(self) -> bool:
        return not self.missing and not self.required_absent


def compare_fields(kind: DocumentKind, variables: Iterable[str], *, qr_code: bool = True) -> FieldReport:
    used = frozenset(variables)
    provided = FIELDS[kind] | IMAGE_FIELDS
    required_absent = required_fields(kind, qr_code=qr_code) - used
    return FieldReport(
        kind=kind,
        variables=tuple(sorted(used)),
        missing=tuple(sorted(used - provided)),
        unused=tuple(sorted(provided - used - required_absent)),
        required_absent=tuple(sorted(required_absent)),
    )
