"""Read an SOP data file (YAML) into a validated Sop."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mailflow.config.yaml_file import parse_yaml, read_yaml
from mailflow.domain.sop import Sop, sop_from_mapping
from mailflow.errors import SopError

SHIPPED_SOP = "sop_lapor_bontang.yaml"


def load_sop(path: Path | None = None, lang: str = "id") -> Sop:
    """The configured SOP file, or the one shipped with mailflow when `path` is None."""
    if path is None:
        text = resources.files("mailflow.data").joinpath(SHIPPED_SOP).read_text(encoding="utf-8")
        source = f"mailflow/data/{SHIPPED_SOP}"
        data = parse_yaml(text, source, SopError, lang)
    else:
        source = str(path)
        _, data = read_yaml(path, SopError, lang)
    return sop_from_mapping(data, source, lang)
