"""User-facing texts of operations (issue 15): supervision, outage logs, health, metrics."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- repeated failures and recovery (mailflow.logs.Outage) ------------------------------
    "ops.down.smtp": ("SMTP tidak dapat dihubungi", "SMTP cannot be reached"),
    "ops.down.imap": ("IMAP tidak dapat dihubungi", "IMAP cannot be reached"),
    "ops.down.database": ("basis data tidak dapat dipakai", "the database cannot be used"),
    "ops.down.other": ("gagal", "failing"),
    "ops.failed": ("{part}: {what}: {error}", "{part}: {what}: {error}"),
    "ops.repeated": (
        "{part}: {what} ({count}x dalam {seconds} detik): {error}",
        "{part}: {what} ({count}x in {seconds} seconds): {error}",
    ),
    "ops.recovered": (
        "{part}: koneksi {kind} pulih setelah {seconds} detik ({count} kegagalan)",
        "{part}: {kind} connection back after {seconds} seconds ({count} failures)",
    ),
    "ops.kind.smtp": ("SMTP", "SMTP"),
    "ops.kind.imap": ("IMAP", "IMAP"),
    "ops.kind.database": ("basis data", "database"),
    "ops.kind.other": ("", ""),
    # --- supervision ---------------------------------------------------------------------
    "ops.part.died": (
        "bagian {part} berhenti: {reason}; dimulai ulang dalam {delay} detik ({count}x dalam {window} detik)",
        "part {part} stopped: {reason}; restarting in {delay} seconds ({count}x in {window} seconds)",
    ),
    "ops.part.ended": ("berhenti tanpa diminta", "ended without being asked to"),
    "ops.part.restarted": ("bagian {part} dimulai ulang", "part {part} restarted"),
    "ops.part.gave_up": (
        "mailflow berhenti: bagian {part} mati {count}x dalam {window} detik (terakhir: {reason}). "
        "Periksa log dan `mailflow doctor`; systemd akan menjalankan ulang layanan.",
        "mailflow stops: part {part} died {count} times in {window} seconds (last: {reason}). "
        "Check the log and `mailflow doctor`; systemd will restart the service.",
    ),
    # --- health --------------------------------------------------------------------------
    "ops.health.part_down": ("bagian {part} tidak berjalan", "part {part} is not running"),
    "ops.health.never_polled": (
        "kotak surat {mailbox} belum pernah berhasil dibaca",
        "mailbox {mailbox} has not been read successfully yet",
    ),
    "ops.health.poll_old": (
        "kotak surat {mailbox} terakhir berhasil dibaca {seconds} detik lalu (batas {limit})",
        "mailbox {mailbox} was last read successfully {seconds} seconds ago (limit {limit})",
    ),
    "ops.metrics.serving": (
        "Metrik Prometheus di http://{address}/metrics, kesehatan di http://{address}/healthz",
        "Prometheus metrics at http://{address}/metrics, health at http://{address}/healthz",
    ),
    "ops.metrics.bad_address": (
        "alamat metrik {value!r} tidak sah; contoh: 127.0.0.1:9464",
        "invalid metrics address {value!r}; example: 127.0.0.1:9464",
    ),
    "ops.metrics.cannot_listen": (
        "tidak dapat membuka {address} untuk metrik: {error}",
        "cannot listen on {address} for metrics: {error}",
    ),
}
