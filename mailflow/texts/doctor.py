"""User-facing texts of `mailflow doctor`: {key: (Indonesian, English)}.

Each finding is a message and, for warnings and failures, what to do (`*_hint`).
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "doctor.status.ok": ("OK", "OK"),
    "doctor.status.warn": ("PERINGATAN", "WARNING"),
    "doctor.status.fail": ("GAGAL", "FAILED"),
    "doctor.title": ("Pemeriksaan mailflow ({config})", "mailflow check ({config})"),
    "doctor.summary.ok": (
        "Semua pemeriksaan lulus ({warnings} peringatan).",
        "Every check passed ({warnings} warnings).",
    ),
    "doctor.summary.fail": (
        "{failures} pemeriksaan GAGAL, {warnings} peringatan: perbaiki dulu sebelum menjalankan mailflow.",
        "{failures} checks FAILED, {warnings} warnings: fix them before running mailflow.",
    ),
    "doctor.what_to_do": ("Yang perlu dilakukan", "What to do"),
    "doctor.bad_skip": (
        "pemeriksaan tidak dikenal: {names}; pilihan: {known}",
        "unknown checks: {names}; choose from: {known}",
    ),
    "doctor.unexpected": ("pemeriksaan terhenti karena kesalahan: {error}", "the check broke: {error}"),
    # database
    "doctor.db.ok": (
        "basis data terhubung, skema revisi {revision} (terbaru)",
        "database reachable, schema {revision} (newest)",
    ),
    "doctor.db.unreachable": (
        "basis data tidak dapat dihubungi: {error}",
        "cannot reach the database: {error}",
    ),
    "doctor.db.unreachable_hint": (
        "periksa database.url / MAILFLOW_DATABASE_URL, server PostgreSQL, nama pengguna dan sandinya",
        "check database.url / MAILFLOW_DATABASE_URL, the PostgreSQL server, its user and password",
    ),
    "doctor.db.behind": (
        "skema basis data revisi {current}, yang terbaru {head}",
        "the database schema is at {current}, the newest is {head}",
    ),
    "doctor.db.behind_hint": ("jalankan `mailflow db upgrade`", "run `mailflow db upgrade`"),
    # token secret
    "doctor.secret.ok": ("rahasia token {length} bita", "token secret of {length} bytes"),
    "doctor.secret.short": (
        "rahasia token hanya {length} bita: tanda balasan dapat ditebak",
        "the token secret has only {length} bytes: reply tokens could be forged",
    ),
    "doctor.secret.weak": (
        "rahasia token {length} bita; disarankan paling sedikit 32",
        "the token secret has {length} bytes; use at least 32",
    ),
    "doctor.secret.hint": (
        "isi tokens.secret atau MAILFLOW_TOKEN_SECRET dengan nilai acak panjang, mis. "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` (token lama tidak berlaku lagi)",
        "set tokens.secret or MAILFLOW_TOKEN_SECRET to a long random value, e.g. "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` (older tokens stop working)",
    ),
    # templates
    "doctor.templates.ok": (
        "templat surat lengkap ({count} isian)",
        "letter template complete ({count} fields)",
    ),
    "doctor.templates.broken": (
        "templat surat tidak dapat dibaca: {error}",
        "cannot read the letter template: {error}",
    ),
    "doctor.templates.fields": ("isian bermasalah: {names}", "fields to fix: {names}"),
    "doctor.templates.hint": (
        "jalankan `mailflow templates check` untuk rinciannya, atau `mailflow templates build`",
        "run `mailflow templates check` for details, or `mailflow templates build`",
    ),
    # trust roots
    "doctor.trust.ok": ("akar kepercayaan berlaku sampai {until}", "trust root valid until {until}"),
    "doctor.trust.none": (
        "signatures.trust_roots kosong: tidak ada tanda tangan elektronik yang dipercaya",
        "signatures.trust_roots is empty: no electronic signature can be trusted",
    ),
    "doctor.trust.none_hint": (
        "tambahkan sertifikat akar (mis. BSrE dari BSSN) ke signatures.trust_roots",
        "add the root certificates (e.g. BSSN's BSrE root) to signatures.trust_roots",
    ),
    "doctor.trust.unreadable": (
        "akar kepercayaan tidak dapat dibaca: {error}",
        "cannot read a trust root: {error}",
    ),
    "doctor.trust.expired": (
        "akar kepercayaan kedaluwarsa sejak {until}",
        "the trust root expired on {until}",
    ),
    "doctor.trust.not_yet": (
        "akar kepercayaan baru berlaku mulai {since}",
        "the trust root is valid only from {since}",
    ),
    "doctor.trust.expiring": (
        "akar kepercayaan kedaluwarsa {until} ({days} hari lagi)",
        "the trust root expires on {until} (in {days} days)",
    ),
    "doctor.trust.hint": (
        "minta sertifikat akar yang baru kepada penerbitnya (BSSN untuk BSrE) dan ganti berkasnya",
        "get the new root certificate from its issuer (BSSN for BSrE) and replace the file",
    ),
    # converter
    "doctor.converter.ok": (
        "LibreOffice berjalan dan mengubah contoh DOCX menjadi PDF",
        "LibreOffice started and converted a sample DOCX to PDF",
    ),
    "doctor.converter.disabled": (
        "konverter dimatikan (converter.enabled = false): surat dikirim sebagai DOCX saja",
        "the converter is off (converter.enabled = false): letters go out as DOCX only",
    ),
    "doctor.converter.failed": ("konversi PDF gagal: {error}", "PDF conversion failed: {error}"),
    "doctor.converter.hint": (
        "pasang LibreOffice: `apt-get install libreoffice-writer-nogui python3-uno`; "
        "periksa converter.soffice",
        "install LibreOffice: `apt-get install libreoffice-writer-nogui python3-uno`; "
        "check converter.soffice",
    ),
    # clock
    "doctor.clock.zone": (
        "zona waktu {label}: sekarang {now} (UTC{offset})",
        "time zone {label}: now {now} (UTC{offset})",
    ),
    "doctor.clock.ok": (
        "jam server ini cocok dengan server IMAP (selisih {seconds} detik)",
        "this machine's clock agrees with the IMAP server ({seconds} s apart)",
    ),
    "doctor.clock.skew": (
        "jam server ini berselisih {seconds} detik dengan server IMAP",
        "this machine's clock is {seconds} s off the IMAP server's",
    ),
    "doctor.clock.hint": (
        "aktifkan sinkronisasi waktu (mis. `timedatectl set-ntp true` atau chrony)",
        "turn on time synchronisation (e.g. `timedatectl set-ntp true` or chrony)",
    ),
    "doctor.clock.unknown": (
        "jam tidak dibandingkan dengan server IMAP (tidak ada email uji)",
        "the clock was not compared with the IMAP server (no probe mail)",
    ),
    "doctor.clock.unknown_hint": (
        "perbaiki pemeriksaan SMTP dan kotak surat pengaduan lebih dulu",
        "fix the SMTP and complaint mailbox checks first",
    ),
    # SMTP
    "doctor.smtp.login_ok": ("SMTP tersambung, login sebagai {user}", "SMTP connected, signed in as {user}"),
    "doctor.smtp.no_login": ("SMTP tersambung (tanpa login)", "SMTP connected (no sign-in)"),
    "doctor.smtp.login_failed": ("SMTP gagal: {error}", "SMTP failed: {error}"),
    "doctor.smtp.login_hint": (
        "periksa smtp.user dan sandinya (MAILFLOW_SMTP_PASSWORD) atau `mailflow auth login smtp`",
        "check smtp.user and its password (MAILFLOW_SMTP_PASSWORD) or `mailflow auth login smtp`",
    ),
    "doctor.smtp.unreachable_hint": (
        "periksa smtp.host, smtp.port dan smtp.security (587 starttls, 465 tls) serta firewall",
        "check smtp.host, smtp.port and smtp.security (587 starttls, 465 tls) and the firewall",
    ),
    "doctor.smtp.test_subject": ("Uji mailflow doctor", "mailflow doctor test"),
    "doctor.smtp.test_body": (
        "Email ini dikirim oleh `mailflow doctor` melalui {host} untuk menguji pengiriman. "
        "Tidak perlu dibalas.",
        "This mail was sent by `mailflow doctor` through {host} to test delivery. No reply needed.",
    ),
    "doctor.smtp.test_ok": (
        "email uji terkirim ke {to} ({message_id})",
        "test mail sent to {to} ({message_id})",
    ),
    "doctor.smtp.test_failed": ("email uji tidak terkirim: {error}", "the test mail was not sent: {error}"),
    "doctor.smtp.test_hint": (
        "periksa alamat tujuan dan apakah server SMTP mengizinkan pengirim smtp.from_address",
        "check the address and whether the SMTP server lets smtp.from_address send",
    ),
    # the plus-address probe
    "doctor.probe.subject": (
        "mailflow doctor: uji alamat plus {probe}",
        "mailflow doctor: plus-address probe {probe}",
    ),
    "doctor.probe.body": (
        "Email uji dari `mailflow doctor`; dihapus otomatis setelah ditemukan.",
        "A probe from `mailflow doctor`; deleted once found.",
    ),
    "doctor.probe.ok": (
        "alamat plus {address} sampai di kotak surat ini dalam {seconds} detik (email uji dihapus)",
        "the plus-address {address} reached this mailbox in {seconds} s (probe deleted)",
    ),
    "doctor.probe.missing": (
        "email uji ke {address} tidak sampai di kotak surat ini dalam {seconds} detik",
        "the probe to {address} did not reach this mailbox within {seconds} s",
    ),
    "doctor.probe.missing_hint": (
        "balasan pejabat memakai alamat lapor+<token>@: aktifkan alamat plus di server surat "
        "(Postfix: recipient_delimiter = +; Exchange Online: plus addressing), lalu ulangi",
        "officials' replies use lapor+<token>@ addresses: turn on plus addressing on the mail server "
        "(Postfix: recipient_delimiter = +; Exchange Online: plus addressing), then run again",
    ),
    "doctor.probe.send_failed": (
        "email uji ke {address} tidak terkirim: {error}",
        "the probe to {address} was not sent: {error}",
    ),
    "doctor.probe.send_hint": (
        "server SMTP menolak alamat plus; periksa tokens.reply_address dan pengaturan server",
        "the SMTP server refused the plus-address; check tokens.reply_address and the server",
    ),
    "doctor.probe.not_sent": (
        "alamat plus tidak diuji (SMTP gagal)",
        "plus-addressing not tested (SMTP failed)",
    ),
    "doctor.probe.not_sent_hint": ("perbaiki SMTP lebih dulu", "fix SMTP first"),
    # IMAP
    "doctor.imap.none": ("tidak ada kotak surat ([[mailboxes]])", "no mailbox ([[mailboxes]])"),
    "doctor.imap.none_hint": (
        "tambahkan kotak surat pengaduan ke mailflow.toml",
        "add the complaint mailbox to mailflow.toml",
    ),
    "doctor.imap.login_ok": (
        "IMAP tersambung, login berhasil ({method})",
        "IMAP connected, signed in ({method})",
    ),
    "doctor.imap.login_refused": (
        "server IMAP menolak login: {error}",
        "the IMAP server refused the sign-in: {error}",
    ),
    "doctor.imap.login_hint": (
        "periksa user dan sandinya (MAILFLOW_MAILBOX_<NAMA>_PASSWORD), atau "
        "`mailflow auth login <nama>` untuk OAuth2",
        "check user and its password (MAILFLOW_MAILBOX_<NAME>_PASSWORD), or "
        "`mailflow auth login <name>` for OAuth2",
    ),
    "doctor.imap.oauth_failed": ("{error}", "{error}"),
    "doctor.imap.unreachable": (
        "server IMAP tidak dapat dihubungi: {error}",
        "cannot reach the IMAP server: {error}",
    ),
    "doctor.imap.unreachable_hint": (
        "periksa host, port dan security (993 tls, 143 starttls) serta firewall",
        "check host, port and security (993 tls, 143 starttls) and the firewall",
    ),
    "doctor.imap.failed": ("perintah IMAP gagal: {error}", "an IMAP command failed: {error}"),
    "doctor.imap.folder_ok": (
        "folder {folder} ada ({count} pesan)",
        "folder {folder} exists ({count} messages)",
    ),
    "doctor.imap.folder_missing": ("folder {folder} tidak ada", "folder {folder} does not exist"),
    "doctor.imap.folder_hint": (
        "periksa nama folder (folder = ...) di mailflow.toml",
        "check the folder name (folder = ...) in mailflow.toml",
    ),
    "doctor.imap.folder_absent": (
        "folder {folder} belum ada (poller membuatnya saat pertama dipakai)",
        "folder {folder} does not exist yet (the poller creates it when first needed)",
    ),
    "doctor.imap.folder_created": ("folder {folder} dibuat", "folder {folder} created"),
    "doctor.imap.create_failed": (
        "folder {folder} tidak dapat dibuat: {error}",
        "cannot create folder {folder}: {error}",
    ),
    "doctor.imap.idle_ok": (
        "IDLE tersedia: email baru terbaca seketika",
        "IDLE offered: new mail is read at once",
    ),
    "doctor.imap.no_idle": (
        "server tidak menawarkan IDLE: kotak surat dibaca setiap {seconds} detik",
        "the server offers no IDLE: the mailbox is read every {seconds} s",
    ),
}
