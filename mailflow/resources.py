"""Where the bundled, editable resources are: `templates/` and `inbox_rules/`.

In a source checkout (clone, then `pip install -e .`) they are the top-level folders beside the
package. A wheel carries them inside the package as `mailflow/bundled/<name>` (setup.py and
[tool.setuptools.package-dir]), found here with importlib.resources. The SOP data and the
starter site are package data under `mailflow/data/`. `mailflow init` copies templates and rules
next to a new config so an admin edits copies, never the originals.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from mailflow.errors import DependencyError

_CHECKOUT = Path(__file__).resolve().parent.parent


def _packaged(*parts: str) -> Path | None:
    """A folder inside the installed package, when it is on the file system (not zipped)."""
    found = files("mailflow").joinpath(*parts)
    return found if isinstance(found, Path) and found.is_dir() else None


def bundled(name: str) -> Path:
    """The bundled folder `name` ("templates" or "inbox_rules")."""
    packaged = _packaged("bundled", name)
    if packaged is not None:
        return packaged
    candidate = _CHECKOUT / name
    if candidate.is_dir():
        return candidate
    raise DependencyError(f"the bundled folder {name!r} is missing from this installation")


def starter(name: str) -> Path:
    """A starter file shipped inside the package (mailflow.toml, directory.yaml)."""
    return Path(str(files("mailflow").joinpath("data", "starter", name)))
