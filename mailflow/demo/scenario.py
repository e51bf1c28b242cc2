"""The demo's script: seven complaints and what each person does, when (WITA, from Monday
30 November 2026, the week of EXAMPLE.md). The first case is EXAMPLE.md's journey, minute for
minute, including the head of Diskominfo answering late so the reminders and the escalation fire.

    A  lampu jalan        Dishub, answered and signed by mail            closed
    B  pungli KTP         Disdukcapil, `rahasia`, signed through the watched folder   closed
    C  banjir + sampah    two OPDs (DPUPR by mail, DLH through the folder)   closed
    D  limbah tahu        DLH on the 14-day track (KHUSUS at step 7)      closed
    E  jalan tol          rejected at step 2 (not the city's authority)   rejected
    F  jalan berlubang    misrouted: DISHUB declines (TOLAK at step 5), re-routed to DPUPR   closed
    G  sampah menumpuk    DLH's answer sent back (KEMBALIKAN at step 10), drafted and signed again

The complainants answer too (issue 13): A clicks PUAS and later SUDAH to the follow-up question,
F clicks PUAS, G answers TIDAK PUAS with a comment, and C answers BELUM to the follow-up question.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Complaint:
    key: str
    at: str  # "YYYY-MM-DD HH:MM" WITA
    name: str
    address: str
    subject: str
    body: str
    expect: str  # the case's status at the end: closed / rejected
    expect_track: str = "normal"
    confidential: bool = False
    expect_returned: tuple[str, ...] = ()  # OPDs whose route ends returned (declined)
    expect_revisions: int = 0  # response letters drafted again after being sent back
    expect_satisfaction: str | None = None  # the complainant's answer to the final mail (PUAS, ...)
    expect_resolved: str | None = None  # their answer to the follow-up question (SUDAH, BELUM)


@dataclass(frozen=True)
class Answer:
    at: str
    case: str
    step: int
    person: str  # directory id
    body: str
    style: str = "gmail"  # gmail / outlook / iphone
    opd: str | None = None  # the route, for steps 5-8


@dataclass(frozen=True)
class Sign:
    at: str
    case: str
    opd: str
    via: str  # "mail" (reply with the signed PDF) or "folder" (dropped in letters/returned)


@dataclass(frozen=True)
class Citizen:
    """The complainant answers a mail mailflow sent them: the final answer ("answer") or the
    follow-up question ("followup")."""

    at: str
    case: str
    to: str  # answer / followup
    body: str
    style: str = "gmail"


Action = Answer | Sign | Citizen

COMPLAINTS = (
    Complaint(
        "A",
        "2026-11-30 08:05",
        "Siti Rahma",
        "siti.rahma@gmail.com",
        "Lampu jalan mati di Jl. Ahmad Yani",
        "Selamat pagi Bapak/Ibu,\n\nLampu penerangan jalan umum di Jl. Ahmad Yani, depan masjid Kelurahan "
        "Api-Api, sudah mati sejak tiga malam. Jalan menjadi sangat gelap dan rawan kecelakaan, terutama bagi "
        "anak-anak yang pulang mengaji. Mohon segera diperbaiki. Terima kasih.\n\nSalam,\nSiti Rahma "
        "(0812-3456-7890)",
        "closed",
        expect_satisfaction="PUAS",
        expect_resolved="SUDAH",
    ),
    Complaint(
        "B",
        "2026-11-30 09:30",
        "Rudi Hartanto",
        "rudi.hartanto@yahoo.co.id",
        "Dugaan pungutan liar pengurusan KTP",
        "Yth. Pemerintah Kota Bontang,\n\nSaat mengurus perekaman e-KTP di kantor kelurahan pekan lalu, "
        "saya diminta membayar Rp150.000 oleh petugas agar dipercepat, tanpa kuitansi. Mohon ditindaklanjuti. "
        "Mohon identitas saya dirahasiakan karena saya masih harus mengurus dokumen di sana.\n\n"
        "Hormat saya,\nRudi Hartanto\n0813-5566-7788",
        "closed",
        confidential=True,
    ),
    Complaint(
        "E",
        "2026-11-30 10:00",
        "Wahyudi",
        "wahyudi.btg@gmail.com",
        "Jalan tol Balikpapan-Samarinda rusak",
        "Selamat pagi, jalan tol Balikpapan-Samarinda di KM 13 berlubang cukup dalam dan membahayakan "
        "pengendara. Mohon segera diperbaiki.\n\nWahyudi",
        "rejected",
    ),
    Complaint(
        "C",
        "2026-11-30 13:00",
        "Andi Saputra",
        "andi.saputra@gmail.com",
        "Banjir karena selokan tersumbat sampah di Jl. MT Haryono",
        "Yth. Bapak/Ibu,\n\nSetiap hujan deras, Jl. MT Haryono RT 12 Kelurahan Tanjung Laut banjir setinggi "
        "lutut. Selokan di sepanjang jalan tersumbat sampah dan gorong-gorongnya sudah rusak. Mohon "
        "selokan dibersihkan dan gorong-gorong diperbaiki.\n\nTerima kasih,\nAndi Saputra",
        "closed",
        expect_resolved="BELUM",
    ),
    Complaint(
        "D",
        "2026-12-01 08:15",
        "Maria Ulfa",
        "maria.ulfa@outlook.com",
        "Bau limbah pabrik tahu di Gunung Elai",
        "Selamat pagi,\n\nSudah dua minggu limbah cair pabrik tahu di Jl. Cipto Mangunkusumo, Gunung Elai, "
        "dibuang ke parit warga. Baunya sangat menyengat dan air parit berwarna keruh (pencemaran). Mohon "
        "diperiksa.\n\nMaria Ulfa",
        "closed",
        expect_track="special",
    ),
    Complaint(
        "F",
        "2026-12-01 13:00",
        "Hendra Wijaya",
        "hendra.wijaya@gmail.com",
        "Jalan berlubang di Jl. Awang Long",
        "Selamat siang,\n\nJalan di depan SD Negeri 002 Jl. Awang Long berlubang besar sejak hujan minggu lalu. "
        "Sudah dua pengendara motor terjatuh. Mohon segera ditambal.\n\nHendra Wijaya",
        "closed",
        expect_returned=("DISHUB",),
        expect_satisfaction="PUAS",
    ),
    Complaint(
        "G",
        "2026-12-01 13:20",
        "Dewi Lestari",
        "dewi.lestari@yahoo.com",
        "Sampah tidak diangkut di Jl. Pupuk Raya",
        "Yth. Bapak/Ibu,\n\nSudah lima hari sampah di TPS Jl. Pupuk Raya RT 08 tidak diangkut. Sampah meluber "
        "ke jalan dan baunya mengganggu warga. Mohon diangkut dan jadwalnya diperbaiki.\n\nDewi Lestari",
        "closed",
        expect_revisions=1,
        expect_satisfaction="TIDAK PUAS",
    ),
)

ACTIONS: tuple[Action, ...] = (
    # --- Monday 30 November ----------------------------------------------------------------------
    Answer("2026-11-30 08:40", "A", 2, "kabid_ikp", "VALID DISHUB"),
    Answer("2026-11-30 10:15", "A", 4, "kadis_kominfo", "Setuju.\n\nSalam,\nKadis Kominfo"),
    Answer("2026-11-30 10:20", "B", 2, "kabid_ikp", "Valid, teruskan ke Disdukcapil.", style="outlook"),
    Answer(
        "2026-11-30 10:25",
        "E",
        2,
        "kabid_ikp",
        "TOLAK Jalan tol Balikpapan-Samarinda bukan kewenangan Pemerintah Kota Bontang. Aduan Bapak "
        "kami sarankan disampaikan kepada pengelola jalan tol (Jasa Marga) atau melalui SP4N-LAPOR!.",
        style="outlook",
    ),
    Answer("2026-11-30 10:50", "A", 5, "sekretaris_dishub", "TERIMA", style="outlook", opd="DISHUB"),
    Answer("2026-11-30 10:55", "B", 4, "kadis_kominfo", "SETUJU", style="iphone"),
    Answer(
        "2026-11-30 11:30",
        "A",
        6,
        "kadis_dishub",
        "DISPOSISI PJU: mohon segera dicek dan diperbaiki",
        opd="DISHUB",
    ),
    Answer("2026-11-30 11:40", "B", 5, "sekretaris_disdukcapil", "Terima", opd="DISDUKCAPIL"),
    Answer(
        "2026-11-30 13:30",
        "B",
        6,
        "kadis_disdukcapil",
        "DISPOSISI DAFDUK: periksa petugas kelurahan yang dimaksud dan pastikan layanan KTP tanpa biaya",
        style="outlook",
        opd="DISDUKCAPIL",
    ),
    Answer("2026-11-30 13:45", "C", 2, "kabid_ikp", "VALID"),
    Answer("2026-11-30 14:10", "C", 4, "kadis_kominfo", "TERUSKAN DPUPR, DLH\n\nSalam,\nKadis Kominfo"),
    Answer("2026-11-30 14:30", "C", 5, "sekretaris_dpupr", "TERIMA", opd="DPUPR"),
    Answer(
        "2026-11-30 14:40", "C", 5, "sekretaris_dlh", "Diterima, terima kasih.", style="outlook", opd="DLH"
    ),
    Answer(
        "2026-11-30 15:00",
        "C",
        6,
        "kadis_dpupr",
        "DISPOSISI SDA: perbaiki gorong-gorong di RT 12",
        opd="DPUPR",
    ),
    Answer(
        "2026-11-30 15:10",
        "C",
        6,
        "kadis_dlh",
        "Disposisi sampah: bersihkan selokan Jl. MT Haryono",
        style="iphone",
        opd="DLH",
    ),
    # --- Tuesday 1 December -----------------------------------------------------------------------
    Answer("2026-12-01 08:50", "D", 2, "kabid_ikp", "VALID DLH"),
    Answer("2026-12-01 09:30", "D", 4, "kadis_kominfo", "Setuju"),
    Answer("2026-12-01 10:00", "D", 5, "sekretaris_dlh", "TERIMA", style="outlook", opd="DLH"),
    Answer(
        "2026-12-01 10:30",
        "D",
        6,
        "kadis_dlh",
        "DISPOSISI PPKL: periksa sumber limbah dan izin usahanya",
        opd="DLH",
    ),
    Answer(
        "2026-12-01 11:00",
        "D",
        7,
        "kabid_ppkl_dlh",
        "KHUSUS perlu tinjauan lapangan bersama DPUPR dan uji laboratorium sampel air parit",
        opd="DLH",
    ),
    # F: the IKP sends a pothole to DISHUB; DISHUB's secretary declines, the head re-routes
    Answer("2026-12-01 13:25", "F", 2, "kabid_ikp", "VALID DISHUB"),
    Answer("2026-12-01 13:40", "G", 2, "kabid_ikp", "VALID DLH", style="outlook"),
    Answer("2026-12-01 13:50", "F", 4, "kadis_kominfo", "SETUJU"),
    Answer("2026-12-01 13:55", "G", 4, "kadis_kominfo", "Setuju", style="iphone"),
    Answer(
        "2026-12-01 14:10",
        "F",
        5,
        "sekretaris_dishub",
        "TOLAK: perbaikan jalan berlubang adalah kewenangan Dinas PUPR (Bidang Bina Marga), bukan Dinas "
        "Perhubungan.",
        style="outlook",
        opd="DISHUB",
    ),
    Answer("2026-12-01 14:20", "G", 5, "sekretaris_dlh", "TERIMA", opd="DLH"),
    Answer("2026-12-01 14:30", "F", 4, "kadis_kominfo", "TERUSKAN DPUPR"),
    Answer(
        "2026-12-01 14:40",
        "G",
        6,
        "kadis_dlh",
        "DISPOSISI sampah: angkut sampah di TPS Jl. Pupuk Raya",
        opd="DLH",
    ),
    Answer("2026-12-01 14:50", "F", 5, "sekretaris_dpupr", "TERIMA", opd="DPUPR"),
    Answer(
        "2026-12-01 15:10",
        "F",
        6,
        "kadis_dpupr",
        "DISPOSISI BM: mohon segera ditambal",
        style="iphone",
        opd="DPUPR",
    ),
    Answer(
        "2026-12-01 14:00",
        "B",
        7,
        "kabid_dafduk_disdukcapil",
        "TANGGAPAN\nTerima kasih atas laporan yang disampaikan.\n\nDinas Kependudukan dan Pencatatan Sipil "
        "telah memeriksa petugas kelurahan yang dimaksud dan memberikan teguran tertulis. Kami tegaskan "
        "bahwa seluruh layanan administrasi kependudukan tidak dipungut biaya.\n\nMasyarakat dapat "
        "melaporkan setiap pungutan melalui layanan LAPOR Bontang.",
        opd="DISDUKCAPIL",
    ),
    Answer(
        "2026-12-01 15:00",
        "C",
        7,
        "kabid_sda_dpupr",
        "TANGGAPAN\nTerima kasih atas laporan Bapak.\n\nTim Bidang Sumber Daya Air telah meninjau Jl. MT "
        "Haryono RT 12 pada 1 Desember 2026. Gorong-gorong yang rusak dijadwalkan diganti pada pekan kedua "
        "Desember 2026.",
        opd="DPUPR",
    ),
    # --- Wednesday 2 December -----------------------------------------------------------------------
    Sign("2026-12-02 08:30", "B", "DISDUKCAPIL", via="folder"),
    Answer(
        "2026-12-02 09:00",
        "C",
        7,
        "kabid_sampah_dlh",
        "TANGGAPAN\nTerima kasih atas laporannya.\n\nPetugas kebersihan DLH telah membersihkan selokan di "
        "sepanjang Jl. MT Haryono pada 2 Desember 2026 dan mengangkut sampah ke TPA.",
        style="outlook",
        opd="DLH",
    ),
    Answer(
        "2026-12-02 09:30",
        "G",
        7,
        "kabid_sampah_dlh",
        "TANGGAPAN\nTerima kasih atas laporan Ibu.\n\nSampah di TPS Jl. Pupuk Raya akan segera diangkut.",
        opd="DLH",
    ),
    Answer(
        "2026-12-02 10:00",
        "F",
        7,
        "kabid_bm_dpupr",
        "TANGGAPAN\nTerima kasih atas laporan Bapak.\n\nLubang di Jl. Awang Long depan SD Negeri 002 telah "
        "ditambal dengan aspal panas pada Rabu, 2 Desember 2026.",
        opd="DPUPR",
    ),
    Answer("2026-12-02 10:30", "B", 10, "kabid_ikp", "SETUJU"),
    Sign("2026-12-02 11:00", "G", "DLH", via="mail"),
    Answer(
        "2026-12-02 11:15",
        "B",
        11,
        "admin_lapor",
        "KIRIM\nBapak Rudi yang kami hormati, berikut jawaban atas "
        "aduan Bapak. Identitas Bapak tetap kami rahasiakan.",
    ),
    Answer(
        "2026-12-02 14:00",
        "A",
        7,
        "kabid_pju_dishub",
        "TANGGAPAN\nTerima kasih atas laporan Ibu.\n\nPada hari Selasa, 1 Desember 2026, petugas Bidang "
        "Penerangan Jalan Umum telah melakukan pengecekan ke lokasi di Jl. Ahmad Yani, Kelurahan Api-Api.\n\n"
        "Hasil pengecekan menunjukkan kerusakan pada panel kontrol dan dua unit lampu LED 120 watt. "
        "Perbaikan panel dan penggantian lampu telah selesai dilaksanakan pada hari Rabu, 2 Desember 2026, "
        "dan seluruh lampu di ruas jalan tersebut telah menyala kembali.",
        opd="DISHUB",
    ),
    Answer(
        "2026-12-02 11:10",
        "G",
        10,
        "kabid_ikp",
        "KEMBALIKAN: mohon sebutkan tanggal pengangkutan dan jadwal rutin pengangkutan ke depan.",
    ),
    Sign("2026-12-02 13:00", "F", "DPUPR", via="mail"),
    Answer(
        "2026-12-02 13:30",
        "G",
        7,
        "kabid_sampah_dlh",
        "TANGGAPAN\nTerima kasih atas laporan Ibu.\n\nSampah di TPS Jl. Pupuk Raya telah diangkut pada Rabu, "
        "2 Desember 2026. Mulai 7 Desember 2026 sampah di TPS tersebut diangkut setiap Senin, Rabu dan Jumat.",
        style="outlook",
        opd="DLH",
    ),
    Answer("2026-12-02 13:20", "F", 10, "kabid_ikp", "SETUJU"),
    Answer("2026-12-02 14:00", "F", 11, "admin_lapor", "KIRIM"),
    Sign("2026-12-02 15:00", "C", "DPUPR", via="mail"),
    Citizen("2026-12-02 15:30", "F", "answer", "Puas, terima kasih. Jalannya sudah mulus lagi."),
    # --- Thursday 3 December ---------------------------------------------------------------------
    Sign("2026-12-03 08:00", "G", "DLH", via="mail"),
    Sign("2026-12-03 08:20", "C", "DLH", via="folder"),
    Answer("2026-12-03 08:25", "G", 10, "kabid_ikp", "SETUJU"),
    Answer("2026-12-03 08:50", "G", 11, "admin_lapor", "KIRIM"),
    Sign("2026-12-03 09:10", "A", "DISHUB", via="mail"),
    Answer("2026-12-03 09:25", "A", 10, "kabid_ikp", "SETUJU"),
    Answer("2026-12-03 09:40", "C", 10, "kabid_ikp", "Setuju, terima kasih."),
    Answer("2026-12-03 10:00", "A", 11, "admin_lapor", "KIRIM"),
    Answer("2026-12-03 10:20", "C", 11, "admin_lapor2", "KIRIM", style="outlook"),
    Citizen("2026-12-03 10:40", "A", "answer", "PUAS", style="iphone"),
    Citizen(
        "2026-12-03 10:50",
        "G",
        "answer",
        "Tidak puas: sampahnya memang sudah diangkut, tapi hari ini TPS sudah penuh lagi.",
        style="outlook",
    ),
    # --- the 14-day track: Thursday 10 and Friday 11 December -----------------------------------------
    Answer(
        "2026-12-10 10:00",
        "D",
        7,
        "kabid_ppkl_dlh",
        "TANGGAPAN\nTerima kasih atas laporan Ibu.\n\nTim DLH bersama DPUPR telah meninjau lokasi pada 3 dan "
        "8 Desember 2026 dan mengambil sampel air parit. Hasil uji laboratorium menunjukkan kadar BOD di "
        "atas baku mutu. Pemilik usaha telah diberi teguran tertulis dan wajib membangun instalasi "
        "pengolahan air limbah sederhana dalam 30 hari; DLH akan memantau pelaksanaannya.",
        opd="DLH",
    ),
    Sign("2026-12-11 08:00", "D", "DLH", via="mail"),
    Answer("2026-12-11 08:30", "D", 10, "kabid_ikp", "SETUJU", style="iphone"),
    Answer("2026-12-11 09:00", "D", 11, "admin_lapor", "KIRIM"),
    # --- the follow-up question, ten working days after closing: Thursday 17 December -------------
    Citizen("2026-12-17 10:45", "A", "followup", "Sudah, lampunya menyala terus. Terima kasih."),
    Citizen("2026-12-17 11:00", "C", "followup", "Belum, gorong-gorongnya belum diganti.", style="iphone"),
)
