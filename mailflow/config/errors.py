"""Turn pydantic's validation errors into one clear ConfigError naming file, key and line."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mailflow.config.locate import Loc, dotted
from mailflow.errors import ConfigError
from mailflow.i18n import has, translate


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that owns the last element of `loc` (to list its fields)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _inner_model(annotation: Any) -> Any:
    """Unwrap tuple[X, ...], list[X], X | None down to a model class when there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def describe(error: dict[str, Any], model: type[BaseModel], lang: str) -> str:
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    loc: Sequence[str | int] = error.get("loc", ())
    if kind == "extra_forbidden":
        owner = _model_at(model, loc)
        text = translate("extra_forbidden", lang)
        if owner is not None:
            fields = [f for f in owner.model_fields if not owner.model_fields[f].exclude]
            close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
            if close:
                return f"{text}; {translate('did_you_mean', lang, suggestion=close[0])}"
            return f"{text}; {translate('known_keys', lang, keys=', '.join(fields))}"
        return text
    if kind == "value_error" and "reason" not in ctx:
        # Our own validators raise ValueError with a readable message (already in error["msg"]).
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind.startswith("value_error") and "email" in str(error.get("msg", "")).lower():
        return translate("email", lang, error=ctx.get("reason", error.get("msg", "")))
    if has(kind):
        try:
            return translate(kind, lang, **ctx)
        except (KeyError, IndexError):
            pass
    return str(error.get("msg", kind))


def to_config_error(
    exc: ValidationError,
    model: type[BaseModel],
    *,
    file: Path | str,
    text: str,
    line_of: Callable[[str, Loc], int | None],
    lang: str,
    error_class: type[ConfigError] = ConfigError,
    loc_prefix: Sequence[str | int] = (),
) -> ConfigError:
    """The first error, located; the count of the others is appended so none is hidden."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = (*loc_prefix, *[p for p in first["loc"] if not _is_union_tag(p)])
    message = describe({**first, "loc": tuple(first["loc"])}, model, lang)
    if len(errors) > 1:
        message += " " + translate("config.more_errors", lang, count=len(errors) - 1)
    return error_class(message, file=str(file), key=dotted(loc) or None, line=line_of(text, loc))


def _is_union_tag(part: object) -> bool:
    # pydantic inserts type names ("function-after[...]", "str") into loc for unions/validators
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"})
