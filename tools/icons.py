"""Draws Basira's app icons (the installable web app's, ``assets/icons/``): an eye — بصيرة, insight — in
the dark UI's colours, written as PNG with nothing but numpy, zlib and struct, so anyone can draw them
again and get the same pixels::

    python tools/icons.py            # writes assets/icons/*.png
    python tools/icons.py --check    # exits 1 when a file's pixels differ from what this draws

``basira-<n>.png`` (purpose "any"): the eye on a rounded square, transparent outside it; ``basira-
maskable-<n>.png`` (purpose "maskable") and ``basira-touch-180.png`` (apple-touch-icon): full-bleed
background, the eye inside the central 80 % circle every mask keeps. ``tests/test_mobile_browser.py``
checks the committed files against this drawing.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import numpy as np

ICONS = Path(__file__).resolve().parent.parent / "assets" / "icons"
#: assets/basira.css: --bg, --panel, --accent, --text
BACKGROUND = (0x0B, 0x11, 0x18)
PANEL = (0x12, 0x1C, 0x27)
ACCENT = (0x74, 0xC0, 0xFC)
LIGHT = (0xE8, 0xEE, 0xF4)
SAMPLES = 4  # per pixel and axis: anti-aliased edges
#: file name → (size in px, purpose)
FILES: dict[str, tuple[int, str]] = {
    "basira-192.png": (192, "any"),
    "basira-512.png": (512, "any"),
    "basira-maskable-192.png": (192, "maskable"),
    "basira-maskable-512.png": (512, "maskable"),
    "basira-touch-180.png": (180, "maskable"),  # iOS rounds the corners itself, and wants no transparency
}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample points over the icon in units of its side: (0, 0) the centre, ±0.5 the edges."""
    steps = (np.arange(size * SAMPLES) + 0.5) / (size * SAMPLES) - 0.5
    return np.meshgrid(steps, steps)


def _coverage(inside: np.ndarray, size: int) -> np.ndarray:
    """Share of each pixel's samples inside a shape."""
    return inside.reshape(size, SAMPLES, size, SAMPLES).mean(axis=(1, 3))


def _lens(x: np.ndarray, y: np.ndarray, half_width: float, half_height: float) -> np.ndarray:
    """Signed distance (approximately; < 0 inside) to an eye's almond: two arcs through (±w, 0)."""
    offset = (half_width**2 - half_height**2) / (2 * half_height)
    radius = offset + half_height
    upper = np.hypot(x, y - offset) - radius  # the circle below draws the upper lid, and the other way
    lower = np.hypot(x, y + offset) - radius
    return np.maximum(upper, lower)


def draw(size: int, purpose: str) -> np.ndarray:
    """The icon as ``size × size × 4`` bytes (RGBA)."""
    x, y = _grid(size)
    scale = 0.62 if purpose == "maskable" else 0.74  # maskable: inside the 80 % safe circle
    ex, ey = x / scale, y / scale  # the eye's own units
    layers: list[tuple[tuple[int, int, int], np.ndarray]] = []
    if purpose == "maskable":
        layers.append((BACKGROUND, np.ones_like(x, dtype=bool)))
    else:  # a rounded square, as launchers draw apps
        corner, half = 0.2, 0.47
        qx, qy = np.abs(x) - (half - corner), np.abs(y) - (half - corner)
        outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0)
        layers.append((BACKGROUND, outside - corner <= 0))
    almond = _lens(ex, ey, 0.5, 0.27)
    layers.append((PANEL, almond <= 0))
    layers.append((ACCENT, np.abs(almond) <= 0.035))  # the lids
    iris = np.hypot(ex, ey)
    layers.append((ACCENT, (iris <= 0.2) & (almond <= 0)))
    layers.append((BACKGROUND, iris <= 0.09))  # the pupil
    layers.append((LIGHT, np.hypot(ex + 0.075, ey + 0.075) <= 0.04))  # a glint
    rgb = np.zeros((size, size, 3))
    alpha = np.zeros((size, size))
    for colour, inside in layers:  # "over", from the back: premultiplied colour and alpha
        cover = _coverage(inside, size)
        rgb = rgb * (1 - cover[..., None]) + np.array(colour, dtype=float) * cover[..., None]
        alpha = alpha * (1 - cover) + cover
    shown = np.where(alpha[..., None] > 0, rgb / np.maximum(alpha[..., None], 1e-9), 0)
    return np.dstack([np.round(shown), np.round(alpha * 255)]).clip(0, 255).astype(np.uint8)


def png(pixels: np.ndarray) -> bytes:
    """RGBA pixels as a PNG file (8 bits a channel, no filter)."""
    height, width, _ = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(
        b"IEND", b"")


def read_png(data: bytes) -> np.ndarray:
    """The RGBA pixels of a PNG this module wrote (8-bit RGBA, rows unfiltered)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, width = 8, b"", 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6), "not 8-bit RGBA"
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(-1, 1 + width * 4)
    assert not raw[:, 0].any(), "filtered rows"
    return raw[:, 1:].reshape(len(raw), width, 4)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    differ = []
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, (size, purpose) in FILES.items():
        pixels = draw(size, purpose)
        path = ICONS / name
        if check:
            if not path.exists() or not np.array_equal(read_png(path.read_bytes()), pixels):
                differ.append(name)
        else:
            path.write_bytes(png(pixels))
            print(f"wrote {path.relative_to(ICONS.parent.parent)} ({size}×{size}, {purpose})")
    if differ:
        print("differ from tools/icons.py's drawing:", ", ".join(differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
