"""`mailflow backup DIR` and `mailflow restore DIR --into SITE`.

A backup folder holds:

    manifest.json          what is inside, with the SHA-256 of every file (written last)
    database/              mailflow.sqlite3 (SQLite online backup) or mailflow.pgdump (pg_dump)
    files/mail/            the raw mail store
    files/attachments/     attachments of incoming mail
    files/letters/         generated and returned letters
    files/reports/         the report files mails refer to
    files/evidence/        complainants' files without metadata, sent to officials (rahasia/anonim)
    site/                  mailflow.toml without secrets, the directory, inbox rules, templates,
                           the SOP file and trust roots when configured

**Consistent while mailflow runs.** The database is copied first, in one snapshot; every file a
row refers to was written (fsynced) before that row was committed, so it exists when the files are
copied after it. Files newer than the snapshot are harmless extras. A file that moved meanwhile (a
returned letter filed into its case) would be missing: every path the snapshot refers to is
checked against the copy, and the backup is taken again when one is missing.

**No secrets.** Passwords, OAuth2 client secrets, the token secret and the password in a database
URL are removed from the copied config; the OAuth2 token files, logs and the converter's profile
are not copied at all.

**Restore** checks every hash, lays the site out afresh (`SITE/mailflow.toml`, `SITE/var/...`,
`SITE/letters`), loads the database (SQLite file, or pg_restore into an empty PostgreSQL database
given by URL), rewrites the stored file paths from the old site's folders to the new ones, and
migrates the schema to this mailflow's newest revision.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from mailflow import __version__
from mailflow.adapters.db import snapshot as db_snapshot
from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import current_revision, upgrade
from mailflow.config.edit import safe_url, with_updates, without_secrets
from mailflow.config.model import Settings
from mailflow.errors import StorageError, UsageError
from mailflow.i18n import translate

FORMAT = 1
MANIFEST = "manifest.json"
CONFIG = "mailflow.toml"
# (table, column) of every stored file path, rewritten on restore
PATH_COLUMNS = (
    ("messages", "raw_path"),
    ("message_attachments", "stored_path"),
    ("documents", "docx_path"),
    ("documents", "pdf_path"),
    ("returned_files", "stored_path"),
    ("outbox_attachments", "path"),
    ("quarantine", "path"),
)
COUNTED = ("cases", "messages", "documents")
ATTEMPTS = 3
CHUNK = 1024 * 1024


def site_roots(settings: Settings) -> dict[str, Path]:
    """The folders whose files the database refers to, by their name in a backup."""
    return {
        "mail": settings.raw_mail_dir,
        "attachments": settings.attachments_dir,
        "letters": settings.paths.letters,
        "reports": settings.data_dir / "reports",
        "evidence": settings.data_dir / "evidence",
    }


def restored_roots(site: Path) -> dict[str, Path]:
    return {
        "mail": site / "var" / "mail",
        "attachments": site / "var" / "attachments",
        "letters": site / "letters",
        "reports": site / "var" / "reports",
        "evidence": site / "var" / "evidence",
    }


@dataclass
class BackupResult:
    folder: Path
    files: int
    size: int
    counts: dict[str, int]
    database: str
    revision: str | None
    unmapped: list[str] = field(default_factory=list)
    attempts: int = 1


@dataclass
class RestoreResult:
    site: Path
    config: Path
    files: int
    counts: dict[str, int]
    revision: str | None


# --- backup --------------------------------------------------------------------------------------


def backup(settings: Settings, database: Database, target: Path, lang: str = "id") -> BackupResult:
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(translate("backup.target_not_empty", lang, path=target))
    roots = site_roots(settings)
    for attempt in range(1, ATTEMPTS + 1):
        work = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
        work.mkdir(parents=True)
        try:
            result = _take(settings, database, work, roots, lang)
            if result is not None:
                if target.exists():
                    target.rmdir()
                work.rename(target)
                result.folder, result.attempts = target, attempt
                return result
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    raise StorageError(translate("backup.moving_files", lang, attempts=ATTEMPTS))


def _take(
    settings: Settings, database: Database, work: Path, roots: dict[str, Path], lang: str
) -> BackupResult | None:
    # table and column names are the constants above, never input
    statements = [
        *(f"SELECT {c} FROM {t} WHERE {c} IS NOT NULL" for t, c in PATH_COLUMNS),  # noqa: S608
        *(f"SELECT count(*) FROM {table}" for table in COUNTED),  # noqa: S608
        "SELECT version_num FROM alembic_version",
    ]
    (work / "database").mkdir()
    if database.is_sqlite:
        name = "database/mailflow.sqlite3"
        source = Path(str(database.engine.url.database))
        db_snapshot.sqlite_snapshot(source, work / name)
        results = db_snapshot.read_sqlite(work / name, statements)
        kind = "sqlite"
    else:
        name = "database/mailflow.pgdump"
        results = db_snapshot.pg_dump(database.url, work / name, statements)
        kind = "postgresql"
    referenced = {str(row[0]) for rows in results[: len(PATH_COLUMNS)] for row in rows if row[0]}
    counts = {
        table: int(rows[0][0]) for table, rows in zip(COUNTED, results[len(PATH_COLUMNS) : -1], strict=True)
    }
    revision = str(results[-1][0][0]) if results[-1] else None

    for root_name, root in roots.items():
        if root.is_dir():
            _copy_tree(root, work / "files" / root_name)
    unmapped: list[str] = []
    for path in sorted(referenced):
        mapped = _in_backup(Path(path), roots, work)
        if mapped is None:
            unmapped.append(path)  # outside every known folder (e.g. a watched share): not ours to copy
        elif not mapped.is_file():
            return None  # moved after the snapshot: take the backup again
    site = _copy_site(settings, work / "site")
    files: dict[str, dict[str, Any]] = {
        str(path.relative_to(work)): {"sha256": _sha256(path), "size": path.stat().st_size}
        for path in sorted(work.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format": FORMAT,
        "mailflow": __version__,
        "created_at": datetime.now(UTC).isoformat(),
        "database": {"kind": kind, "file": name, "revision": revision, "url": safe_url(database.url)},
        "roots": {key: str(value) for key, value in roots.items()},
        "site": site,
        "counts": counts,
        "unmapped": unmapped,
        "files": files,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    size = sum(int(entry["size"]) for entry in files.values())
    return BackupResult(work, len(files), size, counts, kind, revision, unmapped)


def _in_backup(path: Path, roots: dict[str, Path], work: Path) -> Path | None:
    for name, root in roots.items():
        if path.is_relative_to(root):
            return work / "files" / name / path.relative_to(root)
    return None


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        # ".name.xxxx.tmp" and ".incoming.*.tmp" are writes in progress (never referenced)
        if path.is_dir() or (path.name.startswith(".") and path.name.endswith(".tmp")):
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, out)
        except FileNotFoundError:
            continue  # removed while we walked: the snapshot check decides whether it mattered


def _copy_site(settings: Settings, target: Path) -> dict[str, Any]:
    """The site's own files (without secrets); returns where each went, for restore."""
    target.mkdir(parents=True)
    assert settings.config_file is not None
    (target / CONFIG).write_text(
        without_secrets(settings.config_file.read_text(encoding="utf-8")), encoding="utf-8"
    )
    paths = settings.paths
    site: dict[str, Any] = {"config": CONFIG}
    if paths.directory.is_file():
        shutil.copy2(paths.directory, target / "directory.yaml")
        site["directory"] = "directory.yaml"
    for name, folder in (("inbox_rules", paths.inbox_rules), ("templates", paths.templates)):
        if folder.is_dir():
            _copy_tree(folder, target / name)
            site[name] = name
    if paths.sop is not None and paths.sop.is_file():
        shutil.copy2(paths.sop, target / "sop.yaml")
        site["sop"] = "sop.yaml"
    for key in ("trust_roots", "intermediates"):
        copied = []
        for index, path in enumerate(getattr(settings.signatures, key)):
            source = path if path.is_absolute() else settings.base_dir / path
            if source.is_file():
                out = target / "pki" / f"{key}-{index}-{source.name}"
                out.parent.mkdir(exist_ok=True)
                shutil.copy2(source, out)
                copied.append(str(out.relative_to(target)))
        site[key] = copied
    return site


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore -------------------------------------------------------------------------------------


def read_manifest(source: Path, lang: str = "id") -> dict[str, Any]:
    """The manifest, after checking that every file it lists is there with its hash."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(translate("backup.no_manifest", lang, path=source)) from None
    if manifest.get("format") != FORMAT:
        raise UsageError(translate("backup.format", lang, found=manifest.get("format")))
    for name, entry in manifest["files"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise StorageError(translate("backup.damaged", lang, name=name))
    return manifest


def restore(
    source: Path,
    into: Path,
    *,
    database_url: str | None = None,
    lang: str = "id",
    progress: Callable[[str], None] | None = None,
) -> RestoreResult:
    source, into = source.resolve(), into.resolve()
    manifest = read_manifest(source, lang)
    if (into / CONFIG).exists():
        raise UsageError(translate("backup.site_exists", lang, path=into / CONFIG))
    kind = manifest["database"]["kind"]
    if kind == "postgresql" and not database_url:
        raise UsageError(translate("backup.needs_url", lang))
    if database_url and kind == "sqlite" and not database_url.startswith("sqlite"):
        raise UsageError(translate("backup.sqlite_only", lang))
    into.mkdir(parents=True, exist_ok=True)
    new_roots = restored_roots(into)
    copied = 0
    for name, entry in _entries(manifest, "files/"):
        root_name, _, rest = name.removeprefix("files/").partition("/")
        _place(source / name, new_roots[root_name] / rest)
        copied += 1
        del entry
    for name, _entry in _entries(manifest, "site/"):
        _place(source / name, into / name.removeprefix("site/"))
    config = into / CONFIG
    config.write_text(
        _restored_config(config.read_text(encoding="utf-8"), manifest, database_url), encoding="utf-8"
    )
    config.chmod(0o600)

    url = database_url or f"sqlite:///{into / 'var' / 'mailflow.sqlite3'}"
    dump = source / manifest["database"]["file"]
    if kind == "sqlite" and not database_url:
        _place(dump, into / "var" / "mailflow.sqlite3")
    elif kind == "sqlite":
        _place(dump, Path(url.removeprefix("sqlite:///")))
    else:
        db_snapshot.pg_restore(url, dump)
    database = Database(url)
    try:
        old_roots = {key: Path(value) for key, value in manifest["roots"].items()}
        _rewrite_paths(database, old_roots, new_roots)
        upgrade(database)
        revision = current_revision(database)
    finally:
        database.dispose()
    return RestoreResult(into, config, copied, dict(manifest["counts"]), revision)


def _entries(manifest: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, entry in manifest["files"].items():
        if name.startswith(prefix):
            yield name, entry


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _restored_config(text_: str, manifest: dict[str, Any], database_url: str | None) -> str:
    """The backed-up config pointed at the new site's layout (everything relative to it)."""
    site = manifest["site"]
    paths: dict[str, Any] = {"letters": "letters"}
    for key in ("directory", "inbox_rules", "templates", "sop"):
        if key in site:
            paths[key] = site[key]
    updates: dict[str, dict[str, Any]] = {"general": {"data_dir": "var"}, "paths": paths}
    removals: dict[str, tuple[str, ...]] = {"paths": ("raw_mail", "attachments")}
    if database_url:
        updates["database"] = {"url": safe_url(database_url)}
    else:
        removals["database"] = ("url",)
    signatures = {key: site[key] for key in ("trust_roots", "intermediates") if site.get(key)}
    if signatures:
        updates["signatures"] = signatures
    return with_updates(text_, updates, removals)


def _rewrite_paths(database: Database, old: dict[str, Path], new: dict[str, Path]) -> None:
    """Stored paths under an old site folder now point under the new one (same relative path)."""
    with database.transaction() as session:
        for name, old_root in old.items():
            prefix, replacement = f"{old_root}/", f"{new[name]}/"
            for table, column in PATH_COLUMNS:
                session.execute(
                    text(
                        f"UPDATE {table} SET {column} = :new || substr({column}, :cut) "  # noqa: S608 - fixed names
                        f"WHERE substr({column}, 1, :length) = :old"
                    ),
                    {"new": replacement, "cut": len(prefix) + 1, "length": len(prefix), "old": prefix},
                )
