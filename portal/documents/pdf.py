"""The base PDF every document uses: Roboto embedded (fpdf2's core fonts are Latin-1 only, so
"Nguyễn" would fail), A4-agnostic Letter pages, and small helpers for money and QR codes."""
from __future__ import annotations

import io

import font_roboto
import qrcode
from fpdf import FPDF

FONT = 'Roboto'
_FILES = {'': 'Roboto', 'B': 'RobotoBold', 'I': 'RobotoItalic', 'BI': 'RobotoBoldItalic'}


class DocumentPDF(FPDF):
    """Letter-size page with Roboto registered under every style fpdf2 may ask for."""

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation='portrait', unit='mm', format='letter')
        for style, name in _FILES.items():
            self.add_font(FONT, style=style, fname=font_roboto.font_files[name])
        self.set_font(FONT, size=10)
        self.set_title(title)
        self.set_creator('Settle')
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(16, 16, 16)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def qr_png(data: str, *, box_size: int = 4) -> io.BytesIO:
    """A QR code as PNG bytes, ready for `pdf.image(...)`."""
    code = qrcode.QRCode(box_size=box_size, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format='PNG')
    buffer.seek(0)
    return buffer
