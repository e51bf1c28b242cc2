"""The weekly heat map as a PNG drawn with Pillow, read back pixel by pixel: its size, every
cell's colour on the compliance scale, the white rules between cells, the empty cells, the
figures' colours, and the labels (row labels, week labels, panel titles, footnote) drawn where
the layout puts them."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mailflow.adapters.chart import Panel, cell_colour, render_heatmaps, text_colour

COLUMNS = ["19/10", "26/10", "02/11"]
STEPS = Panel(
    title="Per langkah SOP (% tepat waktu)",
    rows=["1. Menerima, mengidentifikasi…", "2. Memeriksa aduan", "3. Melaporkan aduan"],
    values=[[1.0, 0.92, None], [0.0, 0.6, 0.8], [0.5, 0.95, 0.3]],
)
OPDS = Panel(title="Per OPD, langkah 5–9 (% tepat waktu)", rows=["Dinkes", "Satpol PP"],
             values=[[None, None, 0.97], [0.75, 1.0, 0.1]])  # fmt: skip
LEGEND = "Kolom = minggu (tanggal hari Senin). Angka = % langkah selesai tepat waktu; kosong = tidak ada."
DPI = 200
LEFT, RIGHT = round(2.45 * DPI), round((6.24 - 0.06) * DPI)
ROW, HEAD = 0.29 * DPI, 0.56 * DPI


def draw(tmp_path: Path, panels: list[Panel], footnote: str = LEGEND) -> Image.Image:
    path = render_heatmaps(tmp_path / "grafik.png", COLUMNS, panels, footnote=footnote)
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, then renamed
    image = Image.open(path)
    assert image.format == "PNG"
    return image.convert("RGB")


def cell_box(panel_top: float, row: int, column: int) -> tuple[float, float, float, float]:
    width = (RIGHT - LEFT) / len(COLUMNS)
    top = panel_top + HEAD + row * ROW
    return LEFT + column * width, top, LEFT + (column + 1) * width, top + ROW


def test_scale_matches_the_old_colour_map() -> None:
    # The stops of the matplotlib colour map the chart used: red, orange, yellow, green, dark green.
    assert cell_colour(0.0) == (0xC0, 0x39, 0x2B)
    assert cell_colour(0.6) == (0xE6, 0x7E, 0x22)
    assert cell_colour(0.8) == (0xF1, 0xC4, 0x0F)
    assert cell_colour(0.95) == (0x7D, 0xBB, 0x5B)
    assert cell_colour(1.0) == (0x2E, 0x8B, 0x57)
    assert cell_colour(0.3) == (0xD3, 0x5C, 0x26)  # halfway between red and orange
    assert cell_colour(None) == (0xF3, 0xF4, 0xF6)
    assert cell_colour(1.3) == cell_colour(1.0)
    assert text_colour(0.3) == text_colour(1.0) == "#ffffff"
    assert text_colour(0.9) == "#1f2937"


def test_cells_colours_rules_and_figures(tmp_path: Path) -> None:
    image = draw(tmp_path, [STEPS, OPDS])
    # 6.24 in wide at 200 dpi; two panels of 3 and 2 rows, their heads, the margin and the note.
    assert image.size == (1248, round((5 * 0.29 + 2 * 0.56 + 0.12 + 0.32) * DPI))
    second = HEAD + 3 * ROW  # top of the second panel
    for top, panel in ((0.0, STEPS), (second, OPDS)):
        for r, row in enumerate(panel.values):
            for c, value in enumerate(row):
                x0, y0, x1, y1 = cell_box(top, r, c)
                # Near the corner: inside the cell, clear of its figure and of the white rule.
                assert image.getpixel((int(x0) + 8, int(y0) + 8)) == cell_colour(value), (panel.title, r, c)
                figure = image.crop((int(x0) + 8, int(y0) + 8, int(x1) - 8, int(y1) - 8)).getcolors(10_000)
                assert figure is not None
                colours = {colour for _count, colour in figure}
                if value is None:
                    assert colours == {cell_colour(None)}  # an empty cell has no figure
                else:
                    ink = (255, 255, 255) if text_colour(value) == "#ffffff" else (0x1F, 0x29, 0x37)
                    assert ink in colours, (panel.title, r, c)  # the figure, in its colour
    # The white rule between two cells, and none on the grid's outer edge.
    x0, y0, x1, y1 = cell_box(0.0, 0, 0)
    assert image.getpixel((int(x1), int(y0) + 20)) == (255, 255, 255)
    assert image.getpixel((int(x0) + 20, int(y1))) == (255, 255, 255)
    assert image.getpixel((LEFT, int(y0) + 20)) == cell_colour(1.0)
    assert image.getpixel((RIGHT - 1, int(y0) + 20)) == cell_colour(None)


def dark(image: Image.Image, box: tuple[float, float, float, float]) -> int:
    """How many pixels of text (dark grey or darker) lie in `box`."""
    region = image.crop(tuple(int(v) for v in box)).convert("L")
    return sum(region.histogram()[:160])


def test_labels_titles_and_note_are_drawn(tmp_path: Path) -> None:
    image = draw(tmp_path, [STEPS, OPDS])
    for r in range(3):  # each row label, right-aligned against the grid
        _x0, y0, _x1, y1 = cell_box(0.0, r, 0)
        assert dark(image, (LEFT - 120, y0 + 5, LEFT - 4, y1 - 5)) > 50, r
        assert dark(image, (0, y0 + 5, 20, y1 - 5)) == 0  # short labels do not reach the far left
    for c in range(3):  # the week labels above each column
        x0, y0, x1, _y1 = cell_box(0.0, 0, c)
        assert dark(image, (x0 + 10, y0 - 30, x1 - 10, y0 - 2)) > 30, c
    assert dark(image, (LEFT, 10, LEFT + 400, HEAD - 40)) > 300  # the bold title
    assert dark(image, (LEFT + 600, 10, RIGHT, HEAD - 40)) == 0
    foot = image.crop((0, image.height - round(0.32 * DPI), image.width, image.height)).getcolors(10_000)
    assert foot is not None and (0x6B, 0x72, 0x80) in {colour for _n, colour in foot}  # the grey note


def test_empty_panel_and_long_note(tmp_path: Path) -> None:
    empty = Panel(title="Per OPD, langkah 5–9 (% tepat waktu)", rows=[], values=[])
    note = " ".join([LEGEND] * 3)  # wraps over three lines: the picture grows to hold them
    image = draw(tmp_path, [empty], footnote=note)
    assert image.size == (1248, round((0.29 + 0.56 + 0.12 + 0.14 * 2 + 0.32) * DPI))
    for c in range(3):
        x0, y0, _x1, _y1 = cell_box(0.0, 0, c)
        assert image.getpixel((int(x0) + 8, int(y0) + 8)) == cell_colour(None)
    without = draw(tmp_path, [STEPS], footnote="")
    assert without.size == (1248, round((3 * 0.29 + 0.56 + 0.12) * DPI))
