"""Read an SOP data file (YAML) into a validated Sop; errors name the file, key and line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mailflow.config.yaml_file import key_lines, line_of, parse_yaml
from mailflow.domain.sop import Sop
from mailflow.domain.sop_schema import sop_from_mapping
from mailflow.errors import SopError
from mailflow.i18n import translate

SHIPPED_SOP = "sop_lapor_bontang.yaml"
REGENCY_SOP = "sop_kabupaten_ringkas.yaml"  # a second, shorter SOP shipped as an example


def shipped_sop_path(name: str = SHIPPED_SOP) -> Path:
    """The path of an SOP file shipped in mailflow/data (for `--sop`, tests and docs)."""
    return Path(str(resources.files("mailflow.data").joinpath(name)))


def shipped_sop_text() -> str:
    return resources.files("mailflow.data").joinpath(SHIPPED_SOP).read_text(encoding="utf-8")


def load_sop(path: Path | None = None, lang: str = "id") -> Sop:
    """The configured SOP file, or the one shipped with mailflow when `path` is None."""
    if path is None:
        return sop_from_text(shipped_sop_text(), f"mailflow/data/{SHIPPED_SOP}", lang)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SopError(translate("config.unreadable", lang, error=exc), file=str(path)) from None
    return sop_from_text(text, str(path), lang)


def sop_from_text(text: str, source: str, lang: str = "id") -> Sop:
    data = parse_yaml(text, source, SopError, lang)
    try:
        return sop_from_mapping(data, source, lang)
    except SopError as exc:
        if exc.line is None:
            line = line_of(key_lines(text), exc.key)
            if line is not None:
                raise SopError(exc.message, file=exc.file, key=exc.key, line=line) from None
        raise
