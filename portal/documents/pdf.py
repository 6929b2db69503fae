"""The base PDF every document uses: Roboto embedded (fpdf2's core fonts are Latin-1 only, so
"Nguyễn" would fail) and Roboto Mono Bold for codes a reader types, US Letter pages, and QR codes.

Parsing a TrueType font costs about 35 ms a style and subsetting it on output as much again, so
each style is parsed once per process: cut down to the scripts names are written in (Latin with
its extensions, Vietnamese, Greek, Cyrillic) without the layout tables fpdf2 drops anyway, and
every document gets a copy of the parsed font with a fresh glyph subset and its own font tables.

Subsetting a face for each document (fontTools' per-table work and the file saved again) was two
thirds of a one-page statement's render time, so each face is also cut once per process into fixed
cuts (`CUTS`: ASCII with typographic punctuation, then the common characters: Latin-1, dashes,
quotes, the euro; for Roboto Mono the characters of quick-pay codes, then ASCII). A document whose
glyphs in a face all lie in one of its cuts, as nearly all do, embeds the smallest such cut whole,
compressed once (`_Output`); only a face with other glyphs (a Vietnamese name) is subset by fpdf2
for the document, from the whole face. A cut is a few kilobytes larger than a per-document subset.
"""
from __future__ import annotations

import copy
import io
import logging
import threading
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import font_roboto
import fontpkg_heebo
import fontpkg_noto_sans_arabic
import fontpkg_roboto_mono
import qrcode
import uharfbuzz
from fontTools import subset, ttLib
from fontTools.varLib import instancer
from fpdf import FPDF
from fpdf.fonts import HarfBuzzFont, SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, _build_cmap_blocks, _tt_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream
from PIL import Image

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

    def use_scripts(self) -> None:
        """Fonts for right-to-left names join the document (once): fpdf2 falls back to them for
        the letters Roboto lacks; text using them is drawn with HarfBuzz shaping on."""
        if getattr(self, 'shaping_fonts', False):
            return
        self.shaping_fonts = True
        for font in self.fonts.values():
            _give_harfbuzz(font)
        for family in SCRIPT_FONTS:
            self.fonts[family] = _font_for(self, family, '')
        self.set_fallback_fonts(list(SCRIPT_FONTS), exact_match=False)

    def output_bytes(self) -> bytes:
        """The PDF file: each Roboto face embeds a fixed cut where it can (see `_Output`)."""
        return bytes(self.output(output_producer_class=_Output))


def qr_image(data: str, *, box_size: int = 4) -> Image.Image:
    """A QR code as a black-and-white image, `box_size` pixels a module, ready for `pdf.image(...)`.

    The mask pattern is fixed: every mask is valid and reads the same, and scoring all eight to
    pick one took three quarters of a statement's render time. The pixels are the ones qrcode's
    own image has, made from its module matrix in one step: drawing each module as a rectangle
    and a PNG written and read back cost twice as much."""
    code = qrcode.QRCode(box_size=box_size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M,
                         mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()  # with the border
    size = len(matrix)
    modules = Image.frombytes('L', (size, size), bytes(0 if dark else 255 for row in matrix for dark in row))
    return modules.resize((size * box_size, size * box_size), Image.Resampling.NEAREST).convert('1')


_UNICODE_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
                   (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))
_DROPPED_TABLES = ['GDEF', 'GPOS', 'GSUB', 'kern', 'hdmx', 'DSIG', 'gasp', 'prep', 'fpgm', 'cvt ']
_parse_lock = threading.Lock()
_FAMILY_STYLE: dict[str, tuple[str, str]] = {}  # fpdf2's font key -> the family and style it was made from


# fallback fonts for names in right-to-left scripts (Roboto has neither), shaped by HarfBuzz
SCRIPT_FONTS = {'heebo': (fontpkg_heebo.ROOT / 'files' / 'Heebo[wght].ttf', {'wght': 400}, ((0x591, 0x5F4),)),
                # the letters only: HarfBuzz reaches their joined forms through the font's own tables
                'notoarabic': (fontpkg_noto_sans_arabic.ROOT / 'files' / 'NotoSansArabic[wdth,wght].ttf',
                               {'wght': 400, 'wdth': 100}, ((0x600, 0x6FF),))}


def _source(family: str, style: str) -> tuple[Path, dict[str, float] | None, list[int], bool]:
    """Where a face comes from: its file, the instance of a variable font, the characters kept and
    whether its layout tables are kept (HarfBuzz needs them to join Arabic letters)."""
    if family == MONO.lower():  # Roboto Mono ships as a variable font: fixed at bold
        return fontpkg_roboto_mono.ROOT / 'files' / 'RobotoMono[wght].ttf', {'wght': 700}, list(range(0x20, 0x7F)), \
            False
    if family in SCRIPT_FONTS:
        path, axes, ranges = SCRIPT_FONTS[family]
        return path, axes, [*range(0x20, 0x7F), *(code for low, high in ranges for code in range(low, high + 1))], True
    return Path(font_roboto.font_files[_FILES[style]]), None, \
        [code for low, high in _UNICODE_RANGES for code in range(low, high + 1)], False


@cache
def _prepared(family: str, style: str) -> tuple[bytes, TTFFont, tuple[str, ...]]:
    """The cut-down font file and a parsed prototype, once per family, style and process."""
    with _parse_lock:
        path, axes, unicodes, layout = _source(family, style)
        font = ttLib.TTFont(path, recalcTimestamp=False)
        options = subset.Options(notdef_outline=True, recommended_glyphs=True,
                                 **({} if layout else {'layout_features': []}), name_IDs=['*'], hinting=False)
        options.drop_tables += [table for table in _DROPPED_TABLES if not layout or table not in ('GDEF', 'GPOS',
                                                                                                   'GSUB')]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        if axes:
            instancer.instantiateVariableFont(font, axes, inplace=True)
        if layout:  # a fallback sits on Roboto's line: its taller ascent and descent would claim
            _roboto_line(font)  # the lines above and below (readers select and extract by them)
        buffer = io.BytesIO()
        font.save(buffer)
        data = buffer.getvalue()
        prototype = TTFFont(FPDF(), io.BytesIO(data), f'{family}{style}', style)
        _FAMILY_STYLE[f'{family}{style}'] = (family, style)
        return data, prototype, tuple(prototype.ttfont.getGlyphOrder())


def _roboto_line(font: ttLib.TTFont) -> None:
    roboto = ttLib.TTFont(font_roboto.font_files['Roboto'], lazy=True)
    scale = font['head'].unitsPerEm / roboto['head'].unitsPerEm
    font['hhea'].ascent = round(roboto['hhea'].ascent * scale)
    font['hhea'].descent = round(roboto['hhea'].descent * scale)


def _font_for(pdf: FPDF, family: str, style: str) -> TTFFont:
    """A copy of the prototype for one document: shared metrics, its own tables and glyph subset."""
    data, prototype, glyph_order = _prepared(family, style)
    font = copy.copy(prototype)
    font.i = len(pdf.fonts) + 1
    # its own descriptor: fpdf2 numbers it and sets the document's font file on it when writing
    font.desc = copy.copy(prototype.desc)
    # no bounding-box recalculation on output: it expands and recompiles every glyph kept, for
    # bounds (the whole font's) that are valid as they are
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.ttfont.setGlyphOrder(list(glyph_order))  # known already: deriving it again costs 10 ms a font
    font.subset = SubsetMap(font)
    if getattr(pdf, 'shaping_fonts', False):
        _give_harfbuzz(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    return font


# The fixed cuts of each face, smallest first (see the module's docstring). ASCII with the
# typographic punctuation documents print (en and em dashes, quotes, the middle dot, bullet,
# ellipsis); then what nearly every US statement and receipt is written in: Latin-1 (Spanish,
# French and German names) too, and the euro. Roboto Mono prints quick-pay codes: digits, capitals
# and the spaces between their groups.
_PUNCTUATION = ((0xA0, 0xA0), (0xB7, 0xB7), (0x2013, 0x2014), (0x2018, 0x201D), (0x2022, 0x2022), (0x2026, 0x2026))
_ASCII = ((0x20, 0x7E),)
CUTS = {FONT.lower(): ((*_ASCII, *_PUNCTUATION), (*_ASCII, (0xA0, 0xFF), (0x2010, 0x2026), (0x20AC, 0x20AC))),
        MONO.lower(): (((0x20, 0x20), (0x30, 0x39), (0x41, 0x5A)), _ASCII)}


@dataclass(frozen=True)
class _Cut:
    """A face cut to fixed characters, ready to embed: its file compressed as a PDF stream, the
    file's length and each glyph's id in it (by name: fpdf2 knows the glyphs a document uses by
    the whole face's names, which the cut keeps)."""
    stream: bytes
    length: int
    glyph_ids: dict[str, int]


@cache
def _cut(family: str, style: str, ranges: tuple[tuple[int, int], ...]) -> _Cut:
    """The face cut down to the characters in `ranges`, once per process."""
    data, _, glyph_order = _prepared(family, style)
    font = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    font.setGlyphOrder(list(glyph_order))
    subsetter = subset.Subsetter(subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True,
                                                layout_features=[], name_IDs=['*'], hinting=False))
    subsetter.populate(unicodes=[code for low, high in ranges for code in range(low, high + 1)])
    subsetter.subset(font)
    post = font['post']  # the face has no names stored (format 3): store them, or a reload renumbers
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}  # the glyphs its components use
    buffer = io.BytesIO()
    font.save(buffer)
    order = ttLib.TTFont(io.BytesIO(buffer.getvalue())).getGlyphOrder()
    assert set(order) <= set(glyph_order), 'the cut renamed glyphs'
    return _Cut(zlib.compress(buffer.getvalue(), level=PDFContentStream._COMPRESSION_LEVEL), len(buffer.getvalue()),
                {name: number for number, name in enumerate(order)})


def _cut_for(font: object) -> _Cut | None:
    """The smallest fixed cut holding every glyph a document's face uses, or None (fpdf2 subsets it)."""
    family_style = _FAMILY_STYLE.get(getattr(font, 'fontkey', ''))
    if family_style is None or family_style[0] not in CUTS:
        return None
    names = font.subset.get_all_glyph_names()
    for ranges in CUTS[family_style[0]]:
        cut = _cut(*family_style, ranges)
        if all(name in cut.glyph_ids for name in names):
            return cut
    return None


class _Output(OutputProducer):
    """fpdf2's writer, but a face that fits one of its fixed cuts embeds the cut (made and compressed
    once per process) instead of a subset made for the document. The objects are fpdf2's own, as
    its `_add_fonts` writes them for a TrueType face: the Type0 font and its CIDFontType2 with the
    document's widths, ToUnicode map (text is extracted and searched by it) and CIDToGIDMap (the
    document's codes to the cut's glyph ids), the descriptor and the font file."""

    def _add_fonts(self, *resources: object) -> dict[int, PDFFont]:
        fonts = self.fpdf.fonts  # the document's registry, out of which the cut faces step while
        every = dict(fonts)      # fpdf2 subsets the others
        cuts = {key: cut for key, font in every.items() if (cut := _cut_for(font)) is not None}
        for key in cuts:
            del fonts[key]
        try:
            objects = super()._add_fonts(*resources)
        finally:
            fonts.clear()
            fonts.update(every)
        for key, cut in cuts.items():
            objects[every[key].i] = self._embed(every[key], cut)
        return objects

    def _embed(self, font: TTFFont, cut: _Cut) -> PDFFont:
        name = f'MPDFAA+{font.name}'
        composite = PDFFont(subtype='Type0', base_font=name, encoding='Identity-H')
        self._add_pdf_obj(composite, 'fonts')
        cid_font = PDFFont(subtype='CIDFontType2', base_font=name, d_w=font.desc.missing_width,
                           w=_tt_font_widths(font))
        self._add_pdf_obj(cid_font, 'fonts')
        composite.descendant_fonts = PDFArray([cid_font])
        used = [(glyph, code) for glyph, code in font.subset.items() if glyph is not None]
        to_unicode = PDFContentStream((
            '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n'
            '<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n'
            '/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n'
            + _build_cmap_blocks([f'<{code:04X}> <{"".join(f"{char:04X}" for char in glyph.unicode)}>\n'
                                  for glyph, code in used if isinstance(glyph.unicode, tuple) and glyph.unicode],
                                 'bfchar')
            + 'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend').encode('latin-1'))
        self._add_pdf_obj(to_unicode, 'fonts')
        composite.to_unicode = to_unicode
        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, 'fonts')
        cid_font.c_i_d_system_info = system_info
        descriptor = copy.copy(font.desc)  # the face's, shared by every document: this one's file is set on it
        descriptor.font_name = Name(name)
        self._add_pdf_obj(descriptor, 'fonts')
        cid_font.font_descriptor = descriptor
        # as far as the document's highest code (fpdf2 numbers them from 0 as glyphs are first used):
        # the codes after it are never drawn, and 128 KB of zeros took as long to compress as a page
        glyph_ids = bytearray(2 * (max(code for _, code in used) + 1))
        for glyph, code in used:
            glyph_ids[code * 2:code * 2 + 2] = cut.glyph_ids[glyph.glyph_name].to_bytes(2, 'big')
        cid_font.c_i_d_to_g_i_d_map = PDFContentStream(bytes(glyph_ids), compress=True)
        self._add_pdf_obj(cid_font.c_i_d_to_g_i_d_map, 'fonts')
        descriptor.font_file2 = _CutStream(cut)
        self._add_pdf_obj(descriptor.font_file2, 'fonts')
        font.close()
        return composite


class _CutStream(PDFContentStream):
    """A cut's font file as a stream of this document: compressed once, when the cut was made."""

    def __init__(self, cut: _Cut) -> None:
        super().__init__(b'')
        self._contents, self.filter, self.length, self.length1 = cut.stream, Name('FlateDecode'), len(cut.stream), \
            cut.length


def _give_harfbuzz(font: TTFFont) -> None:
    """HarfBuzz's view of a document's font: fpdf2 would read it from the font's file, and these
    fonts exist as bytes only."""
    data, _, _ = _prepared(*_FAMILY_STYLE[font.fontkey])
    font._hbfont = HarfBuzzFont(uharfbuzz.Face(uharfbuzz.Blob(data)))


def prepare_fonts() -> None:
    """Parse every style now (about a second), so the first document of the process is fast too.
    The right-to-left fonts (about half a second more) are parsed when a name first needs them."""
    for family, styles in ((FONT.lower(), _FILES), (MONO.lower(), ('B',))):
        for style in styles:
            for ranges in CUTS[family]:
                _cut(family, style, ranges)
