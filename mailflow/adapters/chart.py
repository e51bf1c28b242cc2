"""Charts as PNG with matplotlib (Agg, no display, no pyplot state): the weekly compliance heatmaps.

Each panel is a grid of rows (SOP steps, or OPDs) by columns (weeks); a cell's colour and figure
show the on-time share, an empty cell means nothing finished there. Built on a private Figure
object, so concurrent renders in threads do not share global state.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from mailflow.errors import StorageError

# Red below ~60 %, amber around 80 %, green from ~95 %: the eye goes to the problems.
_CMAP = LinearSegmentedColormap.from_list(
    "compliance", [(0.0, "#c0392b"), (0.6, "#e67e22"), (0.8, "#f1c40f"), (0.95, "#7dbb5b"), (1.0, "#2e8b57")]
)
_EMPTY = "#f3f4f6"
_TEXT = "#1f2937"
_MUTED = "#6b7280"
_WIDTH_IN = 6.24  # shown 624 px wide in the email: the 200-dpi PNG is a sharp 2x image
_LABELS_IN = 2.45  # room for the row labels on the left
_ROW_IN = 0.29
_HEAD_IN = 0.56  # panel title and week labels above each grid
_FOOT_IN = 0.32
_DPI = 200


@dataclass(frozen=True)
class Panel:
    title: str
    rows: Sequence[str]  # row labels, top to bottom
    values: Sequence[Sequence[float | None]]  # one list per row, one share (0..1) per column


def render_heatmaps(
    path: Path, columns: Sequence[str], panels: Sequence[Panel], *, footnote: str = "", dpi: int = _DPI
) -> Path:
    """Draw the panels one above the other into a PNG at `path`."""
    grids = [max(1, len(p.rows)) * _ROW_IN for p in panels]
    note = textwrap.fill(footnote, width=105) if footnote else ""
    foot = (0.14 * note.count("\n") + _FOOT_IN) if note else 0
    total = sum(grids) + _HEAD_IN * len(panels) + 0.12 + foot
    figure = Figure(figsize=(_WIDTH_IN, total), dpi=dpi, facecolor="white")
    left, width = _LABELS_IN / _WIDTH_IN, (_WIDTH_IN - _LABELS_IN - 0.06) / _WIDTH_IN
    top = total
    for panel, grid in zip(panels, grids, strict=True):
        top -= _HEAD_IN
        axes = figure.add_axes((left, (top - grid) / total, width, grid / total))
        _draw(axes, panel, columns)
        top -= grid
    if note:
        figure.text(0.01, 0.08 / total, note, fontsize=7.5, color=_MUTED, ha="left", va="bottom")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        figure.savefig(temp, format="png", dpi=dpi, facecolor="white")
        temp.replace(path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc
    return path


def _draw(ax: Axes, panel: Panel, columns: Sequence[str]) -> None:
    nan = float("nan")
    grid = [[nan if v is None else v for v in row] for row in panel.values] or [[nan] * len(columns)]
    ax.set_facecolor(_EMPTY)
    ax.imshow(grid, cmap=_CMAP, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    for r, row in enumerate(panel.values):
        for c, value in enumerate(row):
            if value is not None:
                colour = "white" if value < 0.55 or value > 0.97 else _TEXT
                ax.text(c, r, f"{round(value * 100)}", ha="center", va="center", fontsize=8, color=colour)
    labels = list(panel.rows) or [""]
    ax.set_xticks(range(len(columns)), labels=list(columns), fontsize=8, color=_TEXT)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=8.5, color=_TEXT)
    ax.xaxis.tick_top()
    ax.set_xticks([x - 0.5 for x in range(1, len(columns))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(labels))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="both", length=0, pad=3)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(panel.title, fontsize=9.5, color=_TEXT, loc="left", pad=16, fontweight="bold")
