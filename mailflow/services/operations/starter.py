"""`mailflow init`: a working starter configuration, directory, inbox rules and templates."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from mailflow.resources import bundled, starter

CONFIG_NAME = "mailflow.toml"
DIRECTORY_NAME = "directory.yaml"


@dataclass(frozen=True)
class InitResult:
    config: Path
    directory: Path
    written: tuple[Path, ...]


class AlreadyInitialisedError(Exception):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(str(path))


def write_starter(target: Path, *, force: bool = False) -> InitResult:
    """Write the starter files into `target`; refuses to overwrite a config unless `force`."""
    target = target.resolve()
    config = target / CONFIG_NAME
    if config.exists() and not force:
        raise AlreadyInitialisedError(config)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    text = starter(CONFIG_NAME).read_text(encoding="utf-8")
    text = text.replace("@SECRET@", secrets.token_urlsafe(32))
    _write_private(config, text)
    written.append(config)

    directory = target / DIRECTORY_NAME
    if force or not directory.exists():
        shutil.copyfile(starter(DIRECTORY_NAME), directory)
        written.append(directory)

    for name in ("inbox_rules", "templates"):
        source = bundled(name)
        destination = target / name
        for item in sorted(source.rglob("*")):
            if item.is_dir() or item.name.startswith(("~$", ".")) or "__pycache__" in item.parts:
                continue
            out = destination / item.relative_to(source)
            if out.exists() and not force:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, out)
            written.append(out)

    for folder in (target / "letters" / "returned", target / "var"):
        folder.mkdir(parents=True, exist_ok=True)
    return InitResult(config=config, directory=directory, written=tuple(written))


def _write_private(path: Path, text: str) -> None:
    """The config holds the token secret: readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
