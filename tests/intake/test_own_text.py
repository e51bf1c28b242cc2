"""Replies wherever people put them (issue 14, point 4, the text side): above the quote, below it,
between quoted blocks, in text or HTML parts; a command inside quoted text is never used.

The mails are written the way the clients write them: Thunderbird and K-9 bottom-posting with
"> " quotes, Gmail's interleaved answers (plain and HTML), Outlook's top-posting with unquoted
history below its header, Apple Mail and Yahoo HTML, phones' footers.
"""

from __future__ import annotations

import pytest

from mailflow.domain.quotes import (
    BETWEEN,
    BOTTOM,
    NONE,
    TOP,
    first_meaningful_line,
    html_reply_text,
    own_html_text,
    own_text,
    reply_own_text,
    reply_text,
)

ACTION = """Yth. Kepala Bidang Informasi dan Komunikasi Publik,

Aduan LPR-2026-00042 (Lampu jalan mati di Jl. Ahmad Yani) menunggu pemeriksaan Anda.
Batas waktu: Senin, 30 November 2026 pukul 09.05 WITA.

Balas email ini dengan salah satu perintah pada baris pertama:
  VALID [kode OPD]     aduan sah (usulan: DISHUB)
  TOLAK <alasan>       aduan ditolak, pelapor diberi tahu
"""
QUOTED = "\n".join("> " + line if line else ">" for line in ACTION.splitlines())
FIRST_HALF = "\n".join("> " + line for line in ACTION.splitlines()[:5])
SECOND_HALF = "\n".join("> " + line for line in ACTION.splitlines()[5:])

TEXT_CASES = {
    "thunderbird_bottom_en": (
        "On 30/11/26 08.40, LAPOR Bontang wrote:\n" + QUOTED + "\n\nVALID DISHUB\n\n-- \n"
        "Muhammad Ridwan, S.I.Kom.\nKepala Bidang IKP\n",
        "VALID DISHUB",
        BOTTOM,
    ),
    "thunderbird_bottom_id": (
        "Pada 30/11/26 08.40, LAPOR Bontang menulis:\n"
        + QUOTED
        + "\n\nTOLAK bukan kewenangan Pemerintah Kota\n",
        "TOLAK bukan kewenangan Pemerintah Kota",
        BOTTOM,
    ),
    "k9_bottom_with_response_and_phone_footer": (
        "Pada 30 November 2026 10.15.12 WITA, LAPOR Bontang <lapor@diskominfo.bontangkota.go.id> menulis:\n"
        + QUOTED
        + "\n\nTANGGAPAN\nLampu sudah diganti pada 1 Desember.\nTerima kasih.\n\n"
        "Dikirim dari Samsung Galaxy smartphone.\n",
        "TANGGAPAN\nLampu sudah diganti pada 1 Desember.\nTerima kasih.",
        BOTTOM,
    ),
    "gmail_interleaved_wrapped_attribution": (
        "On Mon, Nov 30, 2026 at 8:40 AM LAPOR Bontang <\nlapor@diskominfo.bontangkota.go.id> wrote:\n\n"
        + FIRST_HALF
        + "\n\nVALID DISHUB\n\n"
        + SECOND_HALF
        + "\n",
        "VALID DISHUB",
        BETWEEN,
    ),
    "gmail_interleaved_id_after_a_pointer": (
        "Jawaban saya di bawah.\n\nPada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR Bontang "
        "<lapor@diskominfo.bontangkota.go.id>\nmenulis:\n"
        + FIRST_HALF
        + "\n\nValid, DISHUB\n\n"
        + SECOND_HALF,
        "Valid, DISHUB",
        BETWEEN,
    ),
    "nested_quotes": (
        "Pada 30/11/26, Kadis menulis:\n> Pak, tolong dicek.\n>\n>> VALID DISPUSIP\n\nSETUJU\n",
        "SETUJU",
        BOTTOM,
    ),
    "outlook_top": (
        "TERIMA\r\n\r\nFrom: LAPOR Bontang <lapor@diskominfo.bontangkota.go.id>\r\nSent: Monday, November 30,"
        " 2026 10:15 AM\r\nTo: Sekretaris Dishub\r\nSubject: [LPR-2026-00042] Arahan\r\n\r\n" + ACTION,
        "TERIMA",
        TOP,
    ),
    "outlook_underscore_separator_id": (
        "Setuju, teruskan.\n\n________________________________\nDari: LAPOR Bontang\nDikirim: Senin, 30 "
        "November 2026 10.15\nKepada: Kepala Dinas\nSubjek: [LPR-2026-00042]\n\n" + ACTION,
        "Setuju, teruskan.",
        TOP,
    ),
    "iphone_top": (
        "Setuju\n\nDikirim dari iPhone saya\n\n> Pada 30 Nov 2026, pukul 08.40, LAPOR Bontang menulis:\n"
        + QUOTED,
        "Setuju",
        TOP,
    ),
}
NOTHING = {
    "only_quotes": "> VALID DISHUB\n> TOLAK spam\n",
    "outlook_empty_top": "\r\n\r\nFrom: LAPOR Bontang\r\nSent: Monday\r\nTo: IKP\r\nSubject: x\r\n\r\n"
    + ACTION,
    "attribution_over_unquoted_history": "Pada 30/11/26 08.40, LAPOR Bontang menulis:\nVALID DISHUB\n",
    "forwarded_without_a_word": "---------- Forwarded message ---------\nDari: LAPOR\n\nVALID DISHUB\n",
    "signature_only_below": "On 30/11/26, LAPOR wrote:\n" + QUOTED + "\n\n-- \nAgus\nVALID DISHUB\n",
}


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_the_first_own_block_wherever_it_is(name: str) -> None:
    text, expected, where = TEXT_CASES[name]
    found = own_text(text)
    assert (found.text, found.where, found.part) == (expected, where, "text")
    # the existing callers (reply processor: reply_text then first_meaningful_line) get it too
    assert reply_text(text) == expected
    assert first_meaningful_line(reply_text(text))[0] == expected.split("\n")[0]


@pytest.mark.parametrize("name", sorted(NOTHING))
def test_a_command_in_quoted_or_unmarked_history_is_never_used(name: str) -> None:
    assert own_text(NOTHING[name]) == own_text("")  # ("", "none", "text")
    assert own_text(NOTHING[name]).where == NONE
    assert reply_text(NOTHING[name]) == ""


GMAIL_INTERLEAVED_HTML = (
    '<div dir="ltr"><br></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, '
    "Nov 30, 2026 at 8:40\u202fAM LAPOR Bontang &lt;lapor@diskominfo.bontangkota.go.id&gt; wrote:<br></div>"
    '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
    "Yth. Kepala Bidang IKP,<br>Aduan LPR-2026-00042 menunggu pemeriksaan Anda.<br></blockquote>"
    '<div><b>VALID DISHUB</b></div><div><br></div><blockquote class="gmail_quote" style="margin:0 0 0 .8ex">'
    "Balas email ini dengan salah satu perintah:<br>&nbsp; VALID [kode OPD]<br>&nbsp; TOLAK &lt;alasan&gt;"
    '</blockquote><div><br clear="all"></div><div><br></div><span class="gmail_signature_prefix">-- </span>'
    '<br><div dir="ltr" class="gmail_signature">Muhammad Ridwan<br>Kabid IKP</div></div>'
)
THUNDERBIRD_BOTTOM_HTML = (
    '<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head><body>'
    '<div class="moz-cite-prefix">Pada 30/11/26 08.40, LAPOR Bontang menulis:<br></div>'
    '<blockquote type="cite" cite="mid:abc@diskominfo.bontangkota.go.id"><p>Balas dengan:<br>SETUJU</p>'
    "<p>TERUSKAN &lt;kode OPD&gt;</p></blockquote><p>TERUSKAN DPUPR, DLH</p><p>Mohon dikoordinasikan.</p>"
    '<pre class="moz-signature" cols="72">-- \nDr. Anwar Sadat</pre></body></html>'
)
OUTLOOK_TOP_HTML = (
    "<html><head><style>p{margin:0}</style></head><body><div>TERIMA</div><div><br></div>"
    '<div id="Signature"><p>Dewi Kartika<br>Sekretaris DPUPR</p></div>'
    '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><b>Dari:</b> LAPOR '
    "Bontang<br><b>Dikirim:</b> Senin, 30 November 2026 10.15<br></div><div>VALID DISHUB</div></body></html>"
)
OUTLOOK_EMPTY_HTML = (
    '<html><body><div><br></div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm '
    '0cm"><p><b>From:</b> LAPOR Bontang</p></div><div>SETUJU</div></body></html>'
)
APPLE_TOP_HTML = (
    '<html><body dir="auto"><div>Tolak: di luar wilayah Kota Bontang</div><div><br><blockquote type="cite">'
    "<div>On Nov 30, 2026, at 08:40, LAPOR Bontang wrote:</div><div>VALID</div></blockquote></div></body></html>"
)
YAHOO_TOP_HTML = (
    '<div class="ydp"><div>SETUJU</div></div><div class="yahoo_quoted"><div>Pada Senin, 30 November 2026 '
    "08.40.12 WITA, LAPOR Bontang menulis:</div><div><div>TERUSKAN &lt;kode OPD&gt;</div></div></div>"
)
BROKEN_HTML = (
    "<blockquote><p>VALID DISHUB<p>TOLAK spam</blockquote></div></span><p>TOLAK bukan wilayah kota</p>"
)


@pytest.mark.parametrize(
    ("html", "expected", "where"),
    [
        (GMAIL_INTERLEAVED_HTML, "VALID DISHUB", BETWEEN),
        (THUNDERBIRD_BOTTOM_HTML, "TERUSKAN DPUPR, DLH\n\nMohon dikoordinasikan.", BOTTOM),
        (OUTLOOK_TOP_HTML, "TERIMA", TOP),
        (APPLE_TOP_HTML, "Tolak: di luar wilayah Kota Bontang", TOP),
        (YAHOO_TOP_HTML, "SETUJU", TOP),
        (BROKEN_HTML, "TOLAK bukan wilayah kota", BOTTOM),
        (OUTLOOK_EMPTY_HTML, "", NONE),
    ],
    ids=[
        "gmail-interleaved",
        "thunderbird-bottom",
        "outlook-top",
        "apple-top",
        "yahoo-top",
        "broken",
        "outlook-empty",
    ],
)
def test_html_replies(html: str, expected: str, where: str) -> None:
    found = own_html_text(html)
    assert (found.text, found.where) == (expected, where)
    assert html_reply_text(html) == expected  # the existing caller of HTML-only replies


def test_the_html_part_first_then_the_text() -> None:
    text = "On Mon, LAPOR wrote:\n> Aduan\n\nVALID DISHUB\n\n> TOLAK <alasan>\n"
    both = reply_own_text(text, GMAIL_INTERLEAVED_HTML)
    assert (both.text, both.part) == ("VALID DISHUB", "html")
    # an HTML part with no own words (a client that quotes oddly) leaves it to the text part
    fallback = reply_own_text(text, OUTLOOK_EMPTY_HTML)
    assert (fallback.text, fallback.where, fallback.part) == ("VALID DISHUB", BETWEEN, "text")
    assert reply_own_text(text).part == "text"
