"""User-facing texts of the branches a complaint may take (issue 13): misrouted dispositions,
answers sent back, the complainant's replies and satisfaction, reopened cases."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the SOP file ----------------------------------------------------------------------------
    "sop.err.alias": (
        "alias harus satu atau dua kata huruf (mis. TOLAK)",
        "an alias must be one or two words of letters (e.g. TOLAK)",
    ),
    "sop.err.alias_taken": (
        "alias {value!r} sudah berarti perintah lain pada langkah ini",
        "alias {value!r} already means another command at this step",
    ),
    "sop.err.route_needs_next": (
        "perintah {verb}: route memerlukan next (langkah yang dimulai)",
        "command {verb}: route needs next (the step that starts)",
    ),
    "sop.err.route_returned": (
        "perintah {verb}: route: returned hanya pada langkah per OPD yang menuju langkah aduan (scope: case)",
        "command {verb}: route: returned only at a per-department step leading to a case step",
    ),
    "sop.err.route_reopen": (
        "perintah {verb}: route: reopen hanya pada langkah aduan yang menuju langkah per OPD (scope: route)",
        "command {verb}: route: reopen only at a case step leading to a per-department step",
    ),
    "sop.err.route_reopen_earlier": (
        "perintah {verb}: route: reopen harus kembali ke langkah sebelumnya",
        "command {verb}: route: reopen must go back to an earlier step",
    ),
    "sop.err.reopen_case_step": (
        "aduan dibuka kembali pada langkah aduan (scope: case), bukan langkah per OPD",
        "a case is reopened at a case step (scope: case), not a per-department step",
    ),
    "sop.err.after_close_one_way": (
        "perintah {verb} setelah ditutup harus punya tepat satu dari next atau to_complainant",
        "after-close command {verb} needs exactly one of next or to_complainant",
    ),
    "sop.err.question_both": (
        "pertanyaan {question} memerlukan jawaban positif dan negatif (positive: true dan false)",
        "question {question} needs a positive and a negative answer (positive: true and false)",
    ),
    # --- lines in action mails ----------------------------------------------------------------
    "branches.line.round": (
        "Aduan ini dibuka kembali: putaran tindak lanjut ke-{round}.",
        "This complaint was reopened: follow-up round {round}.",
    ),
    "branches.line.declined": (
        "Sudah dicoba: {opd} menyatakan bukan kewenangannya. Alasan: {reason}",
        "Already tried: {opd} declined (not its business). Reason: {reason}",
    ),
    "branches.line.sent_back": (
        "Tanggapan dikembalikan untuk diperbaiki (putaran ke-{round}). Catatan: {note}",
        "The response was sent back for revision (round {round}). Note: {note}",
    ),
    # --- refusals ------------------------------------------------------------------------------
    "engine.explain.route_returned": (
        "{word} sudah menyatakan aduan ini bukan kewenangannya. Teruskan ke OPD lain, atau tulis "
        "PAKSA bila tetap harus ke sana (mis. TERUSKAN {word} PAKSA).",
        "{word} already declined this complaint (not its business). Forward it to another "
        "department, or add PAKSA if it must go there anyway (e.g. TERUSKAN {word} PAKSA).",
    ),
    "engine.explain.which_route": (
        "Sebutkan OPD yang tanggapannya dikembalikan, mis. KEMBALIKAN <kode OPD>: <catatan>. "
        "Pilihan: {word}.",
        "Name the department whose response goes back, e.g. KEMBALIKAN <department code>: <note>. "
        "Choices: {word}.",
    ),
    "engine.explain.case_open": (
        "Aduan {number} sedang diproses; perintah ini hanya berlaku setelah aduan ditutup.",
        "Complaint {number} is in progress; this command applies only once it is closed.",
    ),
    "engine.explain.no_complainant": (
        "Aduan {number} tidak punya alamat email pelapor (anonim atau tanpa email).",
        "Complaint {number} has no complainant address (anonymous or without email).",
    ),
    "branches.explain.after_close": (
        "Balasan Anda untuk aduan {number} yang sudah ditutup tidak dapat diproses ({word}). "
        "Gunakan salah satu perintah di bawah.",
        "Your reply about closed complaint {number} could not be processed ({word}). Use one of "
        "the commands below.",
    ),
    # --- the complainant ------------------------------------------------------------------------
    "branches.subject.message": ("Pesan tentang aduan Anda", "A message about your complaint"),
    "branches.subject.recorded": ("Terima kasih atas penilaian Anda", "Thank you for your rating"),
    "branches.subject.status": ("Perkembangan aduan Anda", "Progress of your complaint"),
    "branches.status.open": (
        "Aduan Anda nomor {number} (diterima {received}) sedang ditindaklanjuti, pada tahap:",
        "Your complaint {number} (received {received}) is being handled, at this stage:",
    ),
    "branches.status.line": ("{stage} - {office}", "{stage} - {office}"),
    "branches.status.add": (
        "Jawaban resmi akan dikirimkan kepada Anda melalui email ini. Bila ingin menambahkan "
        "keterangan, cukup balas email ini.",
        "The official answer will be sent to you at this address. To add information, simply reply "
        "to this email.",
    ),
    "branches.status.closed": (
        "Aduan Anda nomor {number} (diterima {received}) sudah selesai ditangani pada {closed}; "
        "jawabannya telah dikirimkan ke alamat email ini.",
        "Your complaint {number} (received {received}) was answered on {closed}; the answer was "
        "sent to this address.",
    ),
    "branches.status.rejected": (
        "Aduan Anda nomor {number} (diterima {received}) tidak dapat ditindaklanjuti; alasannya "
        "telah dikirimkan ke alamat email ini pada {closed}.",
        "Your complaint {number} (received {received}) could not be taken up; the reason was sent "
        "to this address on {closed}.",
    ),
    "branches.subject.followup": (
        "Apakah masalahnya sudah selesai?",
        "Has the problem been solved?",
    ),
    "branches.complainant.message": (
        "Admin Layanan Aduan menyampaikan pesan berikut tentang aduan Anda nomor {number}:",
        "The complaint-service admin sends you this message about your complaint {number}:",
    ),
    "branches.complainant.click": (
        "Balas email ini dengan salah satu kata berikut (atau klik tombolnya):",
        "Reply to this mail with one of these words (or click its button):",
    ),
    "branches.answer.recorded": (
        "Terima kasih. Jawaban Anda ({answer}) telah kami catat.",
        "Thank you. Your answer ({answer}) has been recorded.",
    ),
    "branches.answer.same": (
        "Jawaban Anda ({answer}) sudah tercatat sebelumnya; tidak ada yang berubah.",
        "Your answer ({answer}) was already recorded; nothing changed.",
    ),
    "branches.answer.changed": (
        "Jawaban Anda sebelumnya ({previous}) kami ganti dengan jawaban terbaru: {answer}. Hanya "
        "jawaban terakhir yang dihitung.",
        "Your earlier answer ({previous}) is replaced by your latest one: {answer}. Only the last "
        "answer counts.",
    ),
    "branches.followup.ask": (
        'Beberapa waktu lalu aduan Anda nomor {number} ("{title}") telah kami jawab. Apakah '
        "masalahnya sudah selesai?",
        'Some time ago we answered your complaint {number} ("{title}"). Has the problem been solved?',
    ),
    # --- officials told about the complainant's words ------------------------------------------
    "branches.subject.added": (
        "Tambahan dari pelapor: {title}",
        "The complainant added something: {title}",
    ),
    "branches.added.intro": (
        "Pelapor aduan {number} mengirim tambahan berikut. Tambahan ini tersimpan bersama aduan.",
        "The complainant of {number} sent the following. It is stored with the complaint.",
    ),
    "branches.subject.forward": (
        "Balasan pelapor setelah aduan ditutup: {title}",
        "The complainant wrote after closing: {title}",
    ),
    "branches.forward.said": (
        "Jawaban pelapor: {verb} (diterima {when}). Isi balasan:",
        "The complainant's answer: {verb} (received {when}). Their words:",
    ),
    "branches.forward.summary": ("Ringkasan aduan {number} ({title}):", "Summary of {number} ({title}):"),
    "branches.forward.complainant": ("Pelapor: {who}", "Complainant: {who}"),
    "branches.done.sent": (
        "Pesan Anda telah dikirim kepada pelapor aduan {number}.",
        "Your message was sent to the complainant of {number}.",
    ),
    "branches.done.reopened": (
        "Aduan {number} dibuka kembali (putaran ke-{round}) dan kembali ke pemeriksaan.",
        "Complaint {number} is reopened (round {round}) and back at the check.",
    ),
    # --- mailflow case ---------------------------------------------------------------------------
    "branches.cli.round": ("putaran {round}", "round {round}"),
    "branches.cli.returned": (
        "Rute {opd} dikembalikan (bukan kewenangannya): {note}",
        "Route {opd} returned (not its business): {note}",
    ),
    "branches.cli.revision": ("revisi {n}", "revision {n}"),
    "branches.cli.replies": ("Balasan pelapor:", "The complainant's replies:"),
    "branches.cli.before_close": ("sebelum ditutup, putaran", "before closing, round"),
    "branches.cli.after_close": ("setelah ditutup, putaran", "after closing, round"),
    "branches.cli.attachments": ("{count} lampiran", "{count} attachment(s)"),
    "branches.cli.answer": (
        "Jawaban pelapor ({question}): {answer}, {when}, diganti {changes} kali",
        "The complainant's answer ({question}): {answer}, {when}, changed {changes} time(s)",
    ),
    "branches.question.satisfaction": ("kepuasan", "satisfaction"),
    "branches.question.resolved": ("sudah selesai?", "solved?"),
    # --- reports ----------------------------------------------------------------------------------
    "reports.sheet.branches": ("Cabang", "Branches"),
    "reports.table.branches": (
        "Disposisi salah alamat, revisi, aduan dibuka kembali dan kepuasan pelapor",
        "Misrouted dispositions, revisions, reopened complaints and satisfaction",
    ),
    "reports.sheet.branches_opd": ("Cabang per OPD", "Branches per OPD"),
    "reports.table.branches_opd": (
        "Disposisi salah alamat, revisi dan kepuasan per OPD",
        "Misrouted dispositions, revisions and satisfaction per department",
    ),
    "reports.note.branches": (
        "Salah alamat: OPD menyatakan bukan kewenangannya. Revisi: tanggapan dikembalikan untuk "
        "diperbaiki (putaran ke-2 dst.). Dibuka kembali: aduan yang sudah ditutup diproses lagi. "
        "Kepuasan dan sudah selesai: jawaban terakhir pelapor per aduan yang diberikan pada periode "
        "ini. Waktu langkah yang diulang adalah jumlah semua putarannya; keterlambatan dinilai per "
        "putaran terhadap batas waktunya sendiri.",
        "Misrouted: the department declined (not its business). Revisions: responses sent back "
        "(round 2 and later). Reopened: closed complaints processed again. Satisfaction and solved: "
        "the complainant's last answer per complaint, given in this period. A repeated step's time "
        "is the sum of its rounds; lateness is judged per round against its own deadline.",
    ),
    "reports.col.misrouted": ("Salah alamat", "Misrouted"),
    "reports.col.revisions": ("Revisi", "Revisions"),
    "reports.col.reopened": ("Dibuka kembali", "Reopened"),
    "reports.col.satisfaction_answers": ("Jawaban kepuasan", "Satisfaction answers"),
    "reports.col.satisfied_share": ("% PUAS", "% satisfied"),
    "reports.col.resolved_answers": ("Jawaban sudah selesai?", "Solved? answers"),
    "reports.col.resolved_share": ("% SUDAH", "% solved"),
    # --- the demo ------------------------------------------------------------------------------------
    "demo.kind.citizen": ("pelapor", "complainant"),
    "demo.kind.followup": ("tindak lanjut", "follow-up"),
    "demo.followup": (
        "{count} pelapor ditanya apakah masalahnya sudah selesai",
        "{count} complainant(s) asked whether the problem is solved",
    ),
    "demo.round": ("putaran {round}", "round {round}"),
    "demo.answers": ("Jawaban pelapor: {answers}", "The complainant's answers: {answers}"),
    "demo.returned": (
        "Dikembalikan: {opd} (bukan kewenangannya)",
        "Returned: {opd} (not its business)",
    ),
    "sop.leads.returned": ("rute OPD dikembalikan", "the department's route is returned"),
    "sop.leads.reopen": ("diulang untuk satu OPD", "again for one department"),
}
