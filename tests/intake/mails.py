"""Mails as web forms, newsletters and notification robots send them, built as real MIME bytes."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from tests.ingest.builders import COMPLAINTS_TO, WHEN

CITY_FORM_TEXT = """Pengaduan baru melalui formulir website bontangkota.go.id

Nama: Budi Santoso
Email: budi.santoso88@gmail.com
No. HP: 0812-5544-3321
Alamat: Jl. Cipto Mangunkusumo RT 08, Gunung Elai
Kategori: Infrastruktur
Judul: Jalan berlubang di Jl. Cipto

Isi Pengaduan:
Jalan di depan rumah kami berlubang besar dan sudah dua orang jatuh dari motor. Mohon segera
diaspal kembali.

---
Email ini dikirim otomatis oleh sistem website Pemerintah Kota Bontang. Mohon tidak membalas
email ini.
"""

CITY_FORM_HTML = """<html><body><p>Pengaduan baru melalui formulir website bontangkota.go.id</p>
<table border="1" cellpadding="4">
<tr><td><b>Nama:</b></td><td>Budi Santoso</td></tr>
<tr><td><b>Email:</b></td><td>budi.santoso88@gmail.com</td></tr>
<tr><td><b>No. HP:</b></td><td>0812-5544-3321</td></tr>
<tr><td><b>Alamat:</b></td><td>Jl. Cipto Mangunkusumo RT 08, Gunung Elai</td></tr>
<tr><td><b>Kategori:</b></td><td>Infrastruktur</td></tr>
</table>
<p><b>Isi Pengaduan:</b><br>Jalan di depan rumah kami berlubang besar dan sudah dua orang jatuh dari
motor. Mohon segera diaspal kembali.</p>
<p style="color:#888">Email ini dikirim otomatis oleh sistem website Pemerintah Kota Bontang.</p>
</body></html>"""


def _message(sender: Address, subject: str, *, reply_to: Address | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = COMPLAINTS_TO
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = make_msgid("form", domain=sender.domain)
    return message


def city_form(
    *,
    html_only: bool = False,
    auto_submitted: bool = False,
    reply_name: str = "Budi Santoso",
    name_field: bool = True,
    message: str = "",
) -> bytes:
    """The city website's complaint form: a no-reply robot with the citizen in Reply-To and a
    "Nama: / Email: / No. HP: / Alamat:" block (text and HTML, or HTML only)."""
    text, html = CITY_FORM_TEXT, CITY_FORM_HTML
    if not name_field:
        text = text.replace("Nama: Budi Santoso\n", "")
        html = html.replace("<tr><td><b>Nama:</b></td><td>Budi Santoso</td></tr>", "")
    if message:
        text = text.replace("Isi Pengaduan:\n", f"Isi Pengaduan:\n{message}\n")
    mail = _message(
        Address("Website Pemerintah Kota Bontang", "noreply", "bontangkota.go.id"),
        "[Formulir Pengaduan] Jalan berlubang di Jl. Cipto",
        reply_to=Address(reply_name, "budi.santoso88", "gmail.com"),
    )
    if auto_submitted:
        mail["Auto-Submitted"] = "auto-generated"
    if html_only:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
    return mail.as_bytes()


def wordpress_form() -> bytes:
    """Contact Form 7's default mail: the site's WordPress address sends, Reply-To is the visitor,
    the body has no labels the citizen filled in beyond the message."""
    message = _message(
        Address("Diskominfo Bontang", "wordpress", "diskominfo.bontangkota.go.id"),
        'Diskominfo Bontang "Street light broken near the harbour"',
        reply_to=Address("Sarah Miller", "sarah.m", "outlook.com"),
    )
    message.set_content(
        "From: Sarah Miller <sarah.m@outlook.com>\nSubject: Street light broken near the harbour\n\n"
        "Message Body:\nThe street lights on the road to the Lok Tuan harbour have been off for a week."
        " It is very dark at night.\n\n-- \nThis e-mail was sent from a contact form on Diskominfo "
        "Bontang (https://diskominfo.bontangkota.go.id)\n"
    )
    return message.as_bytes()


def own_labels_form() -> bytes:
    """A site form with labels of its own ("Nama Warga", "Nomor WA", "Alamat Tinggal"), sent from
    an ordinary office address, no Reply-To."""
    message = _message(
        Address("Layanan Aduan Kelurahan", "layanan.api-api", "bontangkota.go.id"), "Aduan warga"
    )
    message.set_content(
        "Nama Warga: Siti Aminah\nNomor WA: +62 813-4455-6677\nAlamat Tinggal: Gang Mawar 3, Api-Api\n"
        "Pesan: Sampah di ujung gang belum diangkut seminggu.\n"
    )
    return message.as_bytes()


def newsletter_with_reply_to() -> bytes:
    """Marketing mail: no-reply sender, Reply-To to its own support desk, list headers."""
    message = _message(
        Address("Tokopedia", "noreply", "tokopedia.com"),
        "Promo akhir tahun untukmu",
        reply_to=Address("Tokopedia Care", "care", "tokopedia.com"),
    )
    message["List-Unsubscribe"] = "<https://www.tokopedia.com/unsubscribe?u=1>"
    message.set_content("Diskon 50% untuk semua kategori.\n\nNama: Pelanggan Setia\nEmail: kamu@gmail.com\n")
    return message.as_bytes()


def robot_notification() -> bytes:
    """A platform notification: robot sender, Reply-To within the same organisation."""
    message = _message(
        Address("GitHub", "notifications", "github.com"),
        "[bontang/portal] New issue opened",
        reply_to=Address("", "reply+ABC123", "reply.github.com"),
    )
    message.set_content("A new issue was opened in bontang/portal.\n")
    return message.as_bytes()


def person_with_other_reply_to() -> bytes:
    message = _message(
        Address("Hendra Wijaya", "hendra.w", "gmail.com"),
        "Lampu jalan mati",
        reply_to=Address("Hendra Wijaya", "hendra.wijaya", "yahoo.co.id"),
    )
    message.set_content("Lampu jalan di gang kami mati seminggu.\n\nHendra\n")
    return message.as_bytes()


def shop_complaint_from_info_address() -> bytes:
    """A small business writing from its shop's info@ address, as many do: a real complaint that
    the shipped rule for service notifications (info@, noreply@ ...) ignores."""
    message = _message(Address("Toko Bunga Melati", "info", "melati-bontang.com"), "Saluran air tersumbat")
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message.set_content(
        "Selamat siang,\n\nSaluran air di depan toko kami di Jl. Bhayangkara sudah seminggu tersumbat "
        "sampah dan airnya meluap ke jalan setiap hujan. Mohon segera dibersihkan.\n\n"
        "Hormat kami,\nIbu Ratna\nToko Bunga Melati\n"
    )
    return message.as_bytes()


def hostile_newsletter() -> bytes:
    """A mailing-list mail whose subject carries terminal markup and a right-to-left override."""
    message = _message(Address("Promo", "promo", "belanja.example"), "[bold red]DISKON[/] \u202eakhir tahun")
    message["List-Unsubscribe"] = "<mailto:unsubscribe@belanja.example>"
    message.set_content("Diskon besar.\n")
    return message.as_bytes()


CITY_FORM_ENGLISH = (
    "The street lights along Jl. Ahmad Yani near the market have been off for two weeks. It is very\n"
    "dark at night and there have already been two accidents. Could you please have them repaired?\n"
)


def city_form_english() -> bytes:
    """The city's (Indonesian) web form filled in by an English-speaking resident: labels, intro
    and footer in Indonesian, the complaint itself in English."""
    indonesian = (
        "Jalan di depan rumah kami berlubang besar dan sudah dua orang jatuh dari motor. Mohon segera\n"
    )
    text = CITY_FORM_TEXT.replace(indonesian + "diaspal kembali.\n", CITY_FORM_ENGLISH)
    text = text.replace("Budi Santoso", "James Miller").replace(
        "budi.santoso88@gmail.com", "j.miller@outlook.com"
    )
    text = text.replace("Judul: Jalan berlubang di Jl. Cipto", "Judul: Street lights off on Jl. Ahmad Yani")
    assert CITY_FORM_ENGLISH in text
    mail = _message(
        Address("Website Pemerintah Kota Bontang", "noreply", "bontangkota.go.id"),
        "[Formulir Pengaduan] Street lights off on Jl. Ahmad Yani",
        reply_to=Address("James Miller", "j.miller", "outlook.com"),
    )
    mail.set_content(text)
    return mail.as_bytes()


def gmail_english() -> bytes:
    message = _message(
        Address("Emma Clarke", "emma.clarke", "gmail.com"), "Garbage not collected in Bontang Baru"
    )
    message.set_content(
        "Hello,\n\nThe garbage on our street in Bontang Baru has not been collected for ten days and it\n"
        "smells very bad. Could you please send the truck as soon as possible?\n\nThank you,\nEmma\n\n"
        "Sent from my iPhone\n"
    )
    return message.as_bytes()
