"""Files of the watched folders: which names are temporary, and moving a finished file aside.

A finished file goes to `processed/` or `rejected/` beside it under a name that is free there
(`surat.pdf`, then `surat (2).pdf`), never overwriting, with the handler's note in
`<name>.keterangan.txt`; the rename and the note are fsynced, so a crash leaves the file either
still waiting in the folder (processed again, and recognised by its hash) or moved with its note.
A set-aside file written again after its note (a writer that kept it open, a sync client
replacing its content) is moved back for a new decision (`changed_after_note`, `move_back`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mailflow.adapters.durable import SyncRound, fsync_dir, write_atomic, write_temporary
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
        note_path = note_of(destination)
        write_atomic(note_path, (note.rstrip() + "\n").encode(), sync_folder=False)  # synced below
        fsync_dir(folder)
        fsync_dir(path.parent)
    except OSError as exc:
        raise StorageError(f"cannot move {path} to {folder}: {exc.strerror}") from exc
    return destination


def move_many(moves: Sequence[tuple[Path, Path, str]]) -> list[Path | StorageError]:
    """`move_with_note` for several (path, folder, note) at once: every file renamed, every note
    written, then one sync round for the notes and the folders. Per move, where the file went or
    why it could not be moved; a round that fails raises StorageError (the files have moved, some
    notes may be missing: such a refusal is decided again from its hash)."""
    round_ = SyncRound()
    results: list[Path | StorageError] = []
    for path, folder, note in moves:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            destination = _free_name(folder, path.name)
            path.replace(destination)
        except OSError as exc:
            results.append(StorageError(f"cannot move {path} to {folder}: {exc.strerror}"))
            continue
        results.append(destination)
        round_.add_directory(folder)
        round_.add_directory(path.parent)
        try:
            note_path = note_of(destination)
            round_.add(write_temporary(note_path, (note.rstrip() + "\n").encode(), sync=False), note_path)
        except OSError as exc:  # the file is moved; without its note a refusal is looked at again
            results[-1] = StorageError(f"cannot write the note of {destination}: {exc.strerror}")
    try:
        round_.run()
    except OSError as exc:
        raise StorageError(f"cannot make the moved files durable: {exc.strerror}") from exc
    return results


def note_of(path: Path) -> Path:
    return path.with_name(path.name + NOTE_SUFFIX)


def changed_after_note(path: Path) -> bool:
    """Whether `path` (a moved file) may have been written after its note: the note is written
    after the move, so a later write leaves the file at least as new as its note (equal counts:
    file times tick in coarse steps). A file without a note counts as changed."""
    try:
        note = note_of(path).stat().st_mtime_ns
    except OSError:
        return True
    try:
        return path.stat().st_mtime_ns >= note
    except OSError:
        return False


def move_back(path: Path, folder: Path) -> Path:
    """Move a set-aside file back into the watched `folder` (free name) and drop its note, which
    spoke of other bytes; the decision about those stays in the database."""
    try:
        destination = _free_name(folder, path.name)
        path.replace(destination)
        note_of(path).unlink(missing_ok=True)
        fsync_dir(folder)
        fsync_dir(path.parent)
    except OSError as exc:
        raise StorageError(f"cannot move {path} back to {folder}: {exc.strerror}") from exc
    return destination


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = folder / f"{stem} ({counter}){suffix}"
    return candidate
