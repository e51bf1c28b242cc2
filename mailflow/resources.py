"""Where the bundled, editable resources are: `templates/` and `inbox_rules/` of the project.

From a source checkout (the usual deployment: clone, then `pip install -e .`) they are the
top-level folders beside the package; from a wheel they are installed under
`<prefix>/share/mailflow/`. `mailflow init` copies them next to a new config so an admin edits
copies, never the originals.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mailflow.errors import DependencyError

_CHECKOUT = Path(__file__).resolve().parent.parent
_SHARE = Path(sys.prefix) / "share" / "mailflow"


def bundled(name: str) -> Path:
    """The bundled folder `name` ("templates" or "inbox_rules")."""
    for base in (_CHECKOUT, _SHARE):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise DependencyError(f"the bundled folder {name!r} is missing from this installation")


def starter(name: str) -> Path:
    """A starter file shipped inside the package (mailflow.toml, directory.yaml)."""
    return Path(__file__).resolve().parent / "data" / "starter" / name
