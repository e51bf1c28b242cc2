"""Complaints as citizens really send them: phone photos, scanned PDFs, HTML from Outlook.

`realistic_complaint(i)` cycles through five shapes, weighted the way a complaint mailbox sees
them (about a third text only, the rest with one or two photos or a PDF): Gmail on Android
(text + HTML alternative, one JPEG), iPhone Mail (body split around two inline photos), Outlook
on Windows (Windows-1252 quoted-printable, HTML, a PDF letter), Thunderbird (format=flowed, a
photo and a scanned PDF), and Gmail without attachments. Photos are real JPEGs (Pillow, 150-350 KB
like a phone's "medium" size), PDFs real one-page files; every message's attachments differ in
their bytes, so the content-addressed store writes each one.
"""

from __future__ import annotations

import io
import random
import zlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache

from tests.ingest.builders import COMPLAINTS_TO, WHEN

SHAPES = ("gmail_photo", "text_only", "iphone_photos", "outlook_pdf", "text_only",
          "gmail_photo", "thunderbird_photo_pdf", "text_only", "outlook_pdf", "iphone_photos")  # fmt: skip

PLACES = ("Jl. Ahmad Yani", "Jl. MT Haryono", "Jl. Awang Long", "Jl. Bhayangkara", "Jl. Letjen S. Parman",
          "Kelurahan Api-Api", "Kelurahan Gunung Elai", "Kelurahan Tanjung Laut", "Bontang Kuala")  # fmt: skip
PROBLEMS = (
    ("Jalan berlubang", "Lubangnya cukup dalam dan sudah ada dua motor yang jatuh minggu ini."),
    ("Lampu jalan mati", "Sudah tiga malam gelap total, warga takut lewat setelah magrib."),
    ("Sampah menumpuk", "Sampah tidak diangkut seminggu, baunya menyengat sampai ke rumah warga."),
    ("Saluran air tersumbat", "Setiap hujan air meluap ke jalan dan masuk ke rumah warga."),
    ("Pohon tumbang", "Pohon besar tumbang menutup separuh jalan dan mengenai kabel listrik."),
)


def realistic_complaint(index: int) -> bytes:
    shape = SHAPES[index % len(SHAPES)]
    return BUILDERS[shape](index)


def _texts(index: int) -> tuple[str, str, str]:
    title, detail = PROBLEMS[index % len(PROBLEMS)]
    place = PLACES[index % len(PLACES)]
    subject = f"{title} di {place} RT {index % 60 + 1:02d}"
    body = (
        f"Selamat pagi Bapak/Ibu,\n\n{title} di {place} RT {index % 60 + 1:02d}. {detail}\n"
        f"Mohon segera ditindaklanjuti. Terima kasih.\n\nWarga {index}\nHP 0812{index:08d}\n"
    )
    return subject, body, title


def _head(message: EmailMessage, index: int, name: str, address: str, domain: str, subject: str) -> None:
    message["From"] = f"{name} <{address}>"
    message["To"] = COMPLAINTS_TO
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid(f"real{index}", domain=domain)
    message["MIME-Version"] = "1.0"


def gmail_photo(index: int) -> bytes:
    subject, body, _ = _texts(index)
    message = EmailMessage(policy=SMTP)
    _head(message, index, f"Warga {index}", f"warga{index}@gmail.com", "mail.gmail.com", subject)
    message.set_content(body)
    message.add_alternative(f'<div dir="ltr">{body.replace(chr(10), "<br>")}</div>', subtype="html")
    message.add_attachment(photo(index, 0), maintype="image", subtype="jpeg",
                           filename=f"IMG_20261130_{index % 240000:06d}.jpg")  # fmt: skip
    return message.as_bytes()


def text_only(index: int) -> bytes:
    subject, body, _ = _texts(index)
    message = EmailMessage(policy=SMTP)
    _head(message, index, f"Warga {index}", f"warga{index}@gmail.com", "mail.gmail.com", subject)
    message.set_content(body)
    message.add_alternative(f'<div dir="ltr">{body.replace(chr(10), "<br>")}</div>', subtype="html")
    return message.as_bytes()


def iphone_photos(index: int) -> bytes:
    subject, body, _ = _texts(index)
    message = EmailMessage(policy=SMTP)
    _head(message, index, f"Rina {index}", f"rina{index}@icloud.com", "icloud.com", subject)
    message["X-Mailer"] = "iPhone Mail (21E236)"
    message.set_content(body.split("\n\n", 2)[1] + "\nFoto terlampir:\n")
    message.make_mixed()
    for n in range(2):
        message.add_attachment(photo(index, n + 1), maintype="image", subtype="jpeg",
                               filename=f"IMG_{4500 + n}.jpeg", disposition="inline")  # fmt: skip
    tail = EmailMessage(policy=SMTP)
    tail.set_content(f"Warga {index}\n\nDikirim dari iPhone saya\n")
    message.attach(tail)
    return message.as_bytes()


def outlook_pdf(index: int) -> bytes:
    subject, body, title = _texts(index)
    message = EmailMessage(policy=SMTP)
    _head(message, index, f"Budi {index}", f"budi{index}@outlook.co.id",
          "SG2PR01MB2345.apcprd01.prod.exchangelabs.com", subject.replace(" di ", " \u2013 "))  # fmt: skip
    message["Thread-Topic"] = subject
    message["Accept-Language"] = "id-ID, en-US"
    message["X-MS-Has-Attach"] = "yes"
    text = body.replace("Mohon", "Kami \u201csangat\u201d mohon")
    message.set_content(text, charset="windows-1252", cte="quoted-printable")
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Windows-1252">'
        '<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;} '
        '--></style></head><body lang="EN-ID"><div class="WordSection1">'
        + "".join(f'<p class="MsoNormal">{line or "&nbsp;"}</p>' for line in text.split("\n"))
        + "</div></body></html>"
    )
    message.add_alternative(html, subtype="html", charset="windows-1252", cte="quoted-printable")
    message.add_attachment(pdf(index, 90_000), maintype="application", subtype="pdf",
                           filename=f"Surat Pengaduan {title}.pdf")  # fmt: skip
    return message.as_bytes()


def thunderbird_photo_pdf(index: int) -> bytes:
    subject, body, _ = _texts(index)
    message = EmailMessage(policy=SMTP)
    _head(message, index, f"Andi {index}", f"andi{index}@yahoo.co.id", "yahoo.co.id", subject)
    message["User-Agent"] = "Mozilla Thunderbird"
    message.set_content(body, params={"format": "flowed"})
    message.add_attachment(photo(index, 3), maintype="image", subtype="jpeg", filename="lokasi.jpg")
    message.add_attachment(pdf(index, 140_000), maintype="application", subtype="pdf",
                           filename="scan_ktp_dan_surat.pdf")  # fmt: skip
    return message.as_bytes()


BUILDERS = {
    "gmail_photo": gmail_photo,
    "text_only": text_only,
    "iphone_photos": iphone_photos,
    "outlook_pdf": outlook_pdf,
    "thunderbird_photo_pdf": thunderbird_photo_pdf,
}


def photo(index: int, n: int) -> bytes:
    """A phone photo: one of a few real JPEGs, made unique by a comment segment after SOI."""
    base = _photos()[(index + n) % len(_photos())]
    comment = f"mailflow {index}.{n}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return base[:2] + segment + base[2:]


@cache
def _photos() -> tuple[bytes, ...]:
    from PIL import Image  # noqa: PLC0415 - only the realistic builders need Pillow

    made = []
    for seed, (width, height) in enumerate(((1280, 960), (960, 1280), (1200, 900), (1600, 900))):
        rng = random.Random(seed)
        image = Image.effect_noise((width // 4, height // 4), 60 + seed * 10).convert("RGB")
        image = image.resize((width, height))
        shade = Image.linear_gradient("L").resize((width, height)).convert("RGB")
        image = Image.blend(image, shade, 0.35 + rng.random() * 0.2)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82)
        made.append(out.getvalue())
    return tuple(made)


def pdf(index: int, size: int) -> bytes:
    """A one-page PDF of about `size` bytes whose bytes differ per `index` (a scanned page is
    mostly one compressed image stream)."""
    rng = random.Random(index)
    image = zlib.compress(rng.randbytes(size), 1)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode /Length "
        + str(len(image)).encode()
        + b" >>\nstream\n"
        + image
        + b"\nendstream",
        b"<< /Length 35 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\nendstream",
        f"<< /Title (Pengaduan {index}) /Producer (Scanner) >>".encode(),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()
