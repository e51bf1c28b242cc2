"""Forged and damaged signed letters, made for real (pyHanko, pypdf, zlib) from a real letter.

Each entry is a way a returned PDF can be hostile or broken beyond what tests/signatures covers,
with the reason mailflow must give. `build(letter, pki, ...)` returns the file's bytes; the
letter is the surat tanggapan the pipeline made, `pki` the test PKI (Hendra is the right signer,
so a refusal comes from the damage, not from the signer).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf.annotations import FreeText
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    EncodedStreamObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from mailflow.domain import signatures as sig
from mailflow.domain.documents import make_doc_id
from tests.fixtures.pki import TestPki
from tests.signatures import pdfs

BOMB_MB = 256  # zeros inflated: twice the per-stream limit, 0.25 MB compressed


@dataclass(frozen=True)
class Letter:
    pdf: bytes  # the unsigned surat tanggapan
    number: str  # its letter number
    case: str  # its case number


@dataclass(frozen=True)
class Hostile:
    name: str
    code: str  # the reason mailflow must give
    build: Callable[[Letter, TestPki], bytes]


def _signed(letter: Letter, pki: TestPki) -> bytes:
    return pki.sign(letter.pdf, pki.hendra)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _update(signed: bytes, change: Callable[[PdfWriter], None]) -> bytes:
    """An incremental update appended after the signature."""
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    change(writer)
    return _written(writer)


def _before_signing(letter: Letter, pki: TestPki, change: Callable[[PdfWriter], None]) -> bytes:
    """The letter changed, then signed by the right person: the signature itself is valid."""
    writer = PdfWriter(clone_from=io.BytesIO(letter.pdf))
    change(writer)
    return pki.sign(_written(writer), pki.hendra)


def other_document_id(letter: Letter, pki: TestPki) -> bytes:
    """A retyped letter naming the right number and case, but a document id no letter has."""
    forged = make_doc_id(int.from_bytes(hashlib.sha256(b"palsu").digest()[:4]) % 31**8)
    lines = [f"Nomor : {letter.number}", f"Hal : Tanggapan atas Aduan {letter.case}", f"Kode: {forged}"]
    return pki.sign(pdfs.typed_letter(lines), pki.hendra)


def added_page(letter: Letter, pki: TestPki) -> bytes:
    return _update(_signed(letter, pki), lambda w: w.add_blank_page(595, 842))


def added_annotation(letter: Letter, pki: TestPki) -> bytes:
    note = FreeText(text="DISETUJUI - tanpa tanda tangan", rect=(50, 550, 300, 650))
    return _update(_signed(letter, pki), lambda w: w.add_annotation(0, note))


def byte_range_hole(letter: Letter, pki: TestPki) -> bytes:
    """A signature whose /ByteRange leaves 100 bytes before /Contents uncovered, signed anew by
    Hendra over exactly those ranges (so the cryptography is sound; the coverage is not)."""
    data = _signed(letter, pki)
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert found is not None
    _, a_len, b_start, b_len = map(int, found.groups())
    ranges = [0, a_len - 100, b_start, b_len]
    text = (b"/ByteRange [" + b" ".join(str(x).encode() for x in ranges) + b"]").ljust(len(found.group(0)))
    data = data[: found.start()] + text + data[found.end() :]
    digest = hashlib.sha256(data[: ranges[1]] + data[b_start : b_start + b_len]).digest()
    cms = asyncio.run(pki.hendra.signer().async_sign(digest, "sha256", use_pades=True))
    room = b_start - a_len - 2
    contents = cms.dump().hex().encode().ljust(room, b"0")
    return data[: a_len + 1] + contents + data[b_start - 1 :]


def garbage_signature(letter: Letter, pki: TestPki) -> bytes:
    """The /Contents of the signature replaced by random hex of the same length."""
    data = _signed(letter, pki)
    found = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", data)
    assert found is not None
    noise = hashlib.sha256(b"acak").hexdigest().encode() * (len(found.group(1)) // 64 + 1)
    return data[: found.start(1)] + noise[: len(found.group(1))] + data[found.end(1) :]


def encrypted_empty_password(letter: Letter, pki: TestPki) -> bytes:
    """Opens without a password in any viewer, but encrypted all the same."""
    writer = PdfWriter(clone_from=io.BytesIO(_signed(letter, pki)))
    writer.encrypt("", "pemilik", algorithm="AES-128")
    return _written(writer)


def oversized(letter: Letter, pki: TestPki) -> bytes:
    """The signed letter followed by 26 MB of padding (over limits.max_attachment_mb = 25)."""
    return _signed(letter, pki) + b"%" + b"0" * (26 * 1024 * 1024)


@functools.cache
def _zeros_deflated(megabytes: int) -> bytes:
    inflater = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    return b"".join(inflater.compress(chunk) for _ in range(megabytes)) + inflater.flush()


def zip_bomb(letter: Letter, pki: TestPki) -> bytes:
    """A second page whose content is 256 MB of zeros squeezed into 0.25 MB, signed with the
    letter: page 1 is the real letter, so the old code inflated it all, then accepted."""

    def bomb(writer: PdfWriter) -> None:
        page = writer.add_blank_page(595, 842)
        stream = EncodedStreamObject()
        stream._data = _zeros_deflated(BOMB_MB)  # pypdf would inflate it to check: set it raw
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        page[NameObject("/Contents")] = writer._add_object(stream)  # pypdf has no public call

    return _before_signing(letter, pki, bomb)


def javascript(letter: Letter, pki: TestPki) -> bytes:
    def script(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.launchURL('http://contoh.invalid/');"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)  # no public call

    return _before_signing(letter, pki, script)


def launch_escaped(letter: Letter, pki: TestPki) -> bytes:
    """A link that starts a program, its action name written `/L#61unch` (#-escaped)."""
    placeholder = b"/Lzzzunch"  # as long as the escaped name: no offset moves when it is swapped

    def launch(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject(placeholder.decode()),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
        link = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([FloatObject(x) for x in (50, 50, 200, 80)]),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])

    writer = PdfWriter(clone_from=io.BytesIO(letter.pdf))
    launch(writer)
    escaped = _written(writer).replace(placeholder, b"/L#61unch")  # pypdf would write #23 for '#'
    return pki.sign(escaped, pki.hendra)


def embedded_file(letter: Letter, pki: TestPki) -> bytes:
    return _before_signing(letter, pki, lambda w: w.add_attachment("lampiran.exe", b"MZ\x90\x00" * 64))


def ten_thousand_objects(letter: Letter, pki: TestPki) -> bytes:
    """10,000 objects appended after signing (pyHanko itself lets unreferenced ones pass)."""

    def objects(writer: PdfWriter) -> None:
        for index in range(10_000):
            writer._add_object(DictionaryObject({NameObject("/N"): NumberObject(index)}))  # no public call

    return _update(_signed(letter, pki), objects)


def truncated_xref(letter: Letter, pki: TestPki) -> bytes:
    signed = _signed(letter, pki)
    return signed[: signed.rfind(b"\nxref") + 30]


def xref_loop(letter: Letter, pki: TestPki) -> bytes:
    """The last trailer's /Prev points at its own cross-reference section."""
    signed = _signed(letter, pki)
    last = list(re.finditer(rb"startxref\s+(\d+)", signed))[-1].group(1)
    previous = list(re.finditer(rb"/Prev (\d+)", signed))[-1]
    looped = last.ljust(len(previous.group(1)))
    return signed[: previous.start(1)] + looped + signed[previous.end(1) :]


def deep_nesting(letter: Letter, pki: TestPki) -> bytes:
    signed = _signed(letter, pki)
    return signed.replace(b"/Type /Catalog", b"/Type /Catalog /X " + b"[" * 100_000 + b"]" * 100_000, 1)


def docx_named_pdf(letter: Letter, pki: TestPki) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document>{letter.number}</w:document>")
    return out.getvalue()


def html_named_pdf(letter: Letter, pki: TestPki) -> bytes:
    return f"<html><body>Surat {letter.number} sudah ditandatangani.</body></html>".encode()


def header_only(letter: Letter, pki: TestPki) -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"bukan isi pdf " * 200


CORPUS: tuple[Hostile, ...] = (
    Hostile("id-dokumen-lain", sig.UNKNOWN_LETTER, other_document_id),
    Hostile("tambah-halaman", sig.MODIFIED, added_page),
    Hostile("tambah-anotasi", sig.MODIFIED, added_annotation),
    Hostile("byterange-berlubang", sig.PARTIAL_COVERAGE, byte_range_hole),
    Hostile("tanda-tangan-acak", sig.CORRUPT, garbage_signature),
    Hostile("terenkripsi-tanpa-sandi", sig.ENCRYPTED, encrypted_empty_password),
    Hostile("terlalu-besar", sig.TOO_LARGE, oversized),
    Hostile("bom-zip", sig.EXPANDS, zip_bomb),
    Hostile("javascript", sig.ACTIVE_CONTENT, javascript),
    Hostile("launch-tersamar", sig.ACTIVE_CONTENT, launch_escaped),
    Hostile("berkas-sisipan", sig.ACTIVE_CONTENT, embedded_file),
    Hostile("sepuluh-ribu-objek", sig.TOO_COMPLEX, ten_thousand_objects),
    Hostile("xref-terpotong", sig.CORRUPT, truncated_xref),
    Hostile("xref-berputar", sig.CORRUPT, xref_loop),
    Hostile("bersarang-dalam", sig.CORRUPT, deep_nesting),
    Hostile("docx-bernama-pdf", sig.NOT_PDF, docx_named_pdf),
    Hostile("html-bernama-pdf", sig.NOT_PDF, html_named_pdf),
    Hostile("hanya-kepala", sig.CORRUPT, header_only),
)
