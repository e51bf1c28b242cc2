"""Load the directory YAML (people and OPDs) into a validated Directory."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from mailflow.config.errors import to_config_error
from mailflow.config.locate import yaml_line
from mailflow.config.yaml_file import read_yaml
from mailflow.domain.directory import Directory
from mailflow.errors import DirectoryError
from mailflow.i18n import translate


def load_directory(path: Path, lang: str = "id") -> Directory:
    if not path.is_file():
        raise DirectoryError(translate("config.not_found", lang), file=str(path))
    text, raw = read_yaml(path, DirectoryError, lang)
    try:
        directory = Directory.model_validate(raw)
    except ValidationError as exc:
        raise to_config_error(
            exc,
            Directory,
            file=path,
            text=text,
            line_of=yaml_line,
            lang=lang,
            error_class=DirectoryError,
        ) from None
    return _resolve_logos(directory, path.parent)


def _resolve_logos(directory: Directory, base: Path) -> Directory:
    def fix(head: object) -> object:
        logo = getattr(head, "logo", None)
        if logo is not None and not Path(logo).is_absolute():
            return head.model_copy(update={"logo": (base / logo).resolve()})  # type: ignore[attr-defined]
        return head

    kominfo = directory.diskominfo.model_copy(update={"letterhead": fix(directory.diskominfo.letterhead)})
    opds = tuple(o.model_copy(update={"letterhead": fix(o.letterhead)}) for o in directory.opds)
    return directory.model_copy(update={"diskominfo": kominfo, "opds": opds})
