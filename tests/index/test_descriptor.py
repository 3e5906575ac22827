"""The built-in visual descriptor: shape of its output and robustness to common photo changes."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from index.augment import TRANSFORMS
from index.descriptor import VisualDescriptor, lbp_codes
from tests.conftest import shared_data_or_skip


def pot(seed: int) -> Image.Image:
    """A synthetic 'ware photo': a coloured vessel with painted bands on a plain backdrop."""
    rng = random.Random(seed)
    backdrop = tuple(rng.randint(0, 255) for _ in range(3))
    image = Image.new("RGB", (240, 300), backdrop)
    draw = ImageDraw.Draw(image)
    body = tuple(rng.randint(0, 255) for _ in range(3))
    draw.ellipse((45 + rng.randint(-20, 20), 45, 195, 270), fill=body)
    for _ in range(rng.randint(2, 6)):
        y = rng.randint(75, 240)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        draw.rectangle((60, y, 180, y + rng.randint(3, 22)), fill=colour)
    return image


@pytest.fixture(scope="module")
def descriptor() -> VisualDescriptor:
    return VisualDescriptor()


def test_vectors_are_unit_float32_of_fixed_dimension(descriptor: VisualDescriptor) -> None:
    vectors = descriptor.embed_images([pot(1), pot(2).convert("L"), pot(3).convert("RGBA")])
    assert vectors.shape == (3, descriptor.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert descriptor.embed_images([]).shape == (0, descriptor.dim)
    assert descriptor.name == "potbank-descriptor-v1"


def test_deterministic_and_jpeg_draft_path(descriptor: VisualDescriptor) -> None:
    buffer = io.BytesIO()
    pot(4).resize((1600, 2000)).save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    with Image.open(buffer) as first:
        a = descriptor.embed_images([first])
    buffer.seek(0)
    with Image.open(buffer) as second:
        b = descriptor.embed_images([second])
    assert np.array_equal(a, b)
    assert float(a[0] @ descriptor.embed_images([pot(4)])[0]) > 0.95


def test_tiny_and_flat_images_do_not_fail(descriptor: VisualDescriptor) -> None:
    vectors = descriptor.embed_images([Image.new("RGB", (1, 1)), Image.new("RGB", (500, 3), "red")])
    assert np.isfinite(vectors).all()


def test_synthetic_copies_find_their_original(descriptor: VisualDescriptor) -> None:
    originals = [pot(seed) for seed in range(20)]
    base = descriptor.embed_images(originals)
    rng = random.Random(3)
    for name, transform in TRANSFORMS.items():
        queries = descriptor.embed_images([transform(image, rng) for image in originals])
        accuracy = np.mean(np.argmax(queries @ base.T, axis=1) == np.arange(len(originals)))
        assert accuracy >= 0.9, name


@pytest.mark.slow
def test_real_photographs_copy_detection(descriptor: VisualDescriptor) -> None:
    """A small version of bench/eval_descriptor.py on 30 of the 89 chinesenotes photos."""
    folder = shared_data_or_skip("chinesenotes", "images")
    originals = []
    for path in sorted(folder.glob("*.jpg"))[:30]:
        with Image.open(path) as image:
            image.draft("RGB", (400, 400))
            originals.append(image.convert("RGB"))
    base = descriptor.embed_images(originals)
    rng = random.Random(11)
    hits = total = 0
    for transform in TRANSFORMS.values():
        queries = descriptor.embed_images([transform(image, rng) for image in originals])
        hits += int(np.sum(np.argmax(queries @ base.T, axis=1) == np.arange(len(originals))))
        total += len(originals)
    assert hits / total >= 0.95


def test_lbp_codes_count_brighter_neighbours_of_uniform_patterns_and_9_for_the_rest() -> None:
    flat = np.full((5, 5), 0.5, dtype=np.float32)
    assert lbp_codes(flat).tolist() == [[0] * 3] * 3
    pit = flat.copy()
    pit[2, 2] = 0.4  # every neighbour brighter: the uniform pattern of eight ones
    assert lbp_codes(pit)[1, 1] == 8
    edge = flat.copy()
    edge[:, 3:] = 0.9  # the right-hand column of neighbours: three ones in a row
    assert lbp_codes(edge)[1, 1] == 3
    spots = flat.copy()
    spots[1, 1] = spots[1, 3] = spots[3, 2] = 0.9  # three separate ones: not uniform
    assert lbp_codes(spots)[1, 1] == 9
    # The threshold is how much brighter a neighbour must be (v2 asks a little more).
    faint = flat.copy()
    faint[:, 3:] = 0.525
    assert lbp_codes(faint)[1, 1] == 3 and lbp_codes(faint, 0.03)[1, 1] == 0


def test_lbp_codes_agree_with_the_definition_on_a_noisy_picture() -> None:
    # The codes are counted neighbour by neighbour in uint8 (for speed): they must still be
    # the definition's, computed here the plain way, and int64 as the histograms expect.
    grey = np.random.default_rng(3).random((40, 33)).astype(np.float32)
    codes = lbp_codes(grey, 0.03)
    offsets = [(0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1)]
    assert codes.dtype == np.int64 and codes.shape == (38, 31)
    for y in range(1, 39):
        for x in range(1, 32):
            bits = [int(grey[y + dy, x + dx] >= grey[y, x] + 0.03) for dy, dx in offsets]
            changes = sum(bits[k] != bits[(k + 1) % 8] for k in range(8))
            assert codes[y - 1, x - 1] == (sum(bits) if changes <= 2 else 9)


def test_ring_histograms_are_the_sums_of_each_ring_alone() -> None:
    # All rings in one pass, pixels outside every ring (group -1) counted nowhere: the same
    # sums, in the same order, as one histogram a ring with only its own pixels.
    from index.descriptor import _ring_hists, _soft_hist

    rng = np.random.default_rng(5)
    values = rng.random((30, 20)).astype(np.float32)
    weights = rng.random((30, 20)).astype(np.float32)
    groups = rng.integers(-1, 3, (30, 20))
    for circular in (True, False):
        together = _ring_hists(values, 8, weights, groups, circular, count=3)
        for ring in range(3):
            inside = groups == ring
            alone = _soft_hist(values[inside], 8, weights[inside], circular)
            assert np.array_equal(together[ring], alone)


def test_hue_saturation_and_value_are_hsv() -> None:
    # _hsv avoids numpy's slow floating-point remainder: its hues must still be HSV's,
    # within [0, 1), also for greys (no hue) and for colours that tie on their largest channel.
    import colorsys

    from index.descriptor import _hsv

    rng = np.random.default_rng(7)
    rgb = rng.random((20, 20, 3)).astype(np.float32)
    rgb[0] = 0.5  # greys
    rgb[1, :, 0] = rgb[1, :, 1]  # red and green tie
    rgb[2, :, 1] = rgb[2, :, 2] = 0.9  # green and blue tie
    hue, sat, value = _hsv(rgb)
    assert hue.dtype == np.float32 and (hue >= 0).all() and (hue < 1).all()
    pixels = zip(rgb.reshape(-1, 3), hue.ravel(), sat.ravel(), value.ravel(), strict=True)
    for pixel, h, s, v in pixels:
        want = colorsys.rgb_to_hsv(*pixel.astype(np.float64))
        turn = abs(h - want[0])
        assert min(turn, 1 - turn) < 1e-5 and abs(s - want[1]) < 1e-5 and v == want[2]


def test_gradient_orientations_are_unsigned_in_0_to_pi() -> None:
    # Without numpy's remainder, the orientations must still be arctan2's folded into [0, pi),
    # bit for bit: a step down to the right points at pi (folded to 0), as one up does.
    from index.descriptor import _gradients

    grey = np.zeros((6, 6), dtype=np.float32)
    grey[:, :3] = 1.0
    grey[4:, :] = np.random.default_rng(1).random((2, 6)).astype(np.float32)
    magnitude, angle = _gradients(grey)
    gy, gx = np.zeros_like(grey), np.zeros_like(grey)
    gy[1:-1], gx[:, 1:-1] = grey[2:] - grey[:-2], grey[:, 2:] - grey[:, :-2]
    assert np.array_equal(angle, np.arctan2(gy, gx) % np.pi)
    assert angle.dtype == np.float32 and (angle >= 0).all() and (angle < np.pi).all()
    assert angle[2, 2] == 0.0 and magnitude[2, 2] == 1.0


def test_soft_bins_wrap_around_a_circular_histogram() -> None:
    # Values in [0, 1] take a comparison instead of numpy's slow integer remainder; any other
    # values still wrap as "%" does.
    from index.descriptor import _soft_bins

    values = np.array([0.0, 0.01, 0.5, 0.99, 1.0, -0.7, 2.6], dtype=np.float32)
    left, right, frac = _soft_bins(values, 8, circular=True)
    start = np.floor(values * 8 - 0.5).astype(np.int64)
    assert left.tolist() == (start % 8).tolist() and right.tolist() == ((start + 1) % 8).tolist()
    assert left[:5].tolist() == [7, 7, 3, 7, 7] and right[:5].tolist() == [0, 0, 4, 0, 0]
    assert np.array_equal(frac, values * 8 - 0.5 - np.floor(values * 8 - 0.5))
