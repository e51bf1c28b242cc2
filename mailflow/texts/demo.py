"""User-facing texts of `mailflow demo`."""

MESSAGES: dict[str, tuple[str, str]] = {
    "demo.title": (
        "Demo LAPOR Bontang: tujuh aduan melewati SOP di server lokal ({folder})",
        "LAPOR Bontang demo: seven complaints through the SOP on local servers ({folder})",
    ),
    "demo.servers": (
        "Server: IMAP 127.0.0.1:{imap}, SMTP 127.0.0.1:{smtp}; basis data {database}",
        "Servers: IMAP 127.0.0.1:{imap}, SMTP 127.0.0.1:{smtp}; database {database}",
    ),
    "demo.no_libreoffice": (
        "LibreOffice tidak ditemukan: surat dibuat sebagai DOCX saja; untuk tanda tangan, demo membuat "
        "PDF teks sederhana dari isi surat.",
        "LibreOffice not found: letters are produced as DOCX only; for signing, the demo makes a plain "
        "text PDF of each letter.",
    ),
    "demo.kind.complaint": ("aduan", "complaint"),
    "demo.kind.reply": ("balasan", "reply"),
    "demo.kind.signed": ("tanda tangan", "signature"),
    "demo.kind.reminder": ("pengingat", "reminder"),
    "demo.kind.escalation": ("eskalasi", "escalation"),
    "demo.kind.step": ("", ""),
    "demo.signed.mail": (
        "surat tanggapan ditandatangani dan dikirim kembali sebagai lampiran balasan",
        "signed the response letter and sent it back attached to a reply",
    ),
    "demo.signed.folder": (
        "surat tanggapan ditandatangani dan disimpan di {folder}",
        "signed the response letter and saved it in {folder}",
    ),
    "demo.step.done": (
        "→ langkah {step}{where} selesai: {taken}, {verdict}",
        "→ step {step}{where} done: {taken}, {verdict}",
    ),
    "demo.step.started": (
        "→ langkah {step}{where} dimulai: {who}, batas {due}",
        "→ step {step}{where} started: {who}, due {due}",
    ),
    "demo.case.end": ("→ aduan {number} {status}", "→ complaint {number} {status}"),
    "demo.unknown_cases": (
        "aduan tidak dikenal: {unknown}; pilih dari {choices}",
        "unknown complaint(s) {unknown}; choose from {choices}",
    ),
    "demo.special_track": ("jalur khusus 14 hari", "14-day special track"),
    "demo.letters_at": ("Surat: {path}", "Letters: {path}"),
    "demo.weekly": ("Email kepatuhan mingguan ditulis ke:", "The weekly compliance email was written to:"),
    "demo.ok": (
        "Selesai: semua aduan mencapai keadaan akhir yang diharapkan.",
        "Done: every complaint reached its expected end state.",
    ),
    "demo.failed": ("Demo gagal:", "The demo failed:"),
    "demo.keep": (
        "Server tetap berjalan (Ctrl-C untuk berhenti). Hubungkan Thunderbird:\n"
        "  IMAP  127.0.0.1 port {imap}, tanpa enkripsi, pengguna {user}, sandi {password}\n"
        "        folder INBOX = kotak aduan, folder Petugas = semua email yang dikirim sistem kepada petugas\n"
        "  SMTP  127.0.0.1 port {smtp}, tanpa enkripsi dan tanpa autentikasi\n"
        "Untuk berperan sebagai petugas, buat identitas dengan alamatnya (mis. kadis.kominfo@bontangkota.go.id),\n"
        "buka email untuknya di folder Petugas dan balas: perintah pada baris pertama, seperti SETUJU.\n"
        "Aduan baru: kirim email ke {mailbox}. Folder data: {folder}",
        "The servers keep running (Ctrl-C to stop). Connect Thunderbird:\n"
        "  IMAP  127.0.0.1 port {imap}, no encryption, user {user}, password {password}\n"
        "        folder INBOX = the complaint mailbox, folder Petugas = every mail the system sent to officials\n"
        "  SMTP  127.0.0.1 port {smtp}, no encryption, no authentication\n"
        "To play an official, add an identity with their address (e.g. kadis.kominfo@bontangkota.go.id),\n"
        "open a mail for them in the Petugas folder and reply with the command on the first line, e.g. SETUJU.\n"
        "New complaint: send a mail to {mailbox}. Data folder: {folder}",
    ),
}
