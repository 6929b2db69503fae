"""TOTP (RFC 6238) for staff two-step sign-in: secrets, enrolment QR codes, code checks."""
from __future__ import annotations

import io
import re

import pyotp
import qrcode
import qrcode.image.svg

_CODE = re.compile(r'^\d{6}$')


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters, 160 bits


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG string (for the enrolment page to show)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return re.sub(r'^<\?xml[^>]*\?>\s*', '', svg)  # an inline <svg> for ui.html, not an XML document


def normalize_code(code: str) -> str:
    return re.sub(r'[\s-]', '', code or '')


def is_valid_secret(secret: str) -> bool:
    if not secret or len(secret) > 64 or not re.fullmatch(r'[A-Z2-7]+=*', secret):
        return False
    try:
        pyotp.TOTP(secret).now()
    except Exception:  # noqa: BLE001 - any decoding problem means the secret is unusable
        return False
    return True


def verify(secret: str, code: str) -> bool:
    """True for the current code or its neighbours (30 s either side); spaces and dashes ignored."""
    code = normalize_code(code)
    if not _CODE.match(code) or not secret:
        return False
    return pyotp.TOTP(secret).verify(code, valid_window=1)
