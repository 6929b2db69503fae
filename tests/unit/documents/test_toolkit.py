"""The document toolkit: wrapped text keeps every character and stays inside its width, fitted text
stays inside its box, and tables run over pages with their headings repeated and no heading left
alone at the foot of a page; and documents rendered in several threads at once come out as they do
one at a time."""
from __future__ import annotations

import io
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import ImageChops
from pypdf import PdfReader

from portal.documents.flow import Column, Flow, Table, title_table
from portal.documents.layout import Box, Style, fitted, text_box, use, width_of, wrap
from portal.documents.pdf import CUTS, FONT, MONO, DocumentPDF, _cut
from tests.support import documents as look

CLUSTERS = st.tuples(st.sampled_from([*map(chr, range(0x20, 0x7F)), 'é', 'ễ', 'W']),
                     st.text(st.sampled_from(['\u0300', '\u0301', '\u0323']), max_size=2))
LETTERS = st.lists(CLUSTERS.map(lambda cluster: cluster[0] + (cluster[1] if cluster[0] != ' ' else '')),
                   max_size=200).map(''.join)  # letters, each with the marks written on it


def _pdf() -> DocumentPDF:
    pdf = DocumentPDF(title='test')
    pdf.add_page()
    use(pdf, Style(size=9))
    return pdf


@settings(max_examples=150, deadline=None)
@given(text=LETTERS, width=st.floats(min_value=4, max_value=120))
@example(text='#-\u0300/', width=4.0)  # a hyphen with a mark on it is not a place to break
def test_wrap_keeps_every_character_and_fits_the_width(text: str, width: float) -> None:
    pdf = _pdf()
    lines = wrap(pdf, text, width)
    assert ''.join(''.join(lines).split()) == ''.join(text.split())
    for line in lines:  # wider only when one letter (with its marks) is wider than the column
        assert width_of(pdf, line) <= width + 1e-6 or len([c for c in line if not unicodedata.combining(c)]) == 1
        assert not line or not unicodedata.combining(line[0]), 'a mark was separated from its letter'


def test_a_long_word_breaks_after_its_hyphens_first() -> None:
    pdf = _pdf()
    assert wrap(pdf, 'Konstantinopoulou-Vanderbilt-Featherstonehaugh', 40) == \
        ['Konstantinopoulou-', 'Vanderbilt-', 'Featherstonehaugh']


def test_fitted_text_stays_in_its_box() -> None:
    pdf = _pdf()
    box = Box(10, 10, 60, 12)
    for paragraphs, one_line in ((['x' * 40, 'A very long name ' * 12], False), (['Maria Alvarez'], True),
                                 (['Thị Minh Nguyễn ' * 14], True)):
        style, lines = fitted(pdf, paragraphs, box, Style(size=10), min_size=5, one_line=one_line)
        assert len(lines) * style.line <= box.h + 0.01
        use(pdf, style)
        assert all(width_of(pdf, line) <= box.w + 1e-6 for line in lines)
    style, lines = fitted(pdf, ['Maria Alvarez'], box, Style(size=10), one_line=True)
    assert (style.size, lines) == (10, ['Maria Alvarez'])  # what fits keeps its size


def test_a_table_runs_over_pages_with_its_headings_and_keeps_its_title_with_them() -> None:
    pdf = DocumentPDF(title='test')
    pdf.alias_nb_pages()
    pdf.add_page()
    flow = Flow(pdf, y=240, top=20, bottom=250, on_new_page=lambda page: None)
    table = Table(flow, (Column('Service', 120), Column('Amount', 70.5, 'R')), style=Style(size=9),
                  head=Style(size=8, bold=True))
    with title_table(table, 'Charges by visit', Style(size=12, bold=True), keep=20):
        for number in range(80):
            table.row([f'Row {number} ' + 'long description ' * (number % 4), f'${number}.00'])
    pages = look.look(pdf.output_bytes())
    assert len(pages) >= 3
    assert 'Charges by visit' not in pages[0].text  # not left alone at the foot of page 1
    for page in pages[1:]:
        assert page.text.splitlines()[0 if page.number > 2 else 1].startswith('Service Amount')
        assert look.overlaps(page) == [] and look.outside_margins(page) == []
    rows = [word.text for page in pages for word in page.words if word.text == 'Row']
    assert len(rows) == 80


def _document(name: str) -> bytes:
    """A small document with a fixed creation date, so that the same input gives the same bytes."""
    pdf = DocumentPDF(title='test')
    pdf.set_creation_date(datetime(2026, 5, 12, tzinfo=UTC))
    pdf.add_page()
    text_box(pdf, 20, 20, 150, f'Statement for {name}: amount due $1,234.56 — thank you', Style(size=10))
    text_box(pdf, 20, 30, 150, f'{name} 2345 6789 ABCD', Style(size=15, family=MONO))
    return pdf.output_bytes()


def test_documents_rendered_in_threads_are_the_same_as_one_at_a_time() -> None:
    """Fonts are parsed and cut once per process and shared by every document (renders run in
    worker threads): each document must still embed exactly its own glyphs. Names in the common
    characters and outside them (Vietnamese), so both ways of subsetting run at once."""
    names = [f'{first} {last}' for first in ('Maria', 'Thị Minh', 'Zoë', 'Kwame') for last in ('Alvarez', 'Nguyễn',
                                                                                              'Øster')]
    alone = [_document(name) for name in names]
    with ThreadPoolExecutor(max_workers=6) as pool:
        for _ in range(3):
            assert list(pool.map(_document, names)) == alone
    for name, pdf in zip(names, alone, strict=True):
        assert name in look.normalized(look.look(pdf)[0].text)


def _faces_document() -> DocumentPDF:
    """ASCII in Roboto, Latin-1 and the euro in Roboto Bold, a quick-pay code in Roboto Mono, and a
    Vietnamese name in Roboto Italic (outside every cut of that face)."""
    pdf = DocumentPDF(title='test')
    pdf.set_creation_date(datetime(2026, 5, 12, tzinfo=UTC))
    pdf.add_page()
    text_box(pdf, 20, 20, 170, 'Office visit, established patient, 20-29 minutes · $1,234.56 — thank you',
             Style(size=10))
    text_box(pdf, 20, 30, 170, 'Sofía Muñoz-Ölander paid €12 ¶ « ½ »', Style(size=10, bold=True))
    text_box(pdf, 20, 40, 170, 'G6R6 E6DT FWZ9', Style(size=15, family=MONO))
    text_box(pdf, 20, 50, 170, 'Thị Minh Nguyễn', Style(size=10, italic=True))
    return pdf


def test_faces_embedded_as_fixed_cuts_draw_and_read_as_fpdf2s_own_subsets_do() -> None:
    """A face whose glyphs all lie in one of its fixed cuts embeds the smallest such cut, made once
    per process; the page looks, pixel for pixel, and reads as the same document written by fpdf2,
    which subsets every face for the document. A face with other glyphs is still subset."""
    ours, fpdf2s = _faces_document().output_bytes(), bytes(_faces_document().output())
    embedded = sorted(font['/FontDescriptor']['/FontFile2']['/Length1']
                      for resources in PdfReader(io.BytesIO(ours)).pages[0]['/Resources']['/Font'].values()
                      for font in resources.get_object()['/DescendantFonts'])
    cuts = [_cut(FONT.lower(), '', CUTS[FONT.lower()][0]).length, _cut(FONT.lower(), 'B', CUTS[FONT.lower()][1]).length,
            _cut(MONO.lower(), 'B', CUTS[MONO.lower()][0]).length]
    assert len(embedded) == 4 and all(length in embedded for length in cuts)  # the italic face: subset
    [mine], [theirs] = look.render(ours, dpi=100), look.render(fpdf2s, dpi=100)
    assert ImageChops.difference(mine.convert('RGB'), theirs.convert('RGB')).getbbox() is None
    assert look.look(ours)[0].text == look.look(fpdf2s)[0].text
    assert 'Sofía Muñoz-Ölander paid €12' in look.normalized(look.look(ours)[0].text)
