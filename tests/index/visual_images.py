"""Synthetic photographs for the visual-search tests: decorated wares, sherds cut from them, and
marks (four-character "reign marks" drawn from one set of strokes, others from another)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageOps

GROUND = (236, 232, 224)


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def ware_image(seed: int, size: tuple[int, int] = (900, 1200)) -> Image.Image:
    """A vase-shaped body on a plain ground, densely decorated with a pattern of its own."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, GROUND)
    draw = ImageDraw.Draw(image)
    body = (width * 0.15, height * 0.12, width * 0.85, height * 0.92)
    draw.ellipse(body, fill=(245, 245, 240), outline=(40, 50, 120), width=4)
    ink = [(30, 50, 150), (20, 30, 90), (120, 30, 40), (40, 110, 70)]
    for _ in range(260):
        x = rng.uniform(width * 0.25, width * 0.75)
        y = rng.uniform(height * 0.2, height * 0.85)
        r = rng.uniform(6, 40)
        colour = rng.choice(ink)
        shape = rng.random()
        if shape < 0.35:
            draw.ellipse((x - r, y - r * 0.6, x + r, y + r * 0.6), outline=colour, width=3)
        elif shape < 0.7:
            points = [(x + rng.uniform(-r, r), y + rng.uniform(-r, r)) for _ in range(4)]
            draw.line(points, fill=colour, width=rng.randint(2, 5))
        else:
            draw.polygon([(x, y - r), (x + r, y + r), (x - r, y + r * 0.5)], fill=colour)
    return image


def ware_bytes(seed: int) -> bytes:
    return _jpeg(ware_image(seed))


def sherd_bytes(seed: int, area: float = 0.2, turn: float = 35.0) -> bytes:
    """A fragment with ``area`` of the decorated body of ware ``seed``: recoloured (warm cast,
    darker), turned by ``turn`` degrees, smaller, and lying on a brown ground."""
    image = ware_image(seed)
    width, height = image.size
    side_w, side_h = int(width * area**0.5), int(height * area**0.5)
    left, top = int(width * 0.5 - side_w / 2), int(height * 0.52 - side_h / 2)
    piece = image.crop((left, top, left + side_w, top + side_h))
    red, green, blue = piece.split()
    piece = Image.merge(
        "RGB",
        (
            red.point(lambda v: min(255, int(v * 1.2))),
            green.point(lambda v: int(v * 0.95)),
            blue.point(lambda v: int(v * 0.7)),
        ),
    )
    piece = piece.rotate(
        turn, expand=True, fillcolor=(96, 72, 50), resample=Image.Resampling.BICUBIC
    )
    piece = piece.resize((piece.width * 3 // 4, piece.height * 3 // 4))
    return _jpeg(ImageOps.expand(piece, border=60, fill=(96, 72, 50)), quality=80)


def mark_image(family: int, variant: int, size: int = 700) -> Image.Image:
    """A four-character mark: the strokes and the frame come from ``family`` (marks of one
    reign share them: odd families a double ring, even ones a square seal frame), a ``variant``
    writes them with a slightly different hand and ground."""
    strokes = random.Random(family * 7919)
    hand = random.Random(family * 31 + variant * 1009 + 1)
    ground = (240 - 6 * variant, 236 - 4 * variant, 226 - 2 * variant)
    image = Image.new("RGB", (size, size), ground)
    draw = ImageDraw.Draw(image)
    ink = (30, 45, 140)
    if family % 2:
        draw.ellipse((30, 30, size - 30, size - 30), outline=ink, width=8)
        draw.ellipse((60, 60, size - 60, size - 60), outline=ink, width=5)
    else:
        draw.rectangle((50, 50, size - 50, size - 50), outline=ink, width=14)
    for cell in range(4):
        cx = size * (0.36 + 0.28 * (cell % 2))
        cy = size * (0.36 + 0.28 * (cell // 2))
        for _ in range(7):
            x1, y1 = strokes.uniform(-70, 70), strokes.uniform(-70, 70)
            x2, y2 = strokes.uniform(-70, 70), strokes.uniform(-70, 70)
            jitter = [hand.uniform(-2, 2) for _ in range(4)]
            draw.line(
                (
                    cx + x1 + jitter[0],
                    cy + y1 + jitter[1],
                    cx + x2 + jitter[2],
                    cy + y2 + jitter[3],
                ),
                fill=ink,
                width=12,
            )
    return image


def mark_bytes(family: int, variant: int, turn: float = 0.0) -> bytes:
    image = mark_image(family, variant)
    if turn:
        image = image.rotate(
            turn, fillcolor=image.getpixel((5, 5)), resample=Image.Resampling.BICUBIC
        )
    return _jpeg(image)


def unrelated_bytes() -> bytes:
    """A photograph of nothing in the collection: soft gradients, no pattern, no object."""
    image = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
    return _jpeg(ImageOps.colorize(image.convert("L"), (20, 90, 40), (200, 230, 120)))
