"""Printable sheets of invitation QR codes: A4 pages at 150 dpi, a grid of cells with cut
lines, each cell a QR code of one deep link with the office, the role and a short reference
beside it. A pure function of a JSON-able spec whose words are already written (in Chinese),
so the outbox can keep the spec and draw it when it sends, in a worker thread.

Drawn with Pillow; the codes come from `qrcode`; the text is Noto Sans CJK SC (SIL OFL, from
the `mplfonts` wheel, as for the statistics picture).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont

DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 (210 x 297 mm) at 150 dpi
MARGIN = 60  # 10 mm: inside what any printer can print
HEADER = 70
FOOTER = 56
COLUMNS, ROWS = 2, 6
PER_PAGE = COLUMNS * ROWS
PADDING = 18
QUIET_MODULES = 2  # beside the white padding of the cell, enough for any phone camera
INK, GREY, CUT = 0, 90, 160
PDF_QUALITY = 95  # Pillow stores greyscale pages as JPEG: keep the QR edges sharp
_lock = threading.Lock()  # one drawing at a time: the fonts are shared between threads


def page_count(cells: int) -> int:
    return max(1, -(-cells // PER_PAGE))


def render(spec: dict[str, Any]) -> bytes:
    """The PNG of one page (the outbox's renderer: see `handlers/invite.py`)."""
    out = io.BytesIO()
    draw_page(spec).save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def render_pdf(pages: Sequence[dict[str, Any]]) -> bytes:
    """One PDF of every page, for printing in one go."""
    images = [draw_page(page) for page in pages]
    out = io.BytesIO()
    images[0].save(
        out,
        format="PDF",
        save_all=True,
        append_images=images[1:],
        resolution=float(DPI),
        quality=PDF_QUALITY,
    )
    return out.getvalue()


def draw_page(spec: dict[str, Any]) -> Image.Image:
    """A greyscale A4 page: the title, the grid of cells, the footer."""
    cells: list[dict[str, Any]] = spec["cells"]
    if not 1 <= len(cells) <= PER_PAGE:
        raise ValueError(f"a page holds 1 to {PER_PAGE} codes, not {len(cells)}")
    with _lock:
        page = Image.new("L", PAGE_SIZE, 255)
        draw = ImageDraw.Draw(page)
        width, height = PAGE_SIZE
        _text_fit(draw, (MARGIN, MARGIN), spec["title"], width - 2 * MARGIN - 200, 30, INK)
        page_label = str(spec.get("page", ""))
        if page_label:
            size = _font(22).getlength(page_label)
            draw.text((width - MARGIN - size, MARGIN + 6), page_label, font=_font(22), fill=GREY)
        top = MARGIN + HEADER
        bottom = height - MARGIN - FOOTER
        cell_w = (width - 2 * MARGIN) // COLUMNS
        cell_h = (bottom - top) // ROWS
        for index, cell in enumerate(cells):
            row, column = divmod(index, COLUMNS)
            _cell(page, draw, (MARGIN + column * cell_w, top + row * cell_h), cell_w, cell_h, cell)
        _cut_lines(draw, top, cell_w, cell_h, rows=-(-len(cells) // COLUMNS))
        _text_fit(
            draw, (MARGIN, height - MARGIN - FOOTER + 18), spec["footer"], width - 2 * MARGIN, 20
        )
        return page


def qr_modules(text: str) -> list[list[bool]]:
    """The dark and light modules of the smallest QR code (15% error correction) for `text`,
    without its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def _cell(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    width: int,
    height: int,
    cell: dict[str, Any],
) -> None:
    x, y = origin
    side = height - 2 * PADDING
    modules = qr_modules(cell["link"])
    scale = side // (len(modules) + 2 * QUIET_MODULES)
    code_side = scale * len(modules)
    code_x = x + PADDING + (side - code_side) // 2
    code_y = y + PADDING + (side - code_side) // 2
    page.paste(_qr_image(modules, scale), (code_x, code_y))
    text_x = x + PADDING + side + 12
    text_w = width - (text_x - x) - PADDING
    line_y = y + PADDING + 14
    line_y = _text_fit(draw, (text_x, line_y), cell["place"], text_w, 30, INK, lines=2) + 10
    line_y = _text_fit(draw, (text_x, line_y), cell["role"], text_w, 26, INK, lines=2) + 18
    for detail in cell.get("details", []):
        line_y = _text_fit(draw, (text_x, line_y), detail, text_w, 19, GREY) + 6


def _qr_image(modules: list[list[bool]], scale: int) -> Image.Image:
    """The modules as black squares of `scale` pixels: exact, no resampling blur."""
    size = len(modules)
    small = Image.new("L", (size, size), 255)
    small.putdata([INK if dark else 255 for row in modules for dark in row])
    return small.resize((size * scale, size * scale), Image.Resampling.NEAREST)


def _cut_lines(draw: ImageDraw.ImageDraw, top: int, cell_w: int, cell_h: int, rows: int) -> None:
    """Dashed lines around every cell of the used rows, to cut the slips apart."""
    left, right = MARGIN, MARGIN + COLUMNS * cell_w
    bottom = top + rows * cell_h
    for row in range(rows + 1):
        _dashed(draw, (left, top + row * cell_h), (right, top + row * cell_h))
    for column in range(COLUMNS + 1):
        _dashed(draw, (left + column * cell_w, top), (left + column * cell_w, bottom))


def _dashed(
    draw: ImageDraw.ImageDraw, start: tuple[int, int], end: tuple[int, int], dash: int = 12
) -> None:
    (x0, y0), (x1, y1) = start, end
    length = max(abs(x1 - x0), abs(y1 - y0))
    for offset in range(0, length, 2 * dash):
        stop = min(offset + dash, length)
        if y0 == y1:
            draw.line([(x0 + offset, y0), (x0 + stop, y0)], fill=CUT, width=1)
        else:
            draw.line([(x0, y0 + offset), (x0, y0 + stop)], fill=CUT, width=1)


def _text_fit(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    text: str,
    width: int,
    size: int,
    fill: int = GREY,
    lines: int = 1,
) -> int:
    """Write `text` within `width` on at most `lines` lines, broken anywhere (Chinese has
    no spaces) and ended with "…" when it does not fit; returns the y below it."""
    font = _font(size)
    x, y = origin
    remaining = text.strip()
    for line in range(lines):
        if not remaining:
            break
        fits = _fitting(font, remaining, width)
        shown, remaining = remaining[:fits], remaining[fits:].lstrip()
        if remaining and line == lines - 1:
            shown = _shortened(font, shown, width)
        draw.text((x, y), shown, font=font, fill=fill)
        y += round(size * 1.3)
    return y


def _fitting(font: ImageFont.FreeTypeFont, text: str, width: int) -> int:
    """How many leading characters of `text` fit in `width` (at least one)."""
    count = len(text)
    while count > 1 and font.getlength(text[:count]) > width:
        count -= 1
    return count


def _shortened(font: ImageFont.FreeTypeFont, text: str, width: int) -> str:
    """`text` cut to fit in `width` with "…" at its end."""
    count = len(text)
    while count > 1 and font.getlength(text[:count] + "…") > width:
        count -= 1
    return text[:count].rstrip() + "…"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    from models.chart import font_path  # the font's path; matplotlib loads in this thread

    return ImageFont.truetype(str(font_path()), size)
