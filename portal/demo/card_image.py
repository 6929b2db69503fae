"""The one small picture the demo household's insurance cards show, front and back: drawn once per seed
(a few kilobytes), so seeding stays fast however many patients there are."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 340, 214  # a credit-card shape (85.6 x 54 mm) at 4 px per mm


def card_png(payer: str, plan: str, group: str) -> bytes:
    """A plain PNG of an insurance card, marked as a demo."""
    image = Image.new('RGB', (WIDTH, HEIGHT), (240, 249, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH - 1, 44), fill=(17, 94, 89))
    draw.text((14, 16), payer, fill=(255, 255, 255))
    for row, (label, value) in enumerate((('Plan', plan), ('Group', group), ('', 'Sample card - not valid'))):
        draw.text((14, 64 + row * 34), label, fill=(71, 85, 105))
        draw.text((110, 64 + row * 34), value, fill=(15, 23, 42))
    draw.rectangle((0, 0, WIDTH - 1, HEIGHT - 1), outline=(148, 163, 184))
    out = io.BytesIO()
    image.save(out, format='PNG', optimize=True)
    return out.getvalue()
