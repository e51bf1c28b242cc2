"""User-facing messages of the CLI and of configuration errors, Indonesian first, English second.

Mails and letters have their own templates per language; this catalogue holds the short texts
that code prints. A key missing in English falls back to Indonesian, never to the key itself.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")

_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (Indonesian, English)
    # --- configuration errors (pydantic error types and our own) ---------------------------
    "missing": ("wajib diisi", "is required"),
    "extra_forbidden": ("kunci tidak dikenal", "unknown key"),
    "did_you_mean": ("maksud Anda {suggestion!r}?", "did you mean {suggestion!r}?"),
    "known_keys": ("kunci yang dikenal: {keys}", "known keys: {keys}"),
    "int_parsing": ("harus bilangan bulat", "must be a whole number"),
    "int_type": ("harus bilangan bulat", "must be a whole number"),
    "float_parsing": ("harus angka", "must be a number"),
    "float_type": ("harus angka", "must be a number"),
    "bool_parsing": ("harus true atau false", "must be true or false"),
    "bool_type": ("harus true atau false", "must be true or false"),
    "string_type": ("harus teks (dalam tanda kutip)", "must be a text (in quotes)"),
    "greater_than_equal": ("harus paling kecil {ge}", "must be at least {ge}"),
    "greater_than": ("harus lebih besar dari {gt}", "must be greater than {gt}"),
    "less_than_equal": ("harus paling besar {le}", "must be at most {le}"),
    "literal_error": ("harus salah satu dari: {expected}", "must be one of: {expected}"),
    "date_from_datetime_parsing": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_parsing": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_type": ("harus tanggal YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "list_type": ("harus daftar [ ... ]", "must be a list [ ... ]"),
    "tuple_type": ("harus daftar [ ... ]", "must be a list [ ... ]"),
    "dict_type": ("harus tabel/pemetaan", "must be a table/mapping"),
    "model_type": ("harus tabel/pemetaan", "must be a table/mapping"),
    "value_error": ("nilai tidak sah: {error}", "invalid value: {error}"),
    "email": ("alamat email tidak sah: {error}", "invalid email address: {error}"),
    "config.not_found": (
        "berkas konfigurasi tidak ditemukan (buat dengan `mailflow init`)",
        "configuration file not found (create one with `mailflow init`)",
    ),
    "config.unreadable": ("berkas tidak dapat dibaca: {error}", "cannot read the file: {error}"),
    "config.toml_syntax": ("sintaks TOML salah: {error}", "TOML syntax error: {error}"),
    "config.yaml_syntax": ("sintaks YAML salah: {error}", "YAML syntax error: {error}"),
    "config.more_errors": ("(dan {count} kesalahan lain)", "(and {count} more errors)"),
    # --- CLI ------------------------------------------------------------------------------
    "cli.error": ("Kesalahan", "Error"),
    "cli.config_error": ("Kesalahan konfigurasi", "Configuration error"),
    "cli.unexpected": (
        "Kesalahan tak terduga: {error}. Rincian ada di log.",
        "Unexpected error: {error}. Details are in the log.",
    ),
    "init.written": (
        "Konfigurasi awal ditulis ke {path}",
        "Starter configuration written to {path}",
    ),
    "init.exists": (
        "{path} sudah ada; gunakan --force untuk menimpa",
        "{path} already exists; use --force to overwrite",
    ),
    "init.next": (
        "Langkah berikutnya: sunting {config} dan {directory}, lalu jalankan "
        "`mailflow --config {config} db upgrade`.",
        "Next: edit {config} and {directory}, then run `mailflow --config {config} db upgrade`.",
    ),
    "sop.err.steps_list": ("harus daftar langkah yang tidak kosong", "must be a non-empty list of steps"),
    "sop.err.numbers": (
        "nomor langkah harus berurutan 1..{count}, ditemukan {found}",
        "step numbers must run 1..{count} in order, found {found}",
    ),
    "sop.err.keys_unique": (
        "kunci langkah {step!r} sudah dipakai langkah lain; setiap key harus unik",
        "step key {step!r} is used by another step; keys must be unique",
    ),
    "sop.err.key": (
        "harus kunci langkah: huruf kecil, angka dan garis bawah, diawali huruf (mis. pemeriksaan)",
        "must be a step key: lowercase letters, digits and underscores, starting with a letter",
    ),
    "sop.err.role_undeclared": (
        "peran {value!r} tidak dinyatakan di bagian roles berkas SOP ini",
        "role {value!r} is not declared under roles in this SOP file",
    ),
    "sop.err.unknown_step": (
        "langkah {value!r} tidak ada; next harus menyebut key langkah yang ada",
        "there is no step {value!r}; next must name the key of a step",
    ),
    "sop.err.first_system": (
        "langkah pertama (registrasi) harus dilakukan sistem (by_system: true)",
        "the first step (registration) must be done by the system (by_system: true)",
    ),
    "sop.err.unreachable": (
        "langkah {step!r} tidak dapat dicapai dari langkah pertama (tidak ada next yang menujunya)",
        "step {step!r} cannot be reached from the first step (no next leads to it)",
    ),
    "sop.err.no_way_out": (
        "langkah {step!r} tidak punya jalan keluar: tidak ada next dan tidak ada perintah yang menutup aduan",
        "step {step!r} has no way out: no next and no command that closes the case",
    ),
    "sop.err.never_closes": (
        "dari langkah {step!r} aduan tidak pernah dapat ditutup (tidak ada jalur ke close)",
        "from step {step!r} the case can never be closed (no path leads to a close)",
    ),
    "sop.err.completion_twice": (
        "gunakan completion atau by_system, tidak keduanya",
        "use completion or by_system, not both",
    ),
    "sop.err.needs_commands": (
        "langkah yang diselesaikan petugas harus punya daftar perintah (commands)",
        "a step completed by an official needs a list of commands",
    ),
    "sop.err.next_on_command_step": (
        "langkah dengan perintah menyatakan next pada setiap perintah, bukan pada langkahnya",
        "a step with commands states next on each command, not on the step",
    ),
    "sop.err.commands_on_auto_step": (
        "langkah yang diselesaikan sistem atau surat bertanda tangan tidak menerima perintah",
        "a step completed by the system or by a signed letter takes no commands",
    ),
    "sop.err.signature_route": (
        "langkah tanda tangan (completion: signed_letter) harus per OPD (scope: route)",
        "a signature step (completion: signed_letter) must be per department (scope: route)",
    ),
    "sop.err.command_twice": (
        "perintah {verb} sudah dinyatakan pada langkah ini",
        "command {verb} is already declared at this step",
    ),
    "sop.err.verb": (
        "perintah {value!r} tidak dikenal; gunakan salah satu: {names}",
        "unknown command {value!r}; use one of {names}",
    ),
    "sop.err.one_way": (
        "perintah {verb} harus punya tepat satu dari next, stay atau close",
        "command {verb} needs exactly one of next, stay or close",
    ),
    "sop.err.no_args": ("perintah {verb} tidak menerima argumen", "command {verb} takes no arguments"),
    "sop.err.total": (
        "jumlah waktu langkah {total}, tetapi stated_total menyebut {stated}",
        "the steps add up to {total}, but stated_total says {stated}",
    ),
    "sop.err.route_consecutive": (
        "langkah per OPD (scope: route) harus berurutan",
        "per-OPD (route) steps must be consecutive",
    ),
    "sop.err.text": ("harus teks yang tidak kosong", "must be a non-empty text"),
    "sop.err.role": (
        "peran {value!r} tidak dikenal; gunakan salah satu: {names}",
        "unknown role {value!r}; use one of {names}",
    ),
    "sop.err.duration_type": (
        'harus teks durasi seperti "60 menit" atau "3 hari"',
        'must be a duration text like "60 menit" or "3 hari"',
    ),
    "sop.err.duration": ("durasi tidak sah: {error}", "invalid duration: {error}"),
    "sop.err.unknown_key": (
        "kunci tidak dikenal; kunci yang dikenal: {keys}",
        "unknown key; known keys: {keys}",
    ),
    "sop.err.number": ("harus bilangan bulat positif", "must be a positive whole number"),
    "sop.err.roles_list": ("harus daftar peran", "must be a list of roles"),
    "sop.err.zero_limit": ("harus lebih dari nol", "must be longer than zero"),
    "sop.title": ("SOP {code}: {title}", "SOP {code}: {title}"),
    "sop.col.step": ("No", "No"),
    "sop.col.name": ("Kegiatan", "Activity"),
    "sop.col.actor": ("Pelaksana", "Actor"),
    "sop.col.limit": ("Waktu", "Limit"),
    "sop.col.scope": ("Lingkup", "Scope"),
    "sop.col.by": ("Dilakukan", "Done by"),
    "sop.col.leads": ("Lanjut", "Leads to"),
    "sop.leads.stay": ("tetap (jalur berubah)", "stays (track changes)"),
    "sop.leads.answered": ("selesai, pelapor dijawab", "closed, complainant answered"),
    "sop.leads.rejected": ("ditolak, pelapor diberi tahu", "rejected, complainant told"),
    "sop.scope.case": ("aduan", "complaint"),
    "sop.scope.route": ("per OPD", "per department"),
    "sop.by.system": ("sistem", "system"),
    "sop.by.person": ("petugas", "official"),
    "sop.special": ("jalur khusus: {limit}", "special track: {limit}"),
    "sop.fast_path": ("jalur cepat ke OPD", "fast path to the department"),
    "sop.total": ("Total waktu (mutu baku): {total}", "Total time (quality standard): {total}"),
    "sop.total_special": (
        "Total jalur khusus (tinjauan lapangan/lintas sektor): {total}",
        "Total on the special track (field review/cross-sector): {total}",
    ),
    "due.result": (
        "Langkah {step} ({name}) dimulai {start}",
        "Step {step} ({name}) started {start}",
    ),
    "due.deadline": ("Batas waktu: {due}", "Deadline: {due}"),
    "due.limit": ("Batas: {limit} waktu kerja", "Limit: {limit} of business time"),
    "due.bad_step": (
        "langkah {step} tidak ada; pilih 1-{count}",
        "no step {step}; choose 1-{count}",
    ),
    "due.bad_start": (
        'waktu mulai {value!r} tidak dapat dibaca; contoh: "2026-03-17 15:00"',
        'cannot read start time {value!r}; example: "2026-03-17 15:00"',
    ),
    "db.upgraded": (
        "Basis data mutakhir ({url}), revisi {revision}",
        "Database up to date ({url}), revision {revision}",
    ),
    "db.current": ("Revisi basis data: {revision}", "Database revision: {revision}"),
    "config.ok": ("Konfigurasi sah: {config}", "Configuration is valid: {config}"),
    "run.started": (
        "mailflow berjalan: {mailboxes} kotak surat, basis data {database}. Hentikan dengan Ctrl-C.",
        "mailflow is running: {mailboxes} mailbox(es), database {database}. Stop with Ctrl-C.",
    ),
    "run.stopping": ("Menghentikan...", "Stopping..."),
    "run.stopped": ("Berhenti.", "Stopped."),
}


def _merge() -> None:
    # Imported here so every area's texts load with the catalogue; duplicates are a bug.
    from mailflow.texts import (  # noqa: PLC0415
        backup,
        branches,
        demo,
        doctor,
        engine,
        ingest,
        letters,
        oauth,
        ops,
        outbox,
        reports,
        signatures,
    )

    for module in (
        ingest,
        engine,
        letters,
        signatures,
        reports,
        demo,
        outbox,
        ops,
        oauth,
        doctor,
        backup,
        branches,
    ):
        for key, pair in module.MESSAGES.items():
            if key in _MESSAGES:
                raise RuntimeError(f"message key {key!r} is defined twice ({module.__name__})")
            _MESSAGES[key] = pair


_merge()


STRICT_ENV = "MAILFLOW_STRICT_TEXTS"  # set by the test suite: a missing key is a bug, not a fallback


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The message `key` in `lang`, formatted with `values`.

    An unknown key shows the key itself (a user sees something rather than a crash), except under
    MAILFLOW_STRICT_TEXTS=1 (the tests), where it raises so that no missing text goes unnoticed."""
    pair = _MESSAGES.get(key)
    if pair is None:
        if os.environ.get(STRICT_ENV) == "1":
            raise KeyError(f"no message text for {key!r}")
        return key.format(**values) if values else key
    text = pair[1] if lang == "en" and pair[1] else pair[0]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in _MESSAGES


def language_from_env(default: str = DEFAULT_LANGUAGE) -> str:
    """MAILFLOW_LANG picks the language before a config is loaded (e.g. for config errors)."""
    value = os.environ.get("MAILFLOW_LANG", "").strip().lower()
    return value if value in LANGUAGES else default
