"""Real files as complainants send them, with the metadata phones and office programs write:
a JPEG with EXIF (GPS position, camera owner, phone model), a PDF with author/creator/producer
and XMP, a DOCX with its author in docProps. Written here, stored as ingest stores attachments."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from mailflow.domain.inbound import AttachmentInfo

GPS = {1: "N", 2: (0.0, 8.0, 15.5), 3: "E", 4: (117.0, 29.0, 42.0)}  # Bontang, 0°08' N 117°29' E
OWNER = "Budi Santoso"


def jpeg_bytes(*, owner: str = OWNER, size: tuple[int, int] = (320, 240), noise: int = 0) -> bytes:
    """A photo as a phone camera writes it: EXIF with the owner, the phone, the time and GPS."""
    image = (
        Image.effect_noise(size, 40 + noise).convert("RGB") if noise else Image.new("RGB", size, (90, 90, 90))
    )
    exif = Image.Exif()
    exif[0x013B] = owner  # Artist
    exif[0x010F] = "Google"  # Make
    exif[0x0110] = "Pixel 7"  # Model
    exif[0x0132] = "2026:11:29 19:42:10"  # DateTime
    exif[0xA430] = owner  # CameraOwnerName (written in IFD0 by some apps)
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def heic_bytes(*, owner: str = OWNER) -> bytes:
    """A photo as an iPhone writes it by default: HEIC, with the owner and GPS in its EXIF."""
    from pillow_heif import register_heif_opener  # noqa: PLC0415

    register_heif_opener()
    exif = Image.Exif()
    exif[0x013B] = owner  # Artist
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 13"  # Model
    exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (40, 120, 200)).save(out, format="HEIF", exif=exif.tobytes(), quality=80)
    return out.getvalue()


def pdf_bytes(*, author: str = OWNER) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Author": author, "/Creator": "Microsoft Word", "/Producer": "Word for Android"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(*, author: str = OWNER) -> bytes:
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>' + author + "</dc:creator>"
        "<cp:lastModifiedBy>" + author + "</cp:lastModifiedBy></cp:coreProperties>"
    )
    app = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties '
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Company>CV Santoso Jaya</Company><Application>Microsoft Office Word</Application></Properties>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("docProps/core.xml", core)
        package.writestr("docProps/app.xml", app)
        package.writestr("word/document.xml", "<w:document>surat keterangan RT</w:document>")
    return out.getvalue()


def stored(
    folder: Path,
    name: str,
    data: bytes,
    content_type: str,
    *,
    position: int = 0,
    inline: bool = False,
    damaged: bool = False,
) -> AttachmentInfo:
    """The attachment as ingest leaves it: bytes on disk under a generated name, the sender's name
    kept as data."""
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    path.write_bytes(data)
    return AttachmentInfo(
        position=position,
        content_type=content_type,
        size=len(data),
        original_name=name,
        stored_path=str(path),
        sha256=digest,
        inline=inline,
        damaged=damaged,
    )


def refused(name: str, size: int, *, position: int = 0) -> AttachmentInfo:
    return AttachmentInfo(
        position=position, content_type="video/mp4", size=size, original_name=name, refused_reason="too_big"
    )


def exif_of(path: Path) -> dict[int, object]:
    with Image.open(path) as image:
        exif = image.getexif()
        found: dict[int, object] = dict(exif)
        found.update({0x8825: dict(exif.get_ifd(0x8825))} if exif.get_ifd(0x8825) else {})
        return found


def pdf_info(path: Path) -> dict[str, object]:
    reader = PdfReader(path)
    return {**dict(reader.metadata or {}), "xmp": reader.xmp_metadata is not None}


def docx_people(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("docProps/core.xml").decode() + package.read("docProps/app.xml").decode()
