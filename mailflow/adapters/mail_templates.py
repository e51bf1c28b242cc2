"""Jinja2 templates of the mails mailflow writes (`templates/email/` beside the config).

A mail `name` in language `lang` is up to three files in `<templates>/email/`:
`<name>.<lang>.txt.j2` (required), `<name>.<lang>.html.j2` (optional HTML alternative,
autoescaped; it may `{% extends "_layout.html.j2" %}`) and `<name>.<lang>.subject.j2` (optional
one-line subject). A language without its own files falls back to Indonesian. The admins'
folder (`paths.templates`) is searched first, then the templates bundled with mailflow, so a
copy edited in a text editor wins and a missing file still has a default. Jinja's default
whitespace handling applies (no trim_blocks), so what a template shows is what the mail says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)

from mailflow.errors import ConfigError
from mailflow.i18n import language_from_env, translate
from mailflow.resources import bundled

FALLBACK_LANGUAGE = "id"


class MailTemplates:
    """Renders mail templates; one instance per process (Jinja caches compiled templates)."""

    def __init__(self, folders: Sequence[Path]) -> None:
        """`folders` are template roots (each with an `email/` inside), searched in order."""
        existing = [str(f / "email") for f in folders if (f / "email").is_dir()]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(path) for path in existing]),
            autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,  # read once per process: no file checks per mail; restart to reload
        )

    @classmethod
    def for_folder(cls, configured: Path | None) -> MailTemplates:
        """The admins' folder (may be missing) first, then the bundled templates."""
        folders = [configured] if configured is not None else []
        folders.append(bundled("templates"))
        return cls(folders)

    def render_mail(self, name: str, lang: str, context: Mapping[str, Any]) -> tuple[str, str | None]:
        """(text, html or None) of mail `name` in `lang`."""
        text = self._render(self._pick(name, lang, "txt"), context)
        html_name = self._find(name, lang, "html")
        html = self._render(html_name, context) if html_name else None
        return text, html

    def render_subject(self, name: str, lang: str, context: Mapping[str, Any]) -> str | None:
        template = self._find(name, lang, "subject")
        if template is None:
            return None
        return " ".join(self._render(template, context).split())

    def _pick(self, name: str, lang: str, kind: str) -> str:
        found = self._find(name, lang, kind)
        if found is None:
            missing = f"email/{name}.{lang}.{kind}.j2"
            message = translate("ingest.err.template_missing", language_from_env(), name=missing)
            raise ConfigError(message, key="paths.templates")
        return found

    def _find(self, name: str, lang: str, kind: str) -> str | None:
        for language in dict.fromkeys((lang, FALLBACK_LANGUAGE)):
            candidate = f"{name}.{language}.{kind}.j2"
            try:
                self.env.get_template(candidate)
            except TemplateNotFound:
                continue
            return candidate
        return None

    def _render(self, template_name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(template_name).render(**context)
        except TemplateError as exc:
            where = getattr(exc, "lineno", None)
            message = translate("ingest.err.template", language_from_env(), error=exc)
            raise ConfigError(message, file=template_name, line=where) from None
