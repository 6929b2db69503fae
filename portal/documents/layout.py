"""The document toolkit every PDF uses (statements, receipts, and the estimates to come).

- `wrap` breaks text into lines that fit a width, breaking a word longer than the width between
  characters (never between a letter and its combining marks): text is never cut.
- `text_box` draws wrapped text in a column; `fill_box` fits text into a fixed box (a stub field)
  by shrinking the size until every line fits, never spilling out; `fill_window` sets an address
  in an envelope window, wrapped rather than shrunk below a readable size.
- `portal.documents.flow`: `Flow` runs blocks down the page and onto new pages (boxes never
  overlap; a new page repeats the running header and the open table's headings), and `Table`
  lays out rows of wrapped cells in fixed columns on it.

Units are millimetres from the page's top-left corner; sizes are points.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from fpdf import FPDF

from portal.documents.pdf import FONT

PT = 25.4 / 72  # millimetres per point
FLOOR = 2.0  # the smallest size text is ever set in (points)
INK = (15, 23, 42)
MUTED = (71, 85, 105)
TEAL = (15, 92, 110)
SHADE = (241, 245, 249)
RULE = (203, 213, 225)


@dataclass(frozen=True)
class Style:
    size: float = 9.0
    bold: bool = False
    italic: bool = False
    color: tuple[int, int, int] = INK
    leading: float = 1.3  # line height as a multiple of the size: above 1.2 lines never touch
    family: str = FONT

    @property
    def line(self) -> float:
        """Height of one line in mm."""
        return self.size * self.leading * PT

    def sized(self, size: float) -> Style:
        return replace(self, size=size)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def use(pdf: FPDF, style: Style) -> None:
    if getattr(pdf, 'layout_style', None) is style:  # every text goes through here: skip fpdf2's work
        return
    pdf.set_font(style.family, ('B' if style.bold else '') + ('I' if style.italic else ''), style.size)
    pdf.set_text_color(*style.color)
    pdf.layout_style = style


_widths: dict[tuple[str, str], float] = {}
RIGHT_TO_LEFT = re.compile('[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]')


def _shaped(pdf: FPDF, draw: Callable[[], object]) -> object:
    """Runs `draw` (a measure or a cell) with the right-to-left fonts and HarfBuzz shaping, which
    puts the letters in reading order and joins Arabic ones."""
    style = getattr(pdf, 'layout_style', None)
    pdf.use_scripts()
    pdf.set_text_shaping(True)
    try:
        return draw()
    finally:
        pdf.set_text_shaping(False)
        pdf.layout_style = None  # fpdf2 may have left a fallback font selected: select the style again
        if style is not None:
            use(pdf, style)


def width_of(pdf: FPDF, text: str) -> float:
    """`pdf.get_string_width(text)` for the current font, remembered per font and text: a
    statement measures the same words and amounts over and over, and fpdf2's measuring walks its
    whole text-fragment machinery each time."""
    if RIGHT_TO_LEFT.search(text):
        return _shaped(pdf, lambda: pdf.get_string_width(text))
    font = pdf.current_font
    key = (font.fontkey, text)
    units = _widths.get(key)
    if units is None:
        units = pdf.get_string_width(text) / pdf.font_size_pt * pdf.k
        if len(_widths) > 100_000:
            _widths.clear()
        _widths[key] = units
    else:
        font.biggest_size_pt = max(font.biggest_size_pt, pdf.font_size_pt)
    return units * pdf.font_size_pt / pdf.k


def _graphemes(word: str) -> list[str]:
    """Characters with their combining marks attached: a break never separates them."""
    clusters: list[str] = []
    for char in word:
        if clusters and (unicodedata.combining(char) or char in '\u200d\ufe0f'):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _hyphen_parts(word: str) -> list[str]:
    """The word cut after each bare hyphen: a hyphen carrying a combining mark stays with its mark."""
    parts, current = [], ''
    for cluster in _graphemes(word):
        current += cluster
        if cluster == '-':
            parts.append(current)
            current = ''
    return [*parts, current] if current else parts


def _break_word(pdf: FPDF, word: str, width: float) -> list[str]:
    """A word wider than the line: broken after its hyphens where it can be, else between characters."""
    pieces, current = [], ''
    for part in _hyphen_parts(word):
        if current and width_of(pdf, current + part) <= width:
            current += part
            continue
        if current:
            pieces.append(current)
        current = ''
        for cluster in _graphemes(part):
            if current and width_of(pdf, current + cluster) > width:
                pieces.append(current)
                current = cluster
            else:
                current += cluster
    return [*pieces, current]


def wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Lines of `text` (in the current font) no wider than `width`; every character is kept.

    Greedy by measured word widths: fpdf2's multi_cell re-measures every prefix of a line, which
    made it most of a statement's render time."""
    text = ' '.join(text.split())
    if width_of(pdf, text) <= width:
        return [text]
    space = width_of(pdf, ' ')
    lines: list[str] = []
    current, current_width = '', 0.0
    for word in text.split(' '):
        word_width = width_of(pdf, word)
        if word_width > width:  # a word longer than the line: it gets lines of its own
            if current:
                lines.append(current)
            *full, current = _break_word(pdf, word, width)
            lines.extend(full)
            current_width = width_of(pdf, current)
        elif current and current_width + space + word_width > width:
            lines.append(current)
            current, current_width = word, word_width
        else:
            current, current_width = (f'{current} {word}', current_width + space + word_width) if current \
                else (word, word_width)
    lines.append(current)
    return lines


def lines_of(pdf: FPDF, text: str, width: float, style: Style) -> list[str]:
    use(pdf, style)
    return wrap(pdf, text, width)


def draw_lines(pdf: FPDF, lines: Sequence[str], x: float, y: float, width: float, style: Style,
               align: str = 'L') -> float:
    """Draws lines measured with `style`; returns the height used. The baseline sits where fpdf2's
    cell() puts it; plain text() is used because cell() costs five times as much."""
    for number, line in enumerate(lines):
        use(pdf, style)
        top = y + number * style.line
        if pdf.str_alias_nb_pages in line or RIGHT_TO_LEFT.search(line):  # only cell() fills in the page
            pdf.set_xy(x, top)                                                 # count, or shapes text
            if RIGHT_TO_LEFT.search(line):
                _shaped(pdf, lambda line=line: pdf.cell(width, style.line, line, align=align))
            else:  # aligned as if the page count had as many digits as this page's number
                shown = width_of(pdf, line.replace(pdf.str_alias_nb_pages, str(pdf.page_no())))
                offset = 0.0 if align == 'L' else (width - shown) / (2 if align == 'C' else 1)
                pdf.set_x(x + offset)
                pdf.cell(shown, style.line, line)
            continue
        offset = 0.0 if align == 'L' else width - width_of(pdf, line)
        pdf.text(x + (offset / 2 if align == 'C' else offset), top + 0.5 * style.line + 0.3 * pdf.font_size, line)
    return len(lines) * style.line


def text_box(pdf: FPDF, x: float, y: float, width: float, text: str, style: Style, align: str = 'L') -> float:
    """Wrapped text from (x, y) in a column `width` wide; returns the height used."""
    return draw_lines(pdf, lines_of(pdf, text, width, style), x, y, width, style, align)


def text_height(pdf: FPDF, text: str, width: float, style: Style) -> float:
    return len(lines_of(pdf, text, width, style)) * style.line


def fitted(pdf: FPDF, paragraphs: Sequence[str], box: Box, style: Style, *, min_size: float = 5.0,
           one_line: bool = False) -> tuple[Style, list[str]]:
    """The largest size up to `style.size` at which the paragraphs fit the box, each on one line
    (`one_line`, down to `min_size`) or wrapped. Text that fits no other way is set smaller than
    `min_size` rather than cut or spilled over its neighbours (a box is a window or a stub field)."""
    sizes = [style.size - step * 0.5 for step in range(int((style.size - FLOOR) / 0.5) + 1)]
    if one_line:
        for size in (size for size in sizes if size >= min_size):
            current = style.sized(size)
            use(pdf, current)
            if len(paragraphs) * current.line <= box.h + 0.01 and \
                    all(width_of(pdf, line) <= box.w for line in paragraphs):
                return current, list(paragraphs)
    for size in sizes:
        current = style.sized(size)
        use(pdf, current)
        lines = [line for paragraph in paragraphs for line in wrap(pdf, paragraph, box.w)]
        if len(lines) * current.line <= box.h + 0.01:
            return current, lines
    return current, lines


def fill_box(pdf: FPDF, box: Box, paragraphs: Sequence[str], style: Style, *, align: str = 'L',
             min_size: float = 5.0, one_line: bool = False) -> float:
    """Text fitted into a fixed box (see `fitted`); returns the height used."""
    current, lines = fitted(pdf, [p for p in paragraphs if p], box, style, min_size=min_size, one_line=one_line)
    return draw_lines(pdf, lines, box.x, box.y, box.w, current, align)


def fill_window(pdf: FPDF, box: Box, paragraphs: Sequence[str], style: Style, *, floor: float = 8.0,
                top: float | None = None) -> float:
    """An address set in an envelope window `box`: each paragraph (line of the address) on one line
    at the largest size from `style.size` down to `floor` points, else wrapped at the largest size
    not below `floor` at which the whole address fits the window.

    An address too long for the window even wrapped at `floor` keeps `floor` and sits on the
    window's foot. USPS reads an address from the bottom up (the city, state and ZIP line, then the
    delivery line above it), so those lines show in the window, and the first lines (the start of
    the name) continue above it on the sheet: printed whole, hidden by the envelope and read when it
    is opened. They never rise above `top` (mm; default: the window's top); only an address that
    does not fit even there is set below `floor`, as a last resort: text is never cut.
    Returns the height used (mm)."""
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    current, lines = fitted(pdf, paragraphs, box, style, min_size=floor, one_line=True)
    if current.size >= floor:
        return draw_lines(pdf, lines, box.x, box.y, box.w, current)
    top = box.y if top is None else top
    current, lines = fitted(pdf, paragraphs, Box(box.x, top, box.w, box.bottom - top), style.sized(floor))
    height = len(lines) * current.line
    return draw_lines(pdf, lines, box.x, max(top, box.bottom - height), box.w, current)
