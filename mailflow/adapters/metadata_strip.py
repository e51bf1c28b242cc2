"""A copy of a complainant's file without the metadata that could identify them (issue 14).

Photos carry EXIF (GPS position, camera owner, serial number, the phone's name), PDFs an author,
creator and producer in their info dictionary and XMP packet, Office files the author and the
last editor in docProps. For a rahasia or anonim complaint the officials get a copy without them:

* images (JPEG, PNG, WebP, GIF, TIFF; HEIC through pillow-heif, written as JPEG): decoded and
  written again with the pixels only (turned upright first, since the EXIF orientation goes too);
* PDF: the pages copied into a new file, without the info dictionary, the XMP metadata of the
  document and of its pages, and the application data (PieceInfo);
* DOCX/XLSX/PPTX: the package rewritten with empty core properties (creator, last modified by),
  no company or manager in the app properties, no custom properties, and the author names of
  comments and tracked changes blanked;
* plain text: copied as it is (it has no metadata).

Anything else (video, HEIC where pillow-heif is missing, an encrypted PDF, a file that does not
parse) is not copied: `strip_metadata` says why, and the caller leaves the file out of the mail.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from mailflow.adapters.durable import ensure_dir, fsync_dir

IMAGE_TYPES = {
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}
OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OFFICE_SUFFIXES = (".docx", ".xlsx", ".pptx")
_IMAGE_SUFFIXES = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF", ".tif": "TIFF",
    ".tiff": "TIFF", ".heic": "HEIF", ".heif": "HEIF",
}  # fmt: skip
_EMPTY_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>'
)
_EMPTY_CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
_APP_PERSONAL = re.compile(rb"<(Company|Manager)>.*?</\1>|<(Company|Manager)\s*/>", re.DOTALL)
_AUTHOR_ATTR = re.compile(rb'\b(w:author|w:initials|author|w15:userId|userId)="[^"]*"')
# parts that name the people who wrote comments or tracked changes
_AUTHORED_PART = re.compile(r"^(word|xl|ppt)/.*\.xml$")
_PERSON_PARTS = re.compile(r"^(word/people\.xml|xl/persons/person\.xml|ppt/commentAuthors\.xml)$")


# far above any real complaint's document, far below what would fill the disk or memory
MAX_OFFICE_UNPACKED = 200 * 1024 * 1024


@dataclass(frozen=True)
class Stripped:
    ok: bool
    reason: str = ""  # why no copy was made: "unsupported", "unreadable", "encrypted"


def strip_metadata(
    source: Path,
    target: Path,
    content_type: str,
    name: str = "",
    *,
    max_office_unpacked: int = MAX_OFFICE_UNPACKED,
) -> Stripped:
    """Write `source` without its identifying metadata to `target`, durably.

    The copy is fsynced before it takes its name (and the folder after), because an outbox row
    committed next refers to it by path: after a crash it is whole or absent, never half.
    """
    kind = _kind(content_type.lower().split(";")[0].strip(), Path(name or source.name).suffix.lower())
    if kind is None:
        return Stripped(False, "unsupported")
    ensure_dir(target.parent)
    partial = target.with_name(target.name + ".part")
    try:
        if kind == "text":
            shutil.copyfile(source, partial)
            result = Stripped(True)
        elif kind == "pdf":
            result = _pdf(source, partial)
        elif kind == "office":
            result = _office(source, partial, max_office_unpacked)
        else:
            result = _image(source, partial, kind)
    except (OSError, ValueError, zipfile.BadZipFile, UnidentifiedImageError, Image.DecompressionBombError):
        result = Stripped(False, "unreadable")
    if result.ok:
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(target)
        fsync_dir(target.parent)
    else:
        partial.unlink(missing_ok=True)
    return result


def _kind(content_type: str, suffix: str) -> str | None:
    if content_type in IMAGE_TYPES:
        return IMAGE_TYPES[content_type]
    if content_type == "application/pdf" or suffix == ".pdf":
        return "pdf"
    if content_type in OFFICE_TYPES or suffix in _OFFICE_SUFFIXES:
        return "office"
    if content_type == "text/plain" or suffix == ".txt":
        return "text"
    return _IMAGE_SUFFIXES.get(suffix)


def _image(source: Path, target: Path, fmt: str) -> Stripped:
    if fmt == "HEIF" and not _heif_available():
        return Stripped(False, "unsupported")
    with Image.open(source) as opened:
        frames = getattr(opened, "n_frames", 1)
        if fmt == "GIF" and frames > 1:  # an animation: keep the frames, drop the comment/XMP
            opened.info.clear()
            opened.save(target, format="GIF", save_all=True)
            return Stripped(True)
        upright = ImageOps.exif_transpose(opened)
        pixels = upright.copy()
        pixels.info = {}  # EXIF, XMP, comments, text chunks: Pillow would write them back from here
        save_as = "JPEG" if fmt == "HEIF" else fmt
        options: dict[str, object] = {"quality": 92} if save_as in ("JPEG", "WEBP") else {}
        if save_as == "JPEG" and pixels.mode not in ("RGB", "L", "CMYK"):
            pixels = pixels.convert("RGB")
        pixels.save(target, format=save_as, **options)
    return Stripped(True)


def _heif_available() -> bool:
    try:
        from pillow_heif import register_heif_opener  # noqa: PLC0415
    except ImportError:
        return False
    register_heif_opener()
    return True


def _pdf(source: Path, target: Path) -> Stripped:
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415
    from pypdf.errors import PdfReadError  # noqa: PLC0415
    from pypdf.generic import NameObject  # noqa: PLC0415

    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            return Stripped(False, "encrypted")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        writer.metadata = None
        for key in ("/Metadata", "/PieceInfo"):
            if NameObject(key) in writer.root_object:
                del writer.root_object[NameObject(key)]
        for page in writer.pages:
            for key in ("/Metadata", "/PieceInfo"):
                if NameObject(key) in page:
                    del page[NameObject(key)]
        with target.open("wb") as out:
            writer.write(out)
    except PdfReadError:
        return Stripped(False, "unreadable")
    return Stripped(True)


def _office(source: Path, target: Path, max_unpacked: int) -> Stripped:
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        names = package.namelist()
        if "[Content_Types].xml" not in names:
            return Stripped(False, "unreadable")
        # a hostile package may inflate to gigabytes: judge it by its declared sizes first
        if sum(info.file_size for info in package.infolist()) > max_unpacked:
            return Stripped(False, "unreadable")
        for info in package.infolist():
            data = package.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _EMPTY_CORE.encode()
            elif info.filename == "docProps/custom.xml":
                data = _EMPTY_CUSTOM.encode()
            elif info.filename == "docProps/app.xml":
                data = _APP_PERSONAL.sub(b"", data)
            elif _PERSON_PARTS.match(info.filename):
                data = _AUTHOR_ATTR.sub(lambda m: m.group(1) + b'=""', data)
                data = re.sub(rb'(<w15:person\b[^>]*w15:author=)"[^"]*"', rb'\1""', data)
            elif _AUTHORED_PART.match(info.filename):
                data = _AUTHOR_ATTR.sub(lambda m: m.group(1) + b'=""', data)
            out.writestr(_plain_info(info), data)
    return Stripped(True)


def _plain_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """The entry's name and a fixed date (the original dates say when its author worked on it)."""
    plain = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
    plain.compress_type = zipfile.ZIP_DEFLATED
    return plain
