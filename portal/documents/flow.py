"""Blocks that run down the page and onto new pages (`Flow`), and tables of wrapped cells in
fixed columns on a flow (`Table`), for the document toolkit (see `portal.documents.layout`).

A block goes where the last one ended, so boxes never overlap; a block that does not fit starts a
new page, whose running header and the open table's column headings are drawn again. Units are
millimetres from the page's top-left corner.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF

from portal.documents.layout import RULE, SHADE, Style, draw_lines, lines_of, text_box, text_height


class Flow:
    """Blocks placed one below the other, over as many pages as they need.

    `top`/`bottom` bound the body on every page; `first_bottom` on the current (first) page, where
    something fixed (a remittance stub) sits below. `on_new_page(pdf)` draws what every following
    page repeats; a table's headings are drawn again through `repeat`."""

    def __init__(self, pdf: FPDF, *, y: float, top: float, bottom: float, first_bottom: float | None = None,
                 on_new_page: Callable[[FPDF], None] | None = None) -> None:
        self.pdf = pdf
        self.y = y
        self.top = top
        self.bottom = bottom
        self.page_bottom = first_bottom if first_bottom is not None else bottom
        self.on_new_page = on_new_page
        self.repeat: Callable[[], None] | None = None

    @property
    def x(self) -> float:
        return self.pdf.l_margin

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def room(self) -> float:
        return self.page_bottom - self.y

    def new_page(self) -> None:
        self.pdf.add_page()
        self.page_bottom = self.bottom
        self.y = self.top
        if self.on_new_page:
            self.on_new_page(self.pdf)
        if self.repeat:
            self.repeat()

    def need(self, height: float) -> float:
        """Where a block `height` tall goes: here, or at the top of a new page; returns its y.
        A block taller than a whole page starts a page of its own and runs past its foot."""
        if self.y + height > self.page_bottom + 0.01 and self.y > self.top + 0.01:
            self.new_page()
        return self.y

    def take(self, height: float) -> float:
        """Reserve `height` (see `need`) and move below it; returns the block's y."""
        y = self.need(height)
        self.y = y + height
        return y

    def gap(self, height: float) -> None:
        self.y = min(self.y + height, self.page_bottom)

    def text(self, text: str, style: Style, *, align: str = 'L', indent: float = 0.0) -> None:
        """A paragraph, broken between pages by lines when it does not fit."""
        for line in lines_of(self.pdf, text, self.width - indent, style):
            y = self.take(style.line)
            draw_lines(self.pdf, [line], self.x + indent, y, self.width - indent, style, align)


@dataclass(frozen=True)
class Row:
    """A measured table row (see `Table.measure`)."""
    style: Style
    wrapped: list[list[str]]
    note_style: Style
    note_lines: list[str]
    note_x: float
    note_width: float
    height: float


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    align: str = 'L'


class Table:
    """Rows of wrapped cells in fixed columns; the headings repeat at the top of every page the
    table runs onto. A row never splits across pages (unless it is taller than a page)."""

    def __init__(self, flow: Flow, columns: Sequence[Column], *, style: Style, head: Style | None,
                 gutter: float = 2.0, shade: bool = True, keep_with: float = 0.0) -> None:
        """`head` None: a table without headings (label and value pairs). `keep_with`: the height of
        what must follow the headings on their page (a title above them, the first row)."""
        self.flow, self.columns, self.style, self.head = flow, list(columns), style, head
        self.gutter, self.shade, self.keep_with = gutter, shade, keep_with
        # what the rows now being drawn belong to (a visit's heading), drawn again under the column
        # headings when they run onto a new page: set it after drawing the group's own heading, and
        # back to None after its last row
        self.continued: Callable[[], None] | None = None

    def __enter__(self) -> Table:
        if self.head is not None:
            self.flow.need(self.head_height() + max(self.keep_with, self.style.line * 2))
            self.heading()
            self.flow.repeat = self._repeat
        return self

    def _repeat(self) -> None:
        self.heading()
        if self.continued is not None:
            self.continued()

    def __exit__(self, *_: object) -> None:
        self.flow.repeat = None

    def _inner(self, column: Column) -> float:
        """The text's width: a gutter separates columns, none is kept at the table's outer edges."""
        return column.width - (0.0 if column is self.columns[-1] else self.gutter)

    def head_height(self) -> float:
        assert self.head is not None
        return max(text_height(self.flow.pdf, c.title, self._inner(c), self.head) for c in self.columns) + 1.6

    def heading(self) -> None:
        pdf, height = self.flow.pdf, self.head_height()
        y = self.flow.take(height)
        if self.shade:
            pdf.set_fill_color(*SHADE)
            pdf.rect(self.flow.x, y, sum(c.width for c in self.columns), height, style='F')
        x = self.flow.x
        for column in self.columns:
            text_box(pdf, x, y + 0.8, self._inner(column), column.title, self.head, column.align)
            x += column.width

    def measure(self, cells: Sequence[str], *, style: Style | None = None, notes: Sequence[str] = (),
                note_style: Style | None = None, note_from: int = 1) -> Row:
        """A row's lines and height, before it is placed."""
        style = style or self.style
        pdf = self.flow.pdf
        wrapped = [lines_of(pdf, text, self._inner(column), style) for column, text in zip(self.columns, cells,
                                                                                             strict=True)]
        note_style = note_style or style
        note_x = self.flow.x + sum(c.width for c in self.columns[:note_from])
        note_width = self.flow.x + sum(c.width for c in self.columns) - note_x
        note_lines = [line for note in notes for line in lines_of(pdf, note, note_width, note_style)]
        height = max(len(lines) for lines in wrapped) * style.line + len(note_lines) * note_style.line + 1.2
        return Row(style, wrapped, note_style, note_lines, note_x, note_width, height)

    def row(self, cells: Sequence[str] | Row, *, rule: bool = True, **options: object) -> None:
        """One row (cells, or a measured row); `notes` are small lines under it, from column
        `note_from` on, in `note_style`."""
        measured = cells if isinstance(cells, Row) else self.measure(cells, **options)  # type: ignore[arg-type]
        style, wrapped, note_style, note_lines = measured.style, measured.wrapped, measured.note_style, \
            measured.note_lines
        note_x, note_width, height, pdf = measured.note_x, measured.note_width, measured.height, self.flow.pdf
        y = self.flow.take(height)
        x = self.flow.x
        for column, lines in zip(self.columns, wrapped, strict=True):
            draw_lines(pdf, lines, x, y, self._inner(column), style, column.align)
            x += column.width
        if note_lines:
            draw_lines(pdf, note_lines, note_x, y + max(len(lines) for lines in wrapped) * style.line,
                       note_width, note_style)
        if rule:
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.2)
            pdf.line(self.flow.x, y + height - 0.4, self.flow.x + sum(c.width for c in self.columns), y + height - 0.4)


def title_table(table: Table, title: str, style: Style, *, keep: float) -> Table:
    """Draws `title` above the table, on a new page unless the title, the headings and `keep` more
    fit on this one; returns the table, to be entered for its rows."""
    flow = table.flow
    flow.need(text_height(flow.pdf, title, flow.width, style) + table.head_height() + keep)
    flow.text(title, style)
    table.keep_with = max(table.keep_with, keep)
    return table
