"""Looking at PDFs the way a person does: where every word and character is on the page (pdfplumber),
what the page looks like (pypdfium2 renders it) and what its QR code says (zxing-cpp reads it)."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2
import zxingcpp

from portal.documents.pdf import MARGIN

ARTIFACTS = Path(__file__).resolve().parents[2] / 'test-artifacts' / 'documents'
PT_PER_MM = 72 / 25.4
TOLERANCE = 0.3  # points: boxes may touch, not overlap


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    width: float
    height: float
    words: list[Word]
    chars: list[Word]  # one per character drawn, spaces left out
    graphics: list[tuple[str, float, float, float, float]]  # (kind, x0, top, x1, bottom): images, rects, lines
    text: str


def look(pdf: bytes) -> list[Page]:
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            words = [Word(number, w['text'], w['x0'], w['top'], w['x1'], w['bottom'])
                     for w in page.extract_words(x_tolerance=1.5, y_tolerance=1.5, keep_blank_chars=False)]
            chars = [Word(number, c['text'], c['x0'], c['top'], c['x1'], c['bottom'])
                     for c in page.chars if c['text'].strip() and c['x1'] - c['x0'] > TOLERANCE]
            graphics = [(kind, item['x0'], item['top'], item['x1'], item['bottom'])
                        for kind, items in (('image', page.images), ('rect', page.rects), ('line', page.lines),
                                            ('curve', page.curves)) for item in items]
            pages.append(Page(number, float(page.width), float(page.height), words, chars, graphics,
                              page.extract_text() or ''))
    return pages


def sized_chars(pdf: bytes, page: int = 0) -> list[tuple[str, float, Word]]:
    """Every character drawn on a page (index from 0) with its size in points, in drawing order."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [(c['text'], float(c['size']), Word(page + 1, c['text'], c['x0'], c['top'], c['x1'], c['bottom']))
                for c in document.pages[page].chars if c['text'].strip()]


def _overlap(a: Word, b: Word) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE and min(a.bottom, b.bottom) - max(a.top, b.top) > TOLERANCE


def _pairs(boxes: list[Word]) -> list[tuple[Word, Word]]:
    """Overlapping pairs, by a sweep over boxes sorted by their left edge."""
    ordered = sorted(boxes, key=lambda box: box.x0)
    found = []
    for index, box in enumerate(ordered):
        for other in ordered[index + 1:]:
            if other.x0 >= box.x1 - TOLERANCE:
                break
            if _overlap(box, other):
                found.append((box, other))
    return found


def overlaps(page: Page) -> list[str]:
    """Words whose boxes overlap, and characters drawn over other characters (two texts printed
    on one baseline would merge into one 'word', so characters are checked too)."""
    problems = [f'words {a.text!r} and {b.text!r} overlap at ({a.x0:.0f}, {a.top:.0f})'
                for a, b in _pairs(page.words)]
    problems += [f'characters {a.text!r} and {b.text!r} overlap at ({a.x0:.0f}, {a.top:.0f})'
                 for a, b in _pairs(page.chars)]
    return problems


def outside_margins(page: Page, margin_mm: float = MARGIN) -> list[str]:
    """Anything drawn outside the printable area (the page less `margin_mm` on every side)."""
    edge = margin_mm * PT_PER_MM - 0.5
    right_edge, bottom_edge = page.width - edge, page.height - edge
    found = [(f'word {word.text!r}', word.x0, word.top, word.x1, word.bottom) for word in page.words]
    found += page.graphics
    return [f'{name} at ({x0:.1f}, {top:.1f})-({x1:.1f}, {bottom:.1f})' for name, x0, top, x1, bottom in found
            if x0 < edge or top < edge or x1 > right_edge or bottom > bottom_edge]


def normalized(text: str) -> str:
    """Whitespace (line breaks from wrapping) folded to single spaces."""
    return ' '.join(text.split())


RIGHT_TO_LEFT = re.compile('[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]')


def in_order(text: str, words: list[str]) -> bool:
    """Whether every word of `text` is printed, in order: other words may come between them (the
    other columns of a wrapped row), and a word may be broken over lines. Right-to-left words come
    out of a PDF in visual order: reversed, the last of a run first."""
    tokens: list[str] = []
    run: list[str] = []  # a run of right-to-left words: printed last word first, each reversed
    for token in [*text.split(), '']:
        if token and RIGHT_TO_LEFT.search(token):
            run.append(token[::-1])
            continue
        tokens += [*reversed(run), *([token] if token else [])]
        run = []
    position, remaining = 0, tokens[0] if tokens else ''
    for word in words:
        if position == len(tokens):
            break
        if remaining in word:
            remaining = ''
        elif len(word) >= 3 and remaining.startswith(word):
            remaining = remaining[len(word):]
        if not remaining:
            position += 1
            remaining = tokens[position] if position < len(tokens) else ''
    return position == len(tokens)


ARABIC = re.compile('[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]')


def arabic_glyphs(page: Page) -> int:
    """Arabic letters drawn on the page: joined forms that a reader cannot map back to a letter
    (fpdf2 writes no text mapping for them) come out as '(cid:N)', and count too."""
    return sum(1 for char in page.chars if ARABIC.search(char.text) or char.text.startswith('(cid:'))


SUMMARY_LABELS = ('Previous balance', 'New charges', 'Refunds to you', 'Paid by insurance', 'Adjustments',
                  'Your payments', 'New balance', 'Amount due')


def cents(text: str) -> int:
    """'-$1,234.56' -> -123456."""
    sign = -1 if text.startswith('-') else 1
    dollars, _, minor = text.lstrip('-$').replace(',', '').partition('.')
    return sign * (int(dollars) * 100 + int(minor))


def statement_figures(pdf: bytes) -> dict[str, int]:
    """The account summary and amount due as printed on page 1, in cents (a line absent: absent)."""
    text = look(pdf)[0].text
    figures = {}
    for label in SUMMARY_LABELS:
        found = re.search(rf'^{re.escape(label)}[^$\n]*?(-?\$[\d,]+\.\d\d)', text, re.M)
        if found:
            figures[label] = cents(found.group(1))
    return figures


def render(pdf: bytes, *, dpi: int = 150) -> list:
    """Each page as a PIL image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[index].render(scale=dpi / 72).to_pil() for index in range(len(document))]
    finally:
        document.close()


def qr_codes(image) -> list[str]:  # noqa: ANN001
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]


def keep(pdf: bytes, name: str, *, dpi: int = 120) -> list[Path]:
    """The PDF and a PNG of each page under test-artifacts/documents/ (git-ignored), to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r'[^A-Za-z0-9_-]+', '-', name)
    (ARTIFACTS / f'{safe}.pdf').write_bytes(pdf)
    paths = []
    for number, image in enumerate(render(pdf, dpi=dpi), start=1):
        path = ARTIFACTS / f'{safe}-page{number}.png'
        image.save(path)
        paths.append(path)
    return paths
