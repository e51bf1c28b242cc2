"""User-facing texts of the ingest area: {key: (Indonesian, English)}."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ingest.no_mailboxes": (
        "Tidak ada kotak surat di konfigurasi ([[mailboxes]])",
        "No mailbox in the configuration ([[mailboxes]])",
    ),
    "ingest.poll_result": (
        "{mailbox}: {seen} pesan di folder, {processed} diproses, {skipped} sudah diproses, "
        "{quarantined} dikarantina",
        "{mailbox}: {seen} messages in the folder, {processed} processed, {skipped} already done, "
        "{quarantined} quarantined",
    ),
    "ingest.polling": (
        "Membaca {count} kotak surat (IDLE bila tersedia). Hentikan dengan Ctrl+C.",
        "Reading {count} mailbox(es) (IDLE where offered). Stop with Ctrl+C.",
    ),
    "ingest.stopped": ("Berhenti.", "Stopped."),
    "ingest.send_result": (
        "Terkirim {sent}, ditunda (batas harian) {held}, gagal {failed}, dicoba lagi nanti {deferred}, "
        "menunggu lampiran {waiting}, ringkasan {digests}",
        "Sent {sent}, held (daily limit) {held}, failed {failed}, retry later {deferred}, "
        "waiting for attachments {waiting}, digests {digests}",
    ),
    "ingest.sending": (
        "Mengirim email dari outbox terus-menerus. Hentikan dengan Ctrl+C.",
        "Sending outbox mail continuously. Stop with Ctrl+C.",
    ),
    "ingest.q.empty": ("Karantina kosong.", "Quarantine is empty."),
    "ingest.q.col.id": ("ID", "ID"),
    "ingest.q.col.when": ("Waktu", "When"),
    "ingest.q.col.mailbox": ("Kotak surat", "Mailbox"),
    "ingest.q.col.from": ("Dari", "From"),
    "ingest.q.col.subject": ("Perihal", "Subject"),
    "ingest.q.col.reason": ("Alasan", "Reason"),
    "ingest.q.title": ("Karantina ({count})", "Quarantine ({count})"),
    "ingest.q.field.message": ("Pesan", "Message"),
    "ingest.q.field.status": ("Status", "Status"),
    "ingest.q.field.attempts": ("Percobaan", "Attempts"),
    "ingest.q.field.raw": ("Berkas asli", "Raw file"),
    "ingest.q.field.retries": ("Dicoba ulang", "Retried"),
    "ingest.q.field.released": ("Dilepas", "Released"),
    "ingest.q.retried": (
        "Item {id} diproses ulang: status pesan {status}{case}",
        "Item {id} processed again: message status {status}{case}",
    ),
    "ingest.q.retry_case": (", aduan {number}", ", case {number}"),
    "ingest.ignored.empty": (
        "Tidak ada email yang diabaikan dalam {days} hari terakhir.",
        "No mail was ignored in the last {days} days.",
    ),
    "ingest.ignored.title": (
        "Email yang diabaikan, {days} hari terakhir ({count})",
        "Ignored mails, last {days} days ({count})",
    ),
    "ingest.ignored.col.id": ("ID pesan", "Message id"),
    "ingest.ignored.col.when": ("Diterima", "Received"),
    "ingest.ignored.col.mailbox": ("Kotak surat", "Mailbox"),
    "ingest.ignored.col.from": ("Dari", "From"),
    "ingest.ignored.col.subject": ("Perihal", "Subject"),
    "ingest.ignored.col.rule": ("Aturan: alasan", "Rule: reason"),
    "ingest.ignored.automated": ("(email mesin, tanpa aturan)", "(machine mail, no rule)"),
    "ingest.ignored.hint": (
        "Bila salah satunya aduan: mailflow quarantine retry --as-complaint <ID pesan>",
        "Should one be a complaint: mailflow quarantine retry --as-complaint <message id>",
    ),
    "ingest.take_in.done": (
        "Pesan {id} didaftarkan sebagai aduan {number}.",
        "Message {id} registered as complaint {number}.",
    ),
    "ingest.take_in.already": (
        "Pesan {id} sudah menjadi aduan {number}; tidak didaftarkan lagi.",
        "Message {id} is complaint {number} already; not registered again.",
    ),
    "ingest.take_in.not_takeable": (
        "Pesan {id} berstatus {status}: hanya email yang diabaikan atau dikarantina yang dapat "
        "didaftarkan sebagai aduan (lihat `mailflow quarantine list --ignored`).",
        "Message {id} is {status}: only an ignored or quarantined mail can be registered as a "
        "complaint (see `mailflow quarantine list --ignored`).",
    ),
    "ingest.reason.crashed": (
        "proses mailflow berhenti mendadak saat memproses pesan ini",
        "the mailflow process died while processing this message",
    ),
    "ingest.q.server_moved": (
        "Salinan di server dipindahkan keluar dari folder {folder}.",
        "The server copy was moved out of the {folder} folder.",
    ),
    "ingest.q.server_no_id": (
        "Pesan tanpa Message-ID: salinannya di server tetap di folder {folder}; hapus atau pindahkan "
        "dengan klien surel bila perlu.",
        "The message has no Message-ID: its server copy stays in the {folder} folder; delete or move "
        "it with a mail client if needed.",
    ),
    "ingest.q.server_failed": (
        "Pesan sudah diproses, tetapi salinannya di server tetap di folder {folder}: {error}",
        "The message is processed, but its server copy stays in the {folder} folder: {error}",
    ),
    "ingest.rules.ok": (
        "{count} aturan sah dalam {files} berkas ({folder})",
        "{count} valid rules in {files} files ({folder})",
    ),
    "ingest.rules.sample": ("Contoh {file}:", "Sample {file}:"),
    "ingest.rules.noise": (
        "  Email otomatis ({kind}): {reason}; dicatat, tidak diklasifikasikan, tidak dibalas",
        "  Automatic mail ({kind}): {reason}; recorded, not classified, never answered",
    ),
    "ingest.rules.automated": (
        "  Email mesin ({reason}): hanya aturan dengan automated: true yang boleh mengambilnya",
        "  Machine mail ({reason}): only rules with automated: true may take it",
    ),
    "ingest.rules.hit": (
        "  Kena aturan {rule} ({source}): tindakan {action}",
        "  Matches rule {rule} ({source}): action {action}",
    ),
    "ingest.rules.nohit": (
        "  Tidak ada aturan yang cocok: pesan akan dikarantina (no_rule)",
        "  No rule matches: the message would be quarantined (no_rule)",
    ),
    "ingest.rules.because": ("    karena: {why}", "    because: {why}"),
    "ingest.rules.settings": ("    pengaturan aduan: {settings}", "    complaint settings: {settings}"),
    "ingest.rules.signals": ("    tanda balasan: {signals}", "    reply signals: {signals}"),
    "ingest.rules.trace": ("    {mark} {rule}: {why}", "    {mark} {rule}: {why}"),
    "ingest.rules.score": ("    skor {opd}: {score} ({terms})", "    score {opd}: {score} ({terms})"),
    "ingest.rules.field_review": (
        "    perlu tinjauan lapangan (jalur 14 hari): {verdict}, skor {score} ({terms})",
        "    needs a field review (14-day track): {verdict}, score {score} ({terms})",
    ),
    "ingest.rules.yes": ("ya", "yes"),
    "ingest.rules.no": ("tidak", "no"),
    "ingest.rules.form": (
        "  Tampak seperti aduan (formulir web): {why}",
        "  Looks like a complaint (web form): {why}",
    ),
    "ingest.rules.not_ignored": (
        "    aturan {rule} mengabaikannya, tetapi aduan tidak boleh diabaikan",
        "    rule {rule} would ignore it, but a complaint may not be ignored",
    ),
    "ingest.rules.skipped": (
        "Topik OPD dilewati karena tidak ada di direktori: {codes}",
        "OPD topics left out because the directory lacks them: {codes}",
    ),
    "ingest.rules.no_file": ("berkas contoh tidak ditemukan: {file}", "sample file not found: {file}"),
    # --- inbox rule files -------------------------------------------------------------------
    "ingest.rules.err.no_files": (
        "tidak ada berkas aturan (*.yaml) di {folder}",
        "no rule files (*.yaml) in {folder}",
    ),
    "ingest.rules.err.twice": (
        "nama aturan {name!r} dipakai dua kali (juga di {other})",
        "rule name {name!r} is used twice (also in {other})",
    ),
    "ingest.rules.err.pattern": ("isi exact, contains atau regex", "give exact, contains or regex"),
    "ingest.rules.err.empty": ("pola kosong", "empty pattern"),
    "ingest.rules.err.regex": ("regex tidak sah {pattern!r}: {error}", "invalid regex {pattern!r}: {error}"),
    "ingest.rules.err.opd": (
        "OPD {code!r} tidak dikenal; direktori mengenal {known}",
        "unknown OPD {code!r}; the directory knows {known}",
    ),
    "ingest.rules.err.action": (
        "aturan perlu action (complaint, reply, ignore, quarantine) atau continue: true",
        "a rule needs an action (complaint, reply, ignore, quarantine) or continue: true",
    ),
    "ingest.rules.err.settings": (
        "pengaturan 'complaint' tidak berlaku untuk action {action!r}",
        "'complaint' settings do not apply to action {action!r}",
    ),
    "ingest.rules.err.no_topics": (
        "classify: true perlu topik OPD (topics:) di salah satu berkas aturan",
        "classify: true needs OPD topics (topics:) in one of the rule files",
    ),
    "ingest.rules.err.name": (
        "pakai huruf, angka, '.', '-' dan '_' (mis. lapor-portal)",
        "use letters, digits, '.', '-' and '_' (e.g. lapor-portal)",
    ),
    # --- quarantine reasons and lookups -----------------------------------------------------
    "ingest.reason.too_large": (
        "pesan {size} byte melebihi batas {limit} MB",
        "message of {size} bytes is over the {limit} MB limit",
    ),
    "ingest.reason.no_rule": ("tidak ada aturan kotak masuk yang cocok", "no inbox rule matched"),
    # --- hostile or broken mail (issue 11) ---------------------------------------------------
    "ingest.reason.no_from": (
        "pesan tanpa alamat pengirim yang dapat dipakai: {detail}. Pesan tidak didaftarkan sebagai "
        "aduan dan tidak dibalas; periksa isinya secara manual.",
        "message without a usable sender address: {detail}. It was not registered as a complaint "
        "and not answered; check it by hand.",
    ),
    "ingest.from.missing": ("tidak ada kepala From", "there is no From header"),
    "ingest.from.empty": ("kepala From kosong", "the From header is empty"),
    "ingest.from.group_only": (
        "kepala From hanya berisi nama grup tanpa alamat",
        "the From header holds only a group name without an address",
    ),
    "ingest.from.invalid": (
        "alamat di kepala From bukan alamat email yang sah",
        "the address in the From header is not a valid mail address",
    ),
    "ingest.from.several": (
        "kepala From berisi lebih dari satu alamat",
        "the From header holds more than one address",
    ),
    "ingest.from.conflicting": (
        "pesan memiliki beberapa kepala From dengan alamat berbeda",
        "the message has several From headers with different addresses",
    ),
    "ingest.from.undecodable": (
        "alamat di kepala From berisi karakter yang tidak dapat dibaca",
        "the address in the From header holds unreadable characters",
    ),
    "ingest.from.too_long": ("kepala From terlalu panjang", "the From header is too long"),
    "ingest.reason.from_unverified": (
        "alamat pengirim {address} ditulis tanpa tanda <...> sehingga hanya dapat ditebak; alamat "
        "seperti itu tidak diterima sebagai identitas untuk menjawab langkah SOP",
        "the sender address {address} is written without <...> and could only be guessed; such an "
        "address is not accepted as an identity for answering an SOP step",
    ),
    "ingest.reason.mime_broken": (
        "struktur MIME pesan terlalu rumit atau rusak ({detail}); isinya tidak dapat dibaca utuh, "
        "jadi pesan tidak diproses",
        "the message's MIME structure is too complex or broken ({detail}); its content cannot be "
        "read whole, so it was not processed",
    ),
    "ingest.reason.parse_failed": (
        "pesan tidak dapat diurai ({error}); dikarantina pada percobaan pertama karena mencoba ulang "
        "tidak akan memberi hasil lain",
        "the message cannot be parsed ({error}); quarantined at the first attempt because trying "
        "again cannot give another result",
    ),
    "ingest.reason.rule": ("aturan {rule}", "rule {rule}"),
    "ingest.err.no_item": ("tidak ada item karantina {id}", "no quarantine item {id}"),
    "ingest.err.not_message": (
        "item karantina {id} bukan pesan email",
        "quarantine item {id} is not a mail message",
    ),
    "ingest.err.no_message": ("pesan {id} tidak ada", "message {id} does not exist"),
    "ingest.err.no_mailbox": (
        "tidak ada kotak surat {name!r}; yang ada: {known}",
        "no mailbox {name!r}; configured: {known}",
    ),
    "ingest.err.template_missing": ("templat email tidak ada: {name}", "mail template missing: {name}"),
    "ingest.err.template": ("kesalahan templat email: {error}", "mail template error: {error}"),
}
