"""Files to upload in tests, made on the spot: pictures with GPS EXIF, HEIC, a pixel bomb, a PDF with
JavaScript, an executable in disguise."""
from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image

GPS_IFD = 0x8825
MAKE, MODEL = 0x010F, 0x0110


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF says where and with what camera it was taken."""
    image = Image.new('RGB', size, (180, 40, 40))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = 'PhoneMaker', 'Phone 15'
    exif[GPS_IFD] = {1: 'N', 2: (41.0, 52.0, 30.0), 3: 'W', 4: (87.0, 37.0, 45.0)}
    out = io.BytesIO()
    image.save(out, format='JPEG', exif=exif, comment=b'holiday snap')
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new('RGBA', size, (10, 120, 200, 128)).save(out, format='PNG')
    return out.getvalue()


def heic_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """What an iPhone sends: HEIC with EXIF (GPS and camera)."""
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[MAKE], exif[GPS_IFD] = 'Apple', {1: 'N', 2: (41.0, 52.0, 30.0)}
    out = io.BytesIO()
    Image.new('RGB', size, (20, 160, 60)).save(out, format='HEIF', exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG of 80 bytes whose header says width x height (greyscale): decoding it would take 400 MB."""
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', header) + _chunk(b'IDAT', zlib.compress(b'\0' * 1024))
            + _chunk(b'IEND', b''))


def pdf(script: bool = False) -> bytes:
    action = b'/OpenAction << /S /JavaScript /JS (app.alert("hi")) >>' if script else b''
    return (b'%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R ' + action + b' >> endobj\n'
            b'2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')


def executable() -> bytes:
    """The start of a Windows executable (MZ header), to be named photo.jpg."""
    return b'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00' + b'\x00' * 48 + b'PE\x00\x00' + b'\x00' * 200
