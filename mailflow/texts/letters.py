"""User-facing texts of the letters area: {key: (Indonesian, English)}.

The letters themselves are always Indonesian (official letters are); these are the CLI's words.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "letters.check.template": ("{name} (versi {version})", "{name} (version {version})"),
    "letters.check.variables": ("  Isian dipakai ({count}): {names}", "  Fields used ({count}): {names}"),
    "letters.check.missing": (
        "  ✗ Tidak dikenal mailflow (akan tercetak kosong): {names}",
        "  ✗ Unknown to mailflow (would print empty): {names}",
    ),
    "letters.check.required": (
        "  ✗ Wajib ada agar surat yang kembali dapat dicocokkan: {names}",
        "  ✗ Must stay so that returned letters can be matched: {names}",
    ),
    "letters.check.unused": (
        "  · Tersedia tetapi tidak dipakai (boleh): {names}",
        "  · Available but not used (allowed): {names}",
    ),
    "letters.check.available": (
        "  Isian yang tersedia untuk templat ini: {names}",
        "  Fields available to this template: {names}",
    ),
    "letters.check.broken": ("  ✗ {error}", "  ✗ {error}"),
    "letters.check.ok": ("Semua templat surat baik.", "All letter templates are fine."),
    "letters.check.failed": (
        "{count} templat surat perlu diperbaiki.",
        "{count} letter template(s) need fixing.",
    ),
    "letters.build.written": ("Templat ditulis: {path}", "Template written: {path}"),
    "letters.build.kept": (
        "{path} sudah ada dan tidak ditimpa (gunakan --force)",
        "{path} exists and was kept (use --force)",
    ),
    "letters.sample.only": (
        "Surat sungguhan dibuat oleh alur kerja; gunakan --sample untuk surat contoh.",
        "Real letters are made by the workflow; use --sample for a sample letter.",
    ),
    "letters.sample.bad_kind": (
        "jenis surat {kind!r} tidak dikenal; pilih: {kinds}",
        "unknown letter kind {kind!r}; choose: {kinds}",
    ),
    "letters.sample.written": ("Contoh {kind}: {path}", "Sample {kind}: {path}"),
    "letters.convert.done": (
        "{converted} surat dikonversi ke PDF, {failed} gagal (DOCX dikirim sebagai gantinya).",
        "{converted} letters converted to PDF, {failed} failed (the DOCX goes instead).",
    ),
    "letters.convert.running": (
        "Konverter berjalan; tekan Ctrl+C untuk berhenti.",
        "Converter running; press Ctrl+C to stop.",
    ),
}
