"""The content store's sync round: nothing is visible under its final name before its round ran
(a file found there is whole, so a repeated write after a crash may skip it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mailflow.adapters.durable import SyncRound
from mailflow.adapters.mailstore import ContentStore


def files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_a_deferred_store_shows_its_files_only_after_the_round(tmp_path: Path) -> None:
    raw = ContentStore(tmp_path / "raw", suffix=".eml")
    attachments = ContentStore(tmp_path / "att")
    round_ = SyncRound()
    blobs = raw.deferred(round_).put_many([b"mail one", b"mail two", b"mail one"])
    writer = attachments.deferred(round_).writer(suffix=".jpg")
    writer.write(b"\xff\xd8 photo ")
    writer.write(b"bytes")
    photo = writer.commit()

    assert not any(blob.path.exists() for blob in blobs)
    assert not photo.path.exists()
    assert all(name.endswith(".tmp") for name in files(tmp_path))

    round_.run()

    assert [blob.path.read_bytes() for blob in blobs] == [b"mail one", b"mail two", b"mail one"]
    assert photo.path.read_bytes() == b"\xff\xd8 photo bytes"
    assert photo.sha256 == hashlib.sha256(b"\xff\xd8 photo bytes").hexdigest()
    assert not [name for name in files(tmp_path) if name.endswith(".tmp")]


def test_a_round_that_does_not_run_leaves_nothing_behind(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "raw", suffix=".eml")
    round_ = SyncRound()
    store.deferred(round_).put_many([b"lost before the commit"])
    round_.discard()
    assert files(tmp_path) == []


def test_a_whole_file_already_in_place_is_not_written_again(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "raw", suffix=".eml")
    [first] = store.put_many([b"the same mail"])
    before = first.path.stat().st_mtime_ns
    round_ = SyncRound()
    [again] = store.deferred(round_).put_many([b"the same mail"])
    round_.run()
    assert again.path == first.path
    assert first.path.stat().st_mtime_ns == before
    assert files(tmp_path) == [first.path.name]
