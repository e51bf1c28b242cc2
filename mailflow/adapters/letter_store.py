"""Where letters live on disk: `<letters>/<year>/<case number>/`, written atomically and durably."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from mailflow.adapters.durable import SyncRound, ensure_dir, fsync_dir, write_atomic, write_temporary
from mailflow.errors import StorageError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_component(text: str) -> str:
    """A file-name part from a number or case number: "700.1.2.4/0042/Dishub/2026" ->
    "700.1.2.4-0042-Dishub-2026"; never empty, never "." or "..", never a path."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned[:120] or "x"


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


class LetterStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, year: int, case_number: str) -> Path:
        return self.root / str(year) / safe_component(case_number)

    def write(self, path: Path, data: bytes, round_: SyncRound | None = None) -> StoredFile:
        """Write `data` to `path` via a temporary file, fsynced, then renamed into place (with
        `round_`: fsynced and renamed when that round runs, with the rest of a batch)."""
        try:
            ensure_dir(path.parent, round_)
            if round_ is not None:
                round_.add(write_temporary(path, data, sync=False), path)
            else:
                write_atomic(path, data)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc
        return StoredFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def move_into_place(temporary: Path, final: Path) -> None:
    """Rename a finished temporary file over its final name, durably."""
    try:
        temporary.replace(final)
        fsync_dir(final.parent)
    except OSError as exc:
        raise StorageError(f"cannot move {temporary} to {final}: {exc.strerror}") from exc
