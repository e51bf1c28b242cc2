"""Read an SOP data file (YAML) into a validated Sop."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from mailflow.domain.sop import Sop, sop_from_mapping
from mailflow.errors import SopError

SHIPPED_SOP = "sop_lapor_bontang.yaml"


def load_sop(path: Path | None = None) -> Sop:
    """The configured SOP file, or the one shipped with mailflow when `path` is None."""
    if path is None:
        text = resources.files("mailflow.data").joinpath(SHIPPED_SOP).read_text(encoding="utf-8")
        source = f"mailflow/data/{SHIPPED_SOP}"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SopError(f"cannot read the SOP file: {exc}", file=str(path)) from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SopError(
            f"YAML: {getattr(exc, 'problem', exc)}",
            file=source,
            line=mark.line + 1 if mark else None,
        ) from None
    return sop_from_mapping(data, source)
