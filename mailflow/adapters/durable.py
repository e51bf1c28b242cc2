"""Durable file writes: what the stores (raw mail, attachments, letters, reason files) share.

A file is written under a temporary name, fsynced and renamed over its final name, and the
directory is fsynced so the rename itself survives a power loss: a crash leaves the old file or
the new one, never half of it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_temporary(final: Path, data: bytes) -> Path:
    """Write `data` beside `final` under a unique temporary name, fsynced; returns that name."""
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def write_atomic(final: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace `final` with `data` durably (its folder must exist; see `ensure_dir`)."""
    write_temporary(final, data).replace(final)
    if sync_folder:
        fsync_dir(final.parent)


def ensure_dir(directory: Path) -> None:
    """Create `directory` and its missing parents, making each new entry durable."""
    if directory.is_dir():
        return
    ensure_dir(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        return
    fsync_dir(directory.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable (the directory entry itself is fsynced)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
