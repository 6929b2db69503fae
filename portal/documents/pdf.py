"""The base PDF every document uses: Roboto embedded (fpdf2's core fonts are Latin-1 only, so
"Nguyễn" would fail) and Roboto Mono Bold for codes a reader types, US Letter pages, and QR codes.

Parsing a TrueType font costs about 35 ms a style and subsetting it on output as much again, so
each style is parsed once per process: cut down to the scripts names are written in (Latin with
its extensions, Vietnamese, Greek, Cyrillic) without the layout tables fpdf2 drops anyway, and
every document gets a copy of the parsed font with a fresh glyph subset and its own font tables
(fpdf2 subsets those in place when it writes the file).
"""
from __future__ import annotations

import copy
import io
import logging
import threading
from functools import cache

import font_roboto
import fontpkg_roboto_mono
import qrcode
from fontTools import subset, ttLib
from fontTools.varLib import instancer
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT = 'Roboto'
MONO = 'RobotoMono'  # bold only: quick-pay codes and other things typed from paper
# fontTools logs every glyph it keeps at INFO when fpdf2 subsets a font: pages of noise per document
logging.getLogger('fontTools').setLevel(logging.WARNING)

_FILES = {'': 'Roboto', 'B': 'RobotoBold', 'I': 'RobotoItalic', 'BI': 'RobotoBoldItalic'}
MARGIN = 12.7  # half an inch on every side: inside what office printers and mail vendors print


class DocumentPDF(FPDF):
    """Letter-size page with Roboto registered under every style fpdf2 may ask for, half-inch
    margins, no cell padding (boxes are exactly where the layout puts them) and no automatic
    page breaks: `portal.documents.layout.Flow` decides where pages end."""

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation='portrait', unit='mm', format='letter')
        self.set_font(FONT, size=10)
        self.set_title(title)
        self.set_creator('Settle')
        self.set_auto_page_break(auto=False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.c_margin = 0

    def set_font(self, family: str | None = None, style: str = '', size: float = 0) -> None:
        """Fonts join the document when first used: every font added is subset on output."""
        name = (family or self.font_family or '').lower()
        if name == MONO.lower():
            style = 'B'
        if name in (FONT.lower(), MONO.lower()) and isinstance(style, str):
            key = ''.join(letter for letter in 'BI' if letter in style.upper())
            if f'{name}{key}' not in self.fonts:
                self.fonts[f'{name}{key}'] = _font_for(self, name, key)
        super().set_font(family, style, size)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def qr_png(data: str, *, box_size: int = 4) -> io.BytesIO:
    """A QR code as PNG bytes, ready for `pdf.image(...)`.

    The mask pattern is fixed: every mask is valid and reads the same, and scoring all eight to
    pick one took three quarters of a statement's render time."""
    code = qrcode.QRCode(box_size=box_size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M,
                         mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format='PNG')
    buffer.seek(0)
    return buffer


_UNICODE_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
                   (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))
_DROPPED_TABLES = ['GDEF', 'GPOS', 'GSUB', 'kern', 'hdmx', 'DSIG', 'gasp', 'prep', 'fpgm', 'cvt ']
_parse_lock = threading.Lock()


@cache
def _prepared(family: str, style: str) -> tuple[bytes, TTFFont, tuple[str, ...]]:
    """The cut-down font file and a parsed prototype, once per family, style and process."""
    with _parse_lock:
        mono = family == MONO.lower()
        path = fontpkg_roboto_mono.ROOT / 'files' / 'RobotoMono[wght].ttf' if mono \
            else font_roboto.font_files[_FILES[style]]
        font = ttLib.TTFont(path, recalcTimestamp=False)
        options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[],
                                 name_IDs=['*'], hinting=False)
        options.drop_tables += _DROPPED_TABLES
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=range(0x20, 0x7F) if mono else
                           [code for low, high in _UNICODE_RANGES for code in range(low, high + 1)])
        subsetter.subset(font)
        if mono:  # Roboto Mono ships as a variable font: fix its weight at bold
            font = instancer.instantiateVariableFont(font, {'wght': 700})
        buffer = io.BytesIO()
        font.save(buffer)
        data = buffer.getvalue()
        prototype = TTFFont(FPDF(), io.BytesIO(data), f'{family}{style}', style)
        return data, prototype, tuple(prototype.ttfont.getGlyphOrder())


def _font_for(pdf: FPDF, family: str, style: str) -> TTFFont:
    """A copy of the prototype for one document: shared metrics, its own tables and glyph subset."""
    data, prototype, glyph_order = _prepared(family, style)
    font = copy.copy(prototype)
    font.i = len(pdf.fonts) + 1
    # no bounding-box recalculation on output: it expands and recompiles every glyph kept, for
    # bounds (the whole font's) that are valid as they are
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.ttfont.setGlyphOrder(list(glyph_order))  # known already: deriving it again costs 10 ms a font
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    return font


def prepare_fonts() -> None:
    """Parse every style now (about a second), so the first document of the process is fast too."""
    for style in _FILES:
        _prepared(FONT.lower(), style)
    _prepared(MONO.lower(), 'B')
