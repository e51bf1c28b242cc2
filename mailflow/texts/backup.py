"""User-facing texts of `mailflow backup` and `mailflow restore`: {key: (Indonesian, English)}."""

MESSAGES: dict[str, tuple[str, str]] = {
    "backup.target_not_empty": (
        "folder cadangan {path} sudah berisi; pilih folder baru atau kosong",
        "the backup folder {path} is not empty; choose a new or empty folder",
    ),
    "backup.moving_files": (
        "berkas terus berpindah selama pencadangan ({attempts} kali dicoba); coba lagi nanti",
        "files kept moving during the backup ({attempts} attempts); try again later",
    ),
    "backup.done": (
        "Cadangan ditulis ke {folder}: {files} berkas, {size}; {cases} aduan, {messages} email, "
        "{documents} surat; basis data {database} revisi {revision}.",
        "Backup written to {folder}: {files} files, {size}; {cases} complaints, {messages} mails, "
        "{documents} letters; {database} database at revision {revision}.",
    ),
    "backup.unmapped": (
        "Peringatan: {count} berkas di luar folder mailflow tidak ikut dicadangkan (mis. {example}).",
        "Warning: {count} files outside mailflow's folders were not backed up (e.g. {example}).",
    ),
    "backup.no_secrets": (
        "Rahasia (sandi, rahasia token, client secret, token OAuth2) tidak ikut; simpan di tempat lain.",
        "Secrets (passwords, token secret, client secrets, OAuth2 tokens) are not included; "
        "keep them elsewhere.",
    ),
    "backup.no_manifest": (
        "{path} bukan cadangan mailflow (manifest.json tidak ada atau rusak)",
        "{path} is no mailflow backup (manifest.json missing or unreadable)",
    ),
    "backup.format": ("format cadangan {found} tidak dikenal", "unknown backup format {found}"),
    "backup.damaged": (
        "cadangan rusak: {name} hilang atau isinya berubah (hash tidak cocok)",
        "the backup is damaged: {name} is missing or changed (hash mismatch)",
    ),
    "backup.site_exists": (
        "{path} sudah ada; pulihkan ke folder situs yang baru",
        "{path} already exists; restore into a new site folder",
    ),
    "backup.needs_url": (
        "cadangan PostgreSQL dipulihkan ke basis data PostgreSQL yang kosong: berikan --database-url",
        "a PostgreSQL backup restores into an empty PostgreSQL database: give --database-url",
    ),
    "backup.sqlite_only": (
        "cadangan SQLite dipulihkan ke SQLite (pindah ke PostgreSQL belum didukung)",
        "a SQLite backup restores into SQLite (moving to PostgreSQL is not supported)",
    ),
    "backup.restored": (
        "Dipulihkan ke {site}: {files} berkas; {cases} aduan, {messages} email, {documents} surat; "
        "skema revisi {revision}.",
        "Restored into {site}: {files} files; {cases} complaints, {messages} mails, {documents} letters; "
        "schema at revision {revision}.",
    ),
    "backup.restore_next": (
        "Berikutnya: isi rahasia (MAILFLOW_TOKEN_SECRET yang SAMA seperti dulu, agar balasan atas email "
        "lama tetap diterima; sandi kotak surat dan SMTP), `mailflow auth login` untuk akun OAuth2, lalu "
        "`mailflow -c {config} doctor`.",
        "Next: set the secrets (the SAME MAILFLOW_TOKEN_SECRET as before, so replies to earlier mails are "
        "still accepted; mailbox and SMTP passwords), `mailflow auth login` for OAuth2 accounts, then "
        "`mailflow -c {config} doctor`.",
    ),
}
