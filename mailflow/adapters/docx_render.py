"""Rendering letter templates with docxtpl: always autoescaped, values made safe, images placed.

docs/RECIPES.md: without `autoescape=True`, `&` and `<` in user text silently corrupt the document.
docxtpl also rewrites the rendered XML (`{_{` becomes `{{`, `\\f` a page break, `\\a` a new
paragraph), and XML cannot hold most control characters, so every value passes through
`safe_value` first: the text a citizen wrote comes out exactly, newlines as line breaks.
Template bytes and their variable lists are cached per file version (size and mtime), and so is
what docxtpl would otherwise redo for every letter of the same template: the jinja-ready XML of
each part (`patch_xml`) and its compiled jinja template (`from_string`). Only the values change
from one letter to the next, so the rendered bytes are the same as without the caches.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, Template, TemplateError
from markupsafe import Markup, escape

from mailflow.errors import ConfigError

log = logging.getLogger(__name__)

# XML 1.0 allows tab, newline and carriage return among the C0 controls, nothing else
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class LoadedTemplate:
    name: str
    path: Path
    data: bytes
    version: str  # SHA-256 of the file: which template a letter was made from
    variables: frozenset[str]


@dataclass(frozen=True)
class Image:
    data: bytes
    width_mm: float | None = None
    height_mm: float | None = None


@dataclass(frozen=True)
class DocProperties:
    """The DOCX core properties; LibreOffice carries title, subject and keywords into the PDF."""

    title: str
    subject: str
    keywords: str
    identifier: str
    created: datetime
    author: str = "mailflow"
    category: str = ""
    comments: str = ""


def safe_value(value: str) -> Markup:
    """A value docxtpl prints exactly as given (see the module docstring)."""
    text = _ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    escaped = str(escape(text))
    # docxtpl turns "{_{", "}_}", "{_%" and "%_}" of the rendered XML into tags: write the
    # underscore as a character reference there, which reads back as "_"
    escaped = escaped.replace("{_", "{&#95;").replace("}_}", "}&#95;}").replace("%_}", "%&#95;}")
    return Markup(escaped)  # noqa: S704 - escaped just above


def _environment() -> Environment:
    return Environment(autoescape=True)


_CACHE_LIMIT = 512  # parts of templates kept (a template has a handful: body, footers, properties)


class _CompilingEnvironment(Environment):
    """Compiles each distinct source once: docxtpl calls `from_string` for every part of every
    letter, and compiling a letter's XML costs more than rendering it. The source text itself is
    the key, so a changed template (another XML) is compiled anew."""

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = super().from_string(source)
            if len(self._compiled) >= _CACHE_LIMIT:
                self._compiled.clear()
            self._compiled[source] = template
        return template


class _CachedDocxTemplate(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template with `patch_xml` (regular expressions over a part's whole XML) done once
    per distinct XML; the dict is shared by every renderer of the process."""

    _patched: ClassVar[dict[str, str]] = {}

    def patch_xml(self, src_xml: str) -> str:
        patched = self._patched.get(src_xml)
        if patched is None:
            patched = super().patch_xml(src_xml)
            if len(self._patched) >= _CACHE_LIMIT:
                self._patched.clear()
            self._patched[src_xml] = patched
        return patched


class DocxRenderer:
    """Renders the templates of one folder; safe to share between threads."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._cache: dict[str, tuple[tuple[int, int], LoadedTemplate]] = {}
        self._images: dict[Path, tuple[tuple[int, int], bytes]] = {}
        self._lock = threading.Lock()
        self._jinja = _CompilingEnvironment()

    def load(self, name: str) -> LoadedTemplate:
        """The template `name` (e.g. "surat_tanggapan.docx"), read again only when it changed."""
        path = self.templates_dir / name
        try:
            stat = path.stat()
        except OSError as exc:
            raise ConfigError(f"letter template missing: {exc.strerror}", file=str(path)) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == stamp:
                return cached[1]
        data = path.read_bytes()
        template = LoadedTemplate(
            name=name,
            path=path,
            data=data,
            version=hashlib.sha256(data).hexdigest(),
            variables=frozenset(template_variables(data, path)),
        )
        with self._lock:
            self._cache[name] = (stamp, template)
        return template

    def image(self, path: Path) -> bytes:
        """An image file's bytes (the logo), cached while the file stays the same."""
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            with self._lock:
                cached = self._images.get(path)
            if cached and cached[0] == stamp:
                return cached[1]
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"logo image unreadable: {exc.strerror}", file=str(path)) from None
        with self._lock:
            self._images[path] = (stamp, data)
        return data

    def render(
        self,
        name: str,
        context: Mapping[str, str],
        *,
        images: Mapping[str, Image | None],
        properties: DocProperties,
    ) -> tuple[bytes, LoadedTemplate]:
        """The rendered DOCX bytes and the template version they came from."""
        template = self.load(name)
        absent = template.variables - set(context) - set(images)
        if absent:
            log.warning(
                "template %s uses unknown fields (printed empty): %s", name, ", ".join(sorted(absent))
            )
        document = _CachedDocxTemplate(io.BytesIO(template.data))
        values: dict[str, Any] = {key: safe_value(value) for key, value in context.items()}
        for key, image in images.items():
            values[key] = _inline(document, image) if image else ""
        try:
            document.render(values, jinja_env=self._jinja, autoescape=True)
        except TemplateError as exc:
            raise ConfigError(f"cannot render the template: {exc}", file=str(template.path)) from None
        _set_properties(document, properties)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue(), template


def _inline(document: DocxTemplate, image: Image) -> InlineImage:
    width = Mm(image.width_mm) if image.width_mm else None
    height = Mm(image.height_mm) if image.height_mm else None
    return InlineImage(document, io.BytesIO(image.data), width=width, height=height)


def _set_properties(document: DocxTemplate, properties: DocProperties) -> None:
    core = document.docx.core_properties
    core.title = properties.title
    core.subject = properties.subject
    core.keywords = properties.keywords
    core.identifier = properties.identifier
    core.author = properties.author
    core.last_modified_by = properties.author
    core.category = properties.category
    core.comments = properties.comments
    core.created = core.modified = properties.created.astimezone(UTC).replace(tzinfo=None)  # W3CDTF in UTC
    core.revision = 1


def template_variables(data: bytes, path: Path) -> set[str]:
    """The variables a template uses (loop variables excluded); broken templates raise ConfigError."""
    try:
        document = DocxTemplate(io.BytesIO(data))
        return set(document.get_undeclared_template_variables(jinja_env=_environment()))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConfigError(f"not a readable .docx file ({exc})", file=str(path)) from None
    except TemplateError as exc:
        line = getattr(exc, "message", None) or str(exc)
        raise ConfigError(f"template syntax error: {line}", file=str(path)) from None
