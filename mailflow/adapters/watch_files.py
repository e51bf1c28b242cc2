"""Files of the watched folders: which names are temporary, and moving a finished file aside.

A finished file goes to `processed/` or `rejected/` beside it under a name that is free there
(`surat.pdf`, then `surat (2).pdf`), never overwriting, with the handler's note in
`<name>.keterangan.txt`; the rename and the note are fsynced, so a crash leaves the file either
still waiting in the folder (processed again, and recognised by its hash) or moved with its note.
"""

from __future__ import annotations

import os
from pathlib import Path

from mailflow.errors import StorageError

PROCESSED, REJECTED = "processed", "rejected"
NOTE_SUFFIX = ".keterangan.txt"
_TEMP_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp", "~")
_SYSTEM_NAMES = frozenset({"desktop.ini", "thumbs.db"})


def is_temporary(name: str) -> bool:
    lower = name.lower()
    return (
        name.startswith(("~$", "."))
        or lower.endswith(_TEMP_SUFFIXES)
        or lower.endswith(NOTE_SUFFIX)
        or lower in _SYSTEM_NAMES
    )


def move_with_note(path: Path, folder: Path, note: str) -> Path:
    """Move `path` into `folder` under a free name and write `note` beside it, durably."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        destination = _free_name(folder, path.name)
        path.replace(destination)
        _write_note(destination.with_name(destination.name + NOTE_SUFFIX), note)
        _sync(folder)
        _sync(path.parent)
    except OSError as exc:
        raise StorageError(f"cannot move {path} to {folder}: {exc.strerror}") from exc
    return destination


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = folder / f"{stem} ({counter}){suffix}"
    return candidate


def _write_note(path: Path, note: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(note.rstrip() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def _sync(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
