"""Files of the watched folders: which names are temporary, and moving a finished file aside.

A finished file goes to `processed/` or `rejected/` beside it under a name that is free there
(`surat.pdf`, then `surat (2).pdf`), never overwriting, with the handler's note in
`<name>.keterangan.txt`; the rename and the note are fsynced, so a crash leaves the file either
still waiting in the folder (processed again, and recognised by its hash) or moved with its note.
"""

from __future__ import annotations

from pathlib import Path

from mailflow.adapters.durable import fsync_dir, write_atomic
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
        note_path = destination.with_name(destination.name + NOTE_SUFFIX)
        write_atomic(note_path, (note.rstrip() + "\n").encode(), sync_folder=False)  # synced below
        fsync_dir(folder)
        fsync_dir(path.parent)
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
