"""PWA icon generator: draws the CaseTrail icons (any + maskable) into pwa/icons/ with Pillow."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "pwa" / "icons"
BRAND = (11, 79, 138, 255)
WHITE = (255, 255, 255, 255)


def draw_icon(size: int, maskable: bool) -> Image.Image:
    """A white trail of three linked nodes on the brand colour; maskable keeps it in the 80% safe zone."""
    img = Image.new("RGBA", (size, size), BRAND if maskable else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=BRAND)
    inset = size * (0.3 if maskable else 0.22)
    lo, hi = inset, size - inset
    points = [(lo, hi), ((lo + hi) / 2, (lo + hi) / 2 + size * 0.06), (hi, lo)]
    d.line(points, fill=WHITE, width=max(2, size // 18), joint="curve")
    r = size * 0.07
    for x, y in points:
        d.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)
    return img


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    draw_icon(192, False).save(ICONS / "icon-192.png", optimize=True)
    draw_icon(512, False).save(ICONS / "icon-512.png", optimize=True)
    draw_icon(512, True).save(ICONS / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
