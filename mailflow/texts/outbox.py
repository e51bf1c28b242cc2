"""User-facing texts of the outbox and the sender: why a mail was not sent, in listings."""

MESSAGES: dict[str, tuple[str, str]] = {
    "outbox.invalid_to": (
        "alamat penerima tidak sah: {value}",
        "the recipient address is not valid: {value}",
    ),
    "outbox.invalid_reply_to": (
        "alamat balasan (Reply-To) tidak sah: {value}",
        "the Reply-To address is not valid: {value}",
    ),
    "outbox.invalid_header": (
        "nama kepala email tidak sah: {value}",
        "invalid mail header name: {value}",
    ),
    "outbox.unbuildable": (
        "email tidak dapat disusun: {value}",
        "the mail cannot be built: {value}",
    ),
    "outbox.unreadable": (
        "lampiran tidak dapat dibaca: {value}",
        "an attachment cannot be read: {value}",
    ),
    "outbox.send_error": (
        "kesalahan saat mengirim: {value}",
        "error while sending: {value}",
    ),
    "outbox.cli.failed_count": ("{count} email gagal", "{count} mail(s) failed"),
    "outbox.cli.failed_title": (
        "Email yang gagal dikirim (tidak akan dicoba lagi):",
        "Mails that failed (not retried):",
    ),
    "outbox.cli.failed_line": ("  #{id} {kind} kepada {to}: {reason}", "  #{id} {kind} to {to}: {reason}"),
}
