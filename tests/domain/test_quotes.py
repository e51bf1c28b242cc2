"""Quote and signature stripping on replies shaped like real clients write them."""

from __future__ import annotations

import pytest

from mailflow.domain.quotes import first_meaningful_line, html_reply_text, reply_text

QUOTED_ACTION = """> Yth. Kepala Dinas Komunikasi dan Informatika,
>
> Aduan LPR-2026-00042 telah diperiksa oleh Bidang IKP.
> Balas email ini dengan salah satu perintah pada baris pertama:
>   SETUJU                   teruskan ke DISHUB
>   TERUSKAN <kode OPD>      teruskan ke OPD lain
"""

CASES = {
    "gmail_id_wrapped": (
        "Setuju.\n\nSalam,\nKadis Kominfo\n\n"
        "Pada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\n"
        "menulis:\n" + QUOTED_ACTION,
        "Setuju.",
    ),
    "gmail_id_one_line": (
        "VALID DISHUB\n\nPada tanggal Sab, 31 Okt 2020 pukul 22.12 Nama <x@gmail.com> menulis:\n"
        + QUOTED_ACTION,
        "VALID DISHUB",
    ),
    "gmail_id_no_tanggal": (
        "TERIMA\n\nPada Sab, 15 Jun 2024 pukul 14.59 LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\n"
        "menulis:\n\n" + QUOTED_ACTION,
        "TERIMA",
    ),
    "gmail_en": (
        "Approve\n\nOn Mon, Nov 30, 2026 at 8:40 AM LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> wrote:\n"
        + QUOTED_ACTION,
        "Approve",
    ),
    "outlook_id": (
        "DISPOSISI PJU: mohon segera dicek dan diperbaiki\n\n"
        "________________________________\n"
        "Dari: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\n"
        "Dikirim: Senin, 30 November 2026 10.50\n"
        "Kepada: Kepala Dinas Perhubungan <kadis.dishub@bontangkota.go.id>\n"
        "Subjek: [LPR-2026-00042] Mohon disposisi\n\n" + QUOTED_ACTION.replace("> ", ""),
        "DISPOSISI PJU: mohon segera dicek dan diperbaiki",
    ),
    "outlook_en": (
        "TERIMA\r\n\r\nFrom: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\r\n"
        "Sent: Monday, November 30, 2026 10:15 AM\r\nTo: Sekretaris Dishub\r\n"
        "Subject: [LPR-2026-00042] Arahan pimpinan\r\n\r\nYth. Sekretaris,\r\nSETUJU\r\n",
        "TERIMA",
    ),
    "original_message": (
        "Setuju\n-----Original Message-----\nFrom: LAPOR\nSETUJU teruskan\n",
        "Setuju",
    ),
    "pesan_asli": (
        "KIRIM\nJawaban sudah kami sesuaikan.\n\n-----Pesan Asli-----\nDari: LAPOR Bontang\nKIRIM [teks]\n",
        "KIRIM\nJawaban sudah kami sesuaikan.",
    ),
    "thunderbird_id": (
        "TOLAK bukan kewenangan Pemerintah Kota\n\nPada 30/11/26 08.40, LAPOR Bontang menulis:\n"
        + QUOTED_ACTION,
        "TOLAK bukan kewenangan Pemerintah Kota",
    ),
    "iphone_id": (
        "Setuju\n\nDikirim dari iPhone saya\n\n"
        "> Pada 30 Nov 2026, pukul 08.40, LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> menulis:\n>\n"
        + QUOTED_ACTION,
        "Setuju",
    ),
    "samsung_id": (
        "Terima\n\n\nDikirim dari Samsung Galaxy smartphone.\n\n-------- Pesan asli --------\n"
        "Dari: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\nTanggal: 30/11/26 10.15 (GMT+08:00)\n"
        "Ke: sekretaris.dishub@bontangkota.go.id\nSubjek: [LPR-2026-00042] Arahan\n\nTERIMA\n",
        "Terima",
    ),
    "yahoo_id": (
        "SETUJU\n\n\nPada Senin, 30 November 2026 08.40.12 WITA, LAPOR Bontang "
        "<lapor@diskominfo.bontangkota.go.id> menulis:\n\n" + QUOTED_ACTION,
        "SETUJU",
    ),
    "dash_signature": (
        "STATUS\n\n-- \nAgus Salim, S.T.\nKepala Bidang PJU\nDinas Perhubungan Kota Bontang\n",
        "STATUS",
    ),
    "response_with_list": (
        "TANGGAPAN\nTerima kasih atas laporan Bapak/Ibu.\n- Tim PJU telah meninjau lokasi pada 1 Desember.\n"
        "- Lampu yang rusak sudah diganti.\n\nDemikian kami sampaikan.\n\nHormat kami,\nAgus Salim\n\n"
        "Pada tanggal Sen, 30 Nov 2026 pukul 11.30 LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> menulis:\n"
        + QUOTED_ACTION,
        "TANGGAPAN\nTerima kasih atas laporan Bapak/Ibu.\n- Tim PJU telah meninjau lokasi pada 1 Desember.\n"
        "- Lampu yang rusak sudah diganti.\n\nDemikian kami sampaikan.",
    ),
    "only_quote": (
        "\n\nPada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR <l@x.id> menulis:\n" + QUOTED_ACTION,
        "",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reply_text(name: str) -> None:
    text, expected = CASES[name]
    assert reply_text(text) == expected


def test_first_meaningful_line() -> None:
    assert first_meaningful_line("\n\n  Setuju.  \nSalam\n") == ("Setuju.", "Salam")
    assert first_meaningful_line("   \n") == ("", "")


def test_gmail_html_reply() -> None:
    html = (
        '<div dir="ltr"><b>SETUJU</b><div><br></div><div>Salam,<br>Kadis</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Pada tanggal Sen, 30 Nov 2026 pukul 08.40 '
        "LAPOR Bontang &lt;lapor@diskominfo.bontangkota.go.id&gt; menulis:<br></div>"
        '<blockquote class="gmail_quote">SETUJU teruskan ke DISHUB</blockquote></div>'
    )
    assert html_reply_text(html) == "SETUJU"


def test_outlook_html_reply() -> None:
    html = (
        "<html><head><style>p{margin:0}</style></head><body><div>TERIMA</div><div><br></div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><b>Dari:</b> LAPOR '
        "Bontang<br><b>Dikirim:</b> Senin, 30 November 2026 10.15<br></div><div>SETUJU</div></body></html>"
    )
    assert html_reply_text(html) == "TERIMA"


def test_apple_html_blockquote() -> None:
    html = '<div>Tolak: di luar wilayah Kota Bontang</div><div><br><blockquote type="cite">VALID</blockquote></div>'
    assert html_reply_text(html) == "Tolak: di luar wilayah Kota Bontang"
