"""What an uploaded file is, judged from its bytes (never its name), and the bytes we keep of it.

`prepare(name, data)` refuses what we do not keep (`FileRefused`, a message a patient can read) and
returns what we would store: PDFs as they are (one with JavaScript too: it is only ever downloaded),
pictures decoded and re-encoded with Pillow so nothing of the original file but its pixels survives
(EXIF with GPS and camera, XMP, ICC profiles and comments are gone; colours are converted to sRGB
first and the EXIF orientation applied). HEIC from phones becomes JPEG, which every browser shows.
The pixel count is read from the header and refused above MAX_PIXELS before anything is decoded.
No database, no disk: `portal.services.files` stores the result.
"""
from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

import filetype
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from portal.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024  # per file, as uploaded and as stored
MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone camera; decoded it is 120 MB of RGB
MAX_NAME_CHARS = 120  # of the name without its extension
JPEG_QUALITY = 88

# the content type filetype sniffs -> (content type we store, extension of the stored name)
ACCEPTED = {'application/pdf': ('application/pdf', 'pdf'), 'image/jpeg': ('image/jpeg', 'jpg'),
            'image/png': ('image/png', 'png'), 'image/heic': ('image/jpeg', 'jpg')}
INLINE_TYPES = frozenset({'image/jpeg', 'image/png'})  # shown in the page; anything else is downloaded

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check (at open) backs up ours
pillow_heif.register_heif_opener()

# NUL and other control characters, and the bidi overrides that make "gpj.exe" read as "exe.jpg"
_REFUSED_IN_NAMES = re.compile('[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f]')
_PDF_SCRIPT = re.compile(rb'/(?:JavaScript|JS|OpenAction|AA|Launch)\b')


class FileRefused(ValidationFailed):
    """An upload we do not keep; the message says what is wrong, in plain words."""


@dataclass(frozen=True)
class Prepared:
    """What store() writes: the name with the extension of its real type, and the bytes to keep."""
    name: str
    content_type: str
    data: bytes
    sha256: str
    active_content: bool = False  # a PDF with script or automatic actions (kept; served only as a download)

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE_TYPES


def clean_name(name: str) -> str:
    """The file name without folders, trimmed; refuses control and bidi-override characters."""
    if _REFUSED_IN_NAMES.search(name):
        raise FileRefused('The file name has characters we cannot accept (such as control characters). '
                          'Rename the file and try again.', field_errors={'files': 'Rename the file.'})
    base = re.split(r'[\\/]', unicodedata.normalize('NFC', name))[-1].strip().strip('.')
    return base or 'file'


def _named(name: str, extension: str) -> str:
    stem = name.rsplit('.', 1)[0] if '.' in name else name
    return f'{stem.strip()[:MAX_NAME_CHARS] or "file"}.{extension}'


_cache: OrderedDict[tuple[str, str], Prepared] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 5  # one message's files: check_upload then store re-encode each picture once


def prepare(name: str, data: bytes) -> Prepared:
    """The bytes we would keep of an upload, or FileRefused. Pure (no disk, no database); the last
    few results are remembered, so checking a file and then storing it re-encodes it once."""
    label = clean_name(name)
    if not data:
        raise FileRefused(f'"{label}" is empty. Choose the file again.', field_errors={'files': 'Empty file.'})
    if len(data) > MAX_BYTES:
        raise FileRefused(f'"{label}" is too large ({len(data) / 1024 / 1024:.1f} MB). Each file can be at '
                          f'most {MAX_BYTES // 1024 // 1024} MB.', field_errors={'files': 'File too large.'})
    key = (label, hashlib.sha256(data).hexdigest())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    prepared = _prepare(label, data)
    with _cache_lock:
        _cache[key] = prepared
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return prepared


def _prepare(label: str, data: bytes) -> Prepared:
    kind = filetype.guess(data)
    sniffed = kind.mime if kind is not None else ''
    if sniffed not in ACCEPTED:
        raise FileRefused(f'"{label}" is not a PDF, JPEG, PNG or HEIC file, whatever its name says. '
                          'We accept only those.', field_errors={'files': 'File type not accepted.'})
    content_type, extension = ACCEPTED[sniffed]
    if sniffed == 'application/pdf':
        return Prepared(_named(label, extension), content_type, data, hashlib.sha256(data).hexdigest(),
                        active_content=bool(_PDF_SCRIPT.search(data)))
    clean = _reencode(label, data, content_type)
    if len(clean) > MAX_BYTES:
        raise FileRefused(f'"{label}" is too large once prepared for sending. Send a smaller picture.',
                          field_errors={'files': 'File too large.'})
    return Prepared(_named(label, extension), content_type, clean, hashlib.sha256(clean).hexdigest())


def _too_many_pixels(label: str, width: int, height: int) -> FileRefused:
    return FileRefused(f'"{label}" is too large a picture ({width:,} × {height:,} pixels). Send one of at most '
                       f'{MAX_PIXELS // 1_000_000} megapixels.', field_errors={'files': 'Picture too large.'})


def _reencode(label: str, data: bytes, content_type: str) -> bytes:
    """Decode the picture and encode its pixels afresh: no metadata of the original survives."""
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(label, width, height)
            image.load()
            pixels = _srgb(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError:
        raise FileRefused(f'"{label}" is too large a picture. Send one of at most {MAX_PIXELS // 1_000_000} '
                          'megapixels.', field_errors={'files': 'Picture too large.'}) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise FileRefused(f'We could not read the picture "{label}": the file may be damaged. Try another.',
                          field_errors={'files': 'Damaged picture.'}) from error
    keep_alpha = content_type == 'image/png' and ('A' in pixels.mode or 'transparency' in pixels.info)
    mode = 'RGBA' if keep_alpha else 'L' if pixels.mode in ('1', 'L') else 'RGB'
    fresh = pixels.convert(mode)
    fresh.info.clear()  # PNG's encoder would copy an ICC profile or transparency from here
    out = io.BytesIO()
    if content_type == 'image/png':
        fresh.save(out, format='PNG')
    else:
        fresh.save(out, format='JPEG', quality=JPEG_QUALITY)
    return out.getvalue()


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB'))


def _srgb(image: Image.Image) -> Image.Image:
    """Colours converted from the picture's embedded profile (Display P3 on phones) to sRGB, so the
    profile can be dropped without the colours changing; pictures without one are taken as sRGB."""
    icc = image.info.get('icc_profile')
    if not icc or image.mode not in ('RGB', 'RGBA', 'CMYK'):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output = 'RGBA' if image.mode == 'RGBA' else 'RGB'
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image
