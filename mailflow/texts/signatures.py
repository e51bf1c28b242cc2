"""User-facing texts of the signatures area: {key: (Indonesian, English)}.

`signatures.reason.<code>` explain a refusal to the person who sent the file (by mail, or in the
reason file beside a rejected file); every one may use {number} (the letter number), {case},
{signer} (who the certificate names), {expected} (who must sign), {detail} and {sender}.
`signatures.short.<code>` name the same reasons in a few words, for the step-8 line of
`mailflow case` ("ditolak: <short>, <time>, <file>").
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- why a returned file was refused ------------------------------------------------------------
    "signatures.reason.not_pdf": (
        "Berkas ini bukan PDF. Kirimkan surat tanggapan yang sudah ditandatangani dalam format PDF.",
        "This file is not a PDF. Please send the signed response letter as a PDF.",
    ),
    "signatures.reason.corrupt": (
        "Berkas PDF ini rusak atau tidak lengkap sehingga tidak dapat dibaca. Mohon kirim ulang berkas "
        "aslinya.",
        "This PDF is damaged or incomplete and cannot be read. Please send the original file again.",
    ),
    "signatures.reason.encrypted": (
        "Berkas PDF ini dilindungi kata sandi. Mohon kirim PDF bertanda tangan tanpa kata sandi.",
        "This PDF is password protected. Please send the signed PDF without a password.",
    ),
    "signatures.reason.too_large": (
        "Berkas ini terlalu besar untuk diproses ({detail}).",
        "This file is too large to process ({detail}).",
    ),
    "signatures.reason.expands_too_much": (
        "PDF ini memuat data terkompresi yang mengembang jauh melebihi ukuran wajar sebuah surat, "
        "sehingga tidak diproses demi keamanan. Mohon kirim PDF hasil penandatanganan yang asli.",
        "This PDF holds compressed data that expands far beyond any letter's size, so it was not "
        "processed, for safety. Please send the original signed PDF.",
    ),
    "signatures.reason.too_complex": (
        "PDF ini terlalu rumit untuk sebuah surat ({detail}), sehingga tidak diproses. Mohon kirim "
        "PDF surat tanggapan hasil penandatanganan, tanpa digabung dengan berkas lain.",
        "This PDF is too complex for a letter ({detail}), so it was not processed. Please send the "
        "signed response letter PDF on its own.",
    ),
    "signatures.reason.active_content": (
        "PDF ini memuat kode aktif (JavaScript, perintah menjalankan program, atau berkas sisipan) "
        "yang tidak diizinkan dalam surat dinas, karena surat ini akan diteruskan kepada pelapor. "
        "Mohon tanda tangani PDF surat tanggapan yang dikirim sistem tanpa menambahkan apa pun.",
        "This PDF contains active content (JavaScript, an action that starts a program, or an "
        "embedded file), which an official letter may not carry because it is forwarded to the "
        "complainant. Please sign the response letter PDF the system sent without adding anything.",
    ),
    "signatures.reason.unsigned": (
        "PDF ini tidak memuat tanda tangan elektronik. Mohon tanda tangani surat {number} secara "
        "elektronik (misalnya dengan sertifikat BSrE), lalu kirim PDF hasilnya.",
        "This PDF carries no electronic signature. Please sign letter {number} electronically (e.g. with "
        "a BSrE certificate) and send the resulting PDF.",
    ),
    "signatures.reason.scan_not_allowed": (
        "Berkas ini berupa pindaian (scan). Ketentuan yang berlaku mensyaratkan tanda tangan elektronik: "
        "mohon tanda tangani surat {number} secara elektronik dan kirim PDF hasilnya.",
        "This file is a scan. The rules in force require an electronic signature: please sign letter "
        "{number} electronically and send the resulting PDF.",
    ),
    "signatures.reason.tampered": (
        "Tanda tangan elektronik pada PDF ini tidak utuh: isi berkas berubah setelah ditandatangani. "
        "Mohon kirim berkas asli hasil penandatanganan.",
        "The electronic signature in this PDF is broken: the file changed after it was signed. Please "
        "send the original signed file.",
    ),
    "signatures.reason.invalid_signature": (
        "Tanda tangan elektronik pada PDF ini tidak sah ({detail}).",
        "The electronic signature in this PDF is not valid ({detail}).",
    ),
    "signatures.reason.partial_coverage": (
        "Tanda tangan elektronik pada PDF ini tidak mencakup seluruh dokumen.",
        "The electronic signature in this PDF does not cover the whole document.",
    ),
    "signatures.reason.modified_after_signing": (
        "Isi PDF ini diubah setelah ditandatangani. Mohon kirim berkas asli hasil penandatanganan, "
        "tanpa perubahan sesudahnya.",
        "The content of this PDF was changed after it was signed. Please send the original signed "
        "file, without later changes.",
    ),
    "signatures.reason.untrusted": (
        "Sertifikat penanda tangan ({signer}) tidak diterbitkan oleh penyelenggara sertifikat yang "
        "dipercaya (misalnya BSrE).",
        "The signer's certificate ({signer}) was not issued by a trusted certificate authority (e.g. BSrE).",
    ),
    "signatures.reason.wrong_signer": (
        "PDF ini ditandatangani oleh {signer}, sedangkan surat {number} harus ditandatangani oleh "
        "{expected}.",
        "This PDF was signed by {signer}, but letter {number} must be signed by {expected}.",
    ),
    "signatures.reason.unknown_letter": (
        "Surat dalam PDF ini tidak dikenali: kode dokumen (MF-...) atau kode QR surat tidak ditemukan "
        "pada bagian yang ditandatangani. Mohon tanda tangani PDF surat tanggapan yang dikirim "
        "sistem, tanpa mengetik ulang atau mengubahnya.",
        "The letter in this PDF is not recognised: its document id (MF-...) or QR code was not found in "
        "the signed part. Please sign the response letter PDF the system sent, without retyping or "
        "changing it.",
    ),
    "signatures.reason.ambiguous_letter": (
        "PDF ini memuat lebih dari satu surat tanggapan; kirim satu surat per berkas.",
        "This PDF contains more than one response letter; send one letter per file.",
    ),
    "signatures.reason.other_letter": (
        "PDF ini adalah surat {number} untuk aduan {case}, bukan surat yang diminta dalam email ini.",
        "This PDF is letter {number} for complaint {case}, not the letter this mail asked for.",
    ),
    "signatures.reason.superseded_letter": (
        "Surat {number} sudah digantikan oleh konsep yang lebih baru; mohon tanda tangani konsep "
        "terakhir yang dikirim sistem.",
        "Letter {number} has been replaced by a newer draft; please sign the latest draft the system sent.",
    ),
    "signatures.reason.content_mismatch": (
        "Isi PDF yang ditandatangani tidak sesuai dengan surat {number} (tidak ditemukan: {detail}).",
        "The signed PDF does not match letter {number} (not found: {detail}).",
    ),
    "signatures.reason.scan_needs_mail": (
        "Surat pindaian (scan) hanya diterima melalui email dari Kepala OPD atau alamat resmi OPD, "
        "tidak melalui folder.",
        "A scanned letter is accepted only by mail from the head of the department or its official "
        "address, not through the folder.",
    ),
    "signatures.reason.scan_wrong_sender": (
        "Surat pindaian (scan) hanya diterima dari alamat {expected}; berkas ini dikirim dari {sender}.",
        "A scanned letter is accepted only from {expected}; this file came from {sender}.",
    ),
    "signatures.reason.not_waiting_for_signature": (
        "Surat {number} (aduan {case}) tidak sedang menunggu tanda tangan; mungkin sudah diterima "
        "sebelumnya.",
        "Letter {number} (complaint {case}) is not waiting for a signature; it may have been received "
        "already.",
    ),
    "signatures.reason.processing_failed": (
        "Berkas ini gagal diproses berulang kali ({detail}); petugas akan memeriksanya.",
        "This file failed to process repeatedly ({detail}); an administrator will look into it.",
    ),
    "signatures.reason.duplicate": (
        "Berkas yang sama sudah diproses sebelumnya ({detail}).",
        "The same file was processed before ({detail}).",
    ),
    # --- results ------------------------------------------------------------------------------------
    "signatures.accepted": (
        "Diterima: surat {number} untuk aduan {case} ditandatangani oleh {signer}. Langkah 8 dan 9 selesai.",
        "Accepted: letter {number} for complaint {case} signed by {signer}. Steps 8 and 9 are done.",
    ),
    "signatures.rejected": ("Ditolak: {reason}", "Refused: {reason}"),
    "signatures.explain.intro": (
        "Berkas PDF yang Bapak/Ibu kirim untuk aduan {case} ({when}) belum dapat diterima:",
        "The PDF you sent for complaint {case} ({when}) could not be accepted:",
    ),
    "signatures.explain.intro_folder": (
        "Berkas PDF untuk surat tanggapan aduan {case} yang disimpan di folder surat kembali "
        "({when}) belum dapat diterima:",
        "A PDF of the response letter for complaint {case} saved in the returned-letters folder "
        "({when}) could not be accepted:",
    ),
    "signatures.explain.item": ("Berkas {file}: {reason}", "File {file}: {reason}"),
    "signatures.explain.last": (
        "Ini penjelasan ke-{limit} dalam satu jam terakhir. Agar kotak surat Bapak/Ibu tidak "
        "dibanjiri, penolakan berikutnya dalam satu jam ini hanya dicatat tanpa email; petugas LAPOR "
        "dapat melihatnya pada linimasa aduan.",
        "This is explanation number {limit} within the last hour. To keep your mailbox from "
        "flooding, further refusals within this hour are only recorded, without a mail; the LAPOR "
        "staff see them in the complaint's timeline.",
    ),
    "signatures.explain.resend": (
        "Langkah tanda tangan surat tanggapan aduan {case} belum selesai. Setelah diperbaiki, balas "
        "email permintaan tanda tangan dengan PDF yang benar, atau simpan PDF di folder surat kembali.",
        "The signing step for complaint {case} is not done. Once corrected, reply to the signing "
        "request with the right PDF, or save the PDF in the returned-letters folder.",
    ),
    "signatures.subject.explain": (
        "PDF bertanda tangan belum dapat diterima",
        "The signed PDF could not be accepted",
    ),
    # --- refusals at step 8 of `mailflow case` -------------------------------------------------------
    "signatures.timeline.refused": ("ditolak: {reason}, {time}, {file}", "refused: {reason}, {time}, {file}"),
    "signatures.short.not_pdf": ("bukan PDF", "not a PDF"),
    "signatures.short.corrupt": ("PDF rusak atau tidak lengkap", "damaged or incomplete PDF"),
    "signatures.short.encrypted": ("PDF berkata sandi", "password-protected PDF"),
    "signatures.short.too_large": ("berkas terlalu besar", "file too large"),
    "signatures.short.expands_too_much": ("isi terkompresi terlalu besar", "compressed content too large"),
    "signatures.short.too_complex": ("PDF terlalu rumit", "PDF too complex"),
    "signatures.short.active_content": ("memuat kode aktif", "contains active content"),
    "signatures.short.unsigned": ("tanpa tanda tangan elektronik", "no electronic signature"),
    "signatures.short.scan_not_allowed": ("pindaian tidak diterima", "scan not accepted"),
    "signatures.short.tampered": ("tanda tangan tidak utuh", "signature broken"),
    "signatures.short.invalid_signature": ("tanda tangan tidak sah", "invalid signature"),
    "signatures.short.partial_coverage": (
        "tanda tangan tidak mencakup seluruh dokumen",
        "signature does not cover the whole document",
    ),
    "signatures.short.modified_after_signing": ("diubah setelah ditandatangani", "changed after signing"),
    "signatures.short.untrusted": ("sertifikat tidak dipercaya", "untrusted certificate"),
    "signatures.short.wrong_signer": (
        "ditandatangani orang yang tidak berwenang",
        "signed by the wrong person",
    ),
    "signatures.short.unknown_letter": ("surat tidak dikenali", "letter not recognised"),
    "signatures.short.ambiguous_letter": ("lebih dari satu surat", "more than one letter"),
    "signatures.short.other_letter": ("surat untuk aduan lain", "a letter of another complaint"),
    "signatures.short.superseded_letter": ("konsep lama", "an older draft"),
    "signatures.short.content_mismatch": ("isi tidak sesuai", "content does not match"),
    "signatures.short.scan_needs_mail": ("pindaian hanya lewat email", "scans by mail only"),
    "signatures.short.scan_wrong_sender": ("pindaian dari alamat lain", "scan from another address"),
    "signatures.short.not_waiting_for_signature": ("tidak sedang menunggu tanda tangan", "not waiting"),
    "signatures.short.processing_failed": ("gagal diproses", "processing failed"),
    "signatures.short.duplicate": ("berkas yang sama", "the same file"),
    # --- the watch command --------------------------------------------------------------------------
    "signatures.watch.started": (
        "Memantau {count} folder: {folders} (Ctrl+C untuk berhenti)",
        "Watching {count} folders: {folders} (Ctrl+C to stop)",
    ),
    "signatures.watch.no_trust_roots": (
        "Peringatan: signatures.trust_roots kosong, sehingga tidak ada tanda tangan elektronik yang "
        "dapat dipercaya.",
        "Warning: signatures.trust_roots is empty, so no electronic signature can be trusted.",
    ),
    "signatures.watch.once": (
        "{total} berkas diproses: {accepted} diterima, {rejected} ditolak.",
        "{total} files processed: {accepted} accepted, {rejected} refused.",
    ),
    "signatures.watch.stopped": ("Pemantauan dihentikan.", "Watching stopped."),
}
