"""Charts as PNG drawn with Pillow: the weekly compliance heatmaps.

Each panel is a grid of rows (SOP steps, or OPDs) by columns (weeks); a cell's colour and figure
show the on-time share, an empty cell means nothing finished there. The picture is a few filled
rectangles and text, so it is drawn directly: matplotlib's figure pipeline (layout, artists,
Agg) cost 0.5 s per chart, four times the reading of a year's step events, for the same cells,
colours and labels. The layout keeps matplotlib's measures (inches at 200 dpi, sizes in points)
so the email looks as before. Text is DejaVu Sans, shipped with the package (a Latin subset,
mailflow/data/fonts), so the chart does not depend on the fonts installed on the server.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mailflow.errors import StorageError

# Red below ~60 %, amber around 80 %, green from ~95 %: the eye goes to the problems.
_STOPS = ((0.0, "#c0392b"), (0.6, "#e67e22"), (0.8, "#f1c40f"), (0.95, "#7dbb5b"), (1.0, "#2e8b57"))
_EMPTY = "#f3f4f6"
_TEXT = "#1f2937"
_MUTED = "#6b7280"
_WHITE = "#ffffff"
_WIDTH_IN = 6.24  # shown 624 px wide in the email: the 200-dpi PNG is a sharp 2x image
_LABELS_IN = 2.45  # room for the row labels on the left
_ROW_IN = 0.29
_HEAD_IN = 0.56  # panel title and week labels above each grid
_FOOT_IN = 0.32
_DPI = 200
_GRID_PT = 1.5  # white rule between cells
_TICK_PAD_PT = 3  # between labels and the grid
_TITLE_PAD_PT = 16  # between the panel title and the grid
_FONTS = files("mailflow") / "data" / "fonts"


@dataclass(frozen=True)
class Panel:
    title: str
    rows: Sequence[str]  # row labels, top to bottom
    values: Sequence[Sequence[float | None]]  # one list per row, one share (0..1) per column


def cell_colour(value: float | None) -> tuple[int, int, int]:
    """The fill of a cell: the empty grey, or the colour scale at `value` (clamped to 0..1)."""
    if value is None:
        return _rgb(_EMPTY)
    value = min(1.0, max(0.0, value))
    for (low, low_hex), (high, high_hex) in pairwise(_STOPS):
        if value <= high:
            part = (value - low) / (high - low)
            a, b = _rgb(low_hex), _rgb(high_hex)
            return (
                round(a[0] + (b[0] - a[0]) * part),
                round(a[1] + (b[1] - a[1]) * part),
                round(a[2] + (b[2] - a[2]) * part),
            )
    return _rgb(_STOPS[-1][1])


def text_colour(value: float) -> str:
    """White figures on the dark ends of the scale, dark ones on the light middle."""
    return _WHITE if value < 0.55 or value > 0.97 else _TEXT


def render_heatmaps(
    path: Path, columns: Sequence[str], panels: Sequence[Panel], *, footnote: str = "", dpi: int = _DPI
) -> Path:
    """Draw the panels one above the other into a PNG at `path`."""
    grids = [max(1, len(p.rows)) * _ROW_IN for p in panels]
    note = textwrap.fill(footnote, width=105) if footnote else ""
    foot = (0.14 * note.count("\n") + _FOOT_IN) if note else 0
    total = sum(grids) + _HEAD_IN * len(panels) + 0.12 + foot

    def px(inches: float) -> int:
        return round(inches * dpi)

    def pt(points: float) -> float:
        return points * dpi / 72

    image = Image.new("RGB", (px(_WIDTH_IN), px(total)), _WHITE)
    draw = ImageDraw.Draw(image)
    left, right = px(_LABELS_IN), px(_WIDTH_IN - 0.06)
    top = 0.0
    for panel, grid in zip(panels, grids, strict=True):
        top += _HEAD_IN
        _draw_panel(draw, panel, columns, (left, px(top), right, px(top + grid)), pt)
        top += grid
    if note:
        draw.multiline_text(
            (px(0.01 * _WIDTH_IN), px(total - 0.08)),
            note,
            font=_font(pt(7.5)),
            fill=_MUTED,
            anchor="ld",
            spacing=round(pt(7.5) * 0.2),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        # Level 3 of zlib: a few percent larger than the default 6, and several times faster on
        # these large flat areas.
        image.save(temp, format="PNG", compress_level=3, dpi=(dpi, dpi))
        temp.replace(path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


def _draw_panel(
    draw: ImageDraw.ImageDraw,
    panel: Panel,
    columns: Sequence[str],
    box: tuple[int, int, int, int],
    pt: Callable[[float], float],
) -> None:
    x0, y0, x1, y1 = box
    labels = list(panel.rows) or [""]
    values = [list(row) for row in panel.values] or [[None] * len(columns)]
    width = max(1, len(columns))
    cell_w, cell_h = (x1 - x0) / width, (y1 - y0) / len(labels)
    half = pt(_GRID_PT) / 2
    number_font, label_font = _font(pt(8)), _font(pt(8.5))
    for r, row in enumerate(values):
        top, bottom = y0 + r * cell_h, y0 + (r + 1) * cell_h
        for c in range(width):
            value = row[c] if c < len(row) else None
            lo, hi = x0 + c * cell_w, x0 + (c + 1) * cell_w
            # The white rule runs between cells only, as matplotlib's minor grid did.
            rect = (
                round(lo + (half if c else 0)),
                round(top + (half if r else 0)),
                round(hi - (half if c < width - 1 else 0)) - 1,
                round(bottom - (half if r < len(labels) - 1 else 0)) - 1,
            )
            draw.rectangle(rect, fill=cell_colour(value))
            if value is not None:
                draw.text(
                    ((lo + hi) / 2, (top + bottom) / 2),
                    f"{round(value * 100)}",
                    font=number_font,
                    fill=text_colour(value),
                    anchor="mm",
                )
    pad = pt(_TICK_PAD_PT)
    for r, label in enumerate(labels):
        draw.text((x0 - pad, y0 + (r + 0.5) * cell_h), label, font=label_font, fill=_TEXT, anchor="rm")
    for c, column in enumerate(columns):
        draw.text((x0 + (c + 0.5) * cell_w, y0 - pad), column, font=number_font, fill=_TEXT, anchor="md")
    title_font = _font(pt(9.5), bold=True)
    draw.text((x0, y0 - pt(_TITLE_PAD_PT)), panel.title, font=title_font, fill=_TEXT, anchor="ld")


@cache
def _font(size: float, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    # Read as bytes: package data need not be a file on disk (a zipped install)
    return ImageFont.truetype(io.BytesIO((_FONTS / name).read_bytes()), size=size)


@cache
def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
