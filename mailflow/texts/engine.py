"""User-facing texts of the conversation engine: action mails, replies, reminders, CLI."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- subjects ----------------------------------------------------------------------------
    "engine.subject.reminder": ("Pengingat: {title}", "Reminder: {title}"),
    "engine.subject.overdue": ("Melewati batas waktu: {title}", "Overdue: {title}"),
    "engine.subject.digest": (
        "Pengingat: {count} langkah aduan menunggu Anda",
        "Reminder: {count} complaint steps are waiting for you",
    ),
    "engine.subject.escalation": (
        "Eskalasi: langkah {step} melewati batas waktu ({title})",
        "Escalation: step {step} is overdue ({title})",
    ),
    "engine.subject.explain": ("Balasan Anda belum dapat diproses", "Your reply could not be processed"),
    "engine.subject.status": ("Status aduan {number}", "Status of complaint {number}"),
    "engine.subject.help": ("Panduan perintah untuk aduan {number}", "Commands for complaint {number}"),
    "engine.subject.confirm": ("Dicatat: {title}", "Recorded: {title}"),
    "engine.subject.rejected": (
        "Aduan Anda tidak dapat ditindaklanjuti",
        "Your complaint cannot be processed",
    ),
    "engine.subject.answer": ("Jawaban atas aduan Anda", "The answer to your complaint"),
    # --- what each step asks ----------------------------------------------------------------
    # --- commands and what they do ------------------------------------------------------------
    "engine.suggested_opds": (
        "Usulan OPD dari aturan kotak masuk: {names}",
        "Department proposed by the inbox rules: {names}",
    ),
    # how a command's arguments are written, by kind and need (domain.sop.ArgKind / Need)
    "engine.arg.opds.optional": ("[kode OPD]", "[department code]"),
    "engine.arg.opds.required": ("<kode OPD>[, <kode OPD>]", "<code>[, <code>]"),
    "engine.arg.reason.optional": ("[alasan]", "[reason]"),
    "engine.arg.reason.required": ("<alasan>", "<reason>"),
    "engine.arg.bidang.optional": ("<bidang>: <arahan>", "<division>: <instruction>"),
    "engine.arg.bidang.required": ("<bidang>: <arahan>", "<division>: <instruction>"),
    "engine.arg.text.optional": ("[teks pengantar]", "[covering text]"),
    "engine.arg.text.required": ("<teks>", "<text>"),
    "engine.cmd.STATUS": ("STATUS", "STATUS"),
    "engine.cmd.STATUS.desc": ("status aduan ini", "status of this complaint"),
    "engine.cmd.BANTUAN": ("BANTUAN", "HELP"),
    "engine.cmd.BANTUAN.desc": ("daftar perintah", "list of commands"),
    "engine.cmd.PDF": ("(lampirkan PDF bertanda tangan)", "(attach the signed PDF)"),
    "engine.cmd.PDF.desc": (
        "balas email ini dengan PDF yang sudah ditandatangani secara elektronik",
        "reply to this mail with the electronically signed PDF",
    ),
    # --- explanations (refusals) --------------------------------------------------------------
    "engine.explain.unknown_sender": (
        "Alamat {sender} tidak terdaftar sebagai petugas yang berwenang untuk langkah ini.",
        "The address {sender} is not registered as an official allowed to act on this step.",
    ),
    "engine.explain.not_actor": (
        "Langkah {step} aduan {number} menunggu tindakan {actor}. Balasan dari {sender} tidak "
        "dapat memajukan langkah ini.",
        "Step {step} of complaint {number} waits for {actor}. A reply from {sender} cannot advance it.",
    ),
    "engine.explain.forged": (
        "Alamat balasan pada email Anda tidak sah atau telah diubah. Mohon balas langsung email terakhir "
        "dari sistem.",
        "The reply address of your mail is not valid or has been altered. Please reply directly to the "
        "system's latest mail.",
    ),
    "engine.explain.expired": (
        "Email yang Anda balas sudah kedaluwarsa. Mohon balas email terbaru dari sistem untuk "
        "aduan {number}.",
        "The mail you replied to has expired. Please reply to the newest mail about complaint {number}.",
    ),
    "engine.explain.already_done": (
        "Langkah {step} aduan {number} sudah selesai ({finished}); balasan ini tidak mengubah apa pun.",
        "Step {step} of complaint {number} is already done ({finished}); this reply changes nothing.",
    ),
    "engine.explain.unmatched": (
        "Kami tidak dapat menemukan aduan yang Anda maksud. Mohon balas langsung email dari sistem.",
        "We could not find the complaint you mean. Please reply directly to a mail from the system.",
    ),
    "engine.explain.grouped": (
        "Email yang Anda balas memuat beberapa aduan sekaligus, sehingga balasan Anda tidak menyebut "
        "aduan mana yang dimaksud dan belum ada yang dijalankan. Pada email tersebut, klik tombol "
        "perintah di bawah aduan yang dimaksud, atau kirim perintah ke alamat balasan yang tertulis "
        "pada aduan itu.",
        "The mail you replied to lists several complaints, so your reply does not say which one you "
        "mean and nothing was done. In that mail, click the command button under the complaint you "
        "mean, or send the command to the reply address written with that complaint.",
    ),
    "engine.explain.unauthenticated": (
        "Email Anda tidak lolos pemeriksaan keaslian pengirim (DKIM/SPF) oleh server surat kami.",
        "Your mail did not pass the sender authentication (DKIM/SPF) of our mail server.",
    ),
    "engine.explain.empty": (
        "Baris pertama balasan Anda kosong. Tulis perintah pada baris pertama.",
        "The first line of your reply is empty. Write the command on the first line.",
    ),
    "engine.explain.unknown": (
        '"{word}" bukan perintah yang dikenal.',
        '"{word}" is not a known command.',
    ),
    "engine.explain.sentence": (
        'Baris pertama balasan Anda ("{word}") kami baca sebagai kalimat, bukan sebagai perintah '
        "{verb}, sehingga belum ada yang dijalankan. Tulis perintahnya sendiri di baris pertama, "
        'misalnya "{example}"; boleh diikuti salam atau "terima kasih", tetapi bukan kalimat lain.',
        'We read the first line of your reply ("{word}") as a sentence, not as the command {verb}, '
        'so nothing was done. Write the command alone on the first line, e.g. "{example}"; '
        'greetings or "thank you" may follow, other sentences may not.',
    ),
    "engine.explain.question": (
        '"{word}" kami baca sebagai pertanyaan, bukan sebagai perintah {verb}, sehingga belum ada '
        "yang dijalankan. Jika Anda bermaksud memberi perintah, tulis tanpa tanda tanya, "
        'misalnya "{example}".',
        'We read "{word}" as a question, not as the command {verb}, so nothing was done. To give '
        'the command, write it without a question mark, e.g. "{example}".',
    ),
    "engine.explain.subject_only": (
        "Email Anda tentang aduan {number} kami simpan sebagai keterangan pada aduan tersebut, tetapi "
        "tidak dijalankan sebagai perintah: email itu tidak dikirim ke alamat balasan dari sistem. "
        "Untuk menanggapi langkah yang menunggu Anda, balas langsung email ini atau gunakan salah "
        "satu tautan perintah di bawah.",
        "Your mail about complaint {number} was stored with the complaint as information, but not "
        "carried out as a command: it was not sent to the system's reply address. To answer the step "
        "that waits for you, reply directly to this mail or use one of the command links below.",
    ),
    "engine.explain.subject_only_info": (
        "Email Anda tentang aduan {number} kami simpan sebagai keterangan pada aduan tersebut. Tidak "
        "ada langkah aduan ini yang sedang menunggu tindakan Anda, sehingga tidak ada yang dijalankan.",
        "Your mail about complaint {number} was stored with the complaint as information. No step of "
        "this complaint waits for you, so nothing was carried out.",
    ),
    "engine.reason.subject_only": (
        "cocok dengan aduan {number} hanya melalui tag di subjek; disimpan sebagai keterangan, "
        "tidak dijalankan",
        "matched complaint {number} by the subject tag only; stored as information, not carried out",
    ),
    "engine.explain.wrong_command": (
        "Perintah {word} tidak berlaku untuk langkah {step}.",
        "The command {word} does not apply to step {step}.",
    ),
    "engine.explain.unknown_opd": (
        'OPD "{word}" tidak dikenal. Pilihan: {choices}.',
        'Unknown department "{word}". Choices: {choices}.',
    ),
    "engine.explain.missing_opd": (
        "Sebutkan kode OPD tujuan. Pilihan: {choices}.",
        "Name the department. Choices: {choices}.",
    ),
    "engine.explain.unknown_bidang": (
        'Bidang "{word}" tidak dikenal. Pilihan: {choices}.',
        'Unknown division "{word}". Choices: {choices}.',
    ),
    "engine.explain.missing_bidang": (
        "Sebutkan bidang tujuan disposisi. Pilihan: {choices}.",
        "Name the division. Choices: {choices}.",
    ),
    "engine.explain.missing_text": (
        "Perintah {word} memerlukan alasan setelahnya, misalnya: {word} di luar kewenangan Pemerintah Kota.",
        "The command {word} needs a reason after it.",
    ),
    "engine.explain.missing_reason": (
        "KHUSUS memerlukan alasan, misalnya: KHUSUS perlu tinjauan lapangan bersama DLH.",
        "KHUSUS needs a reason, e.g.: KHUSUS needs a field review with DLH.",
    ),
    "engine.explain.missing_response": (
        "Isi tanggapan kosong. Tulis tanggapan di bawah kata TANGGAPAN atau lampirkan berkas DOCX.",
        "The response is empty. Write it below the word TANGGAPAN or attach a DOCX file.",
    ),
    "engine.explain.needs_pdf": (
        "Langkah ini menunggu surat tanggapan yang sudah ditandatangani: lampirkan berkas PDF-nya.",
        "This step waits for the signed response letter: attach its PDF.",
    ),
    "engine.explain.case_closed": (
        "Aduan {number} sudah ditutup; balasan ini tidak mengubah apa pun.",
        "Complaint {number} is closed; this reply changes nothing.",
    ),
    "engine.explain.docx_unreadable": (
        "Berkas DOCX terlampir tidak dapat dibaca.",
        "The attached DOCX file cannot be read.",
    ),
    "engine.explain.allowed": ("Perintah yang berlaku untuk langkah ini:", "Commands for this step:"),
    # --- confirmations, status -----------------------------------------------------------------
    "engine.confirm.special_track": (
        "Aduan {number} dialihkan ke jalur khusus (tinjauan lapangan/lintas sektor). Batas waktu "
        "langkah penyusunan tanggapan kini {due}.",
        "Complaint {number} is now on the special track (field review/cross-sector). The deadline for "
        "drafting the response is now {due}.",
    ),
    "engine.status.open": ("Langkah yang sedang berjalan:", "Steps in progress:"),
    "engine.status.closed": ("Aduan ini sudah selesai ({status}).", "This complaint is finished ({status})."),
    "engine.status.line": (
        "Langkah {step} ({name}), {who}, batas waktu {due}{late}",
        "Step {step} ({name}), {who}, due {due}{late}",
    ),
    "engine.status.late": (", terlambat {late}", ", late by {late}"),
    "engine.case.status.open": ("berjalan", "open"),
    "engine.case.status.closed": ("selesai", "closed"),
    "engine.case.status.rejected": ("ditolak", "rejected"),
    "engine.reminder.half": ("Separuh batas waktu telah berlalu.", "Half of the time limit has passed."),
    "engine.escalation.intro": (
        "Langkah aduan berikut, tugas pegawai yang Bapak/Ibu bawahi, telah melewati batas waktu SOP:",
        "The following complaint step, assigned to someone who reports to you, is past its SOP deadline:",
    ),
    "engine.reminder.due": (
        "Batas waktu langkah ini telah tercapai.",
        "The time limit of this step is reached.",
    ),
    # --- CLI ----------------------------------------------------------------------------------
    "engine.cli.col.number": ("Nomor", "Number"),
    "engine.cli.col.received": ("Diterima", "Received"),
    "engine.cli.col.subject": ("Perihal", "Subject"),
    "engine.cli.col.status": ("Status", "Status"),
    "engine.cli.col.step": ("Langkah", "Step"),
    "engine.cli.col.actor": ("Pelaksana", "Actor"),
    "engine.cli.col.started": ("Mulai", "Started"),
    "engine.cli.col.finished": ("Selesai", "Finished"),
    "engine.cli.col.taken": ("Waktu kerja", "Business time"),
    "engine.cli.col.limit": ("Batas", "Limit"),
    "engine.cli.col.result": ("Hasil", "Result"),
    "engine.cli.col.source": ("Sumber", "Source"),
    "engine.cli.col.due": ("Tenggat", "Due"),
    "engine.cli.on_time": ("tepat waktu", "on time"),
    "engine.cli.late": ("terlambat {late}", "late by {late}"),
    "engine.cli.open": ("berjalan", "open"),
    "engine.cli.overdue": ("lewat {late}", "overdue by {late}"),
    "engine.cli.rejected": ("ditolak", "rejected"),
    "engine.cli.cancelled": ("dibatalkan", "cancelled"),
    "engine.cli.no_cases": ("Tidak ada aduan.", "No complaints."),
    "engine.cli.not_found": ("Aduan {number} tidak ditemukan.", "Complaint {number} not found."),
    "engine.cli.case_title": ("Aduan {number}: {subject}", "Complaint {number}: {subject}"),
    "engine.cli.documents": ("Dokumen:", "Documents:"),
    "engine.cli.system": ("sistem", "system"),
}
