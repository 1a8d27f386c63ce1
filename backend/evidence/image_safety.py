"""Image safety: decoding uploaded photos under bomb limits, thumbnails and metadata-free copies.

Every photo that reaches Pillow goes through `open_image_safely`: only photo formats are tried,
the pixel count and the memory the decoded pixels would take are capped before decoding, and the
whole image is decoded so a truncated file fails here rather than later in a thumbnail job.

Memory: a few kilobytes of PNG can declare 60 MP of one colour, a quarter of a gigabyte once
decoded, and PNG has no reduced decode. So a decode holds one of `DECODE_SLOTS` slots
(`decode_slot`) for as long as its full-size pixels live, and a thumbnail is shrunk strip by strip
right after the decode, before any whole-image copy: concurrent first thumbnails queue instead of
adding up.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageFile, ImageMode, ImageOps

# 60 MP covers every current phone sensor (a 200 MP mode stores 12–50 MP images by default)
# while bounding a decode at roughly 240 MB of RGBA.
MAX_IMAGE_PIXELS = 60_000_000
# What the decoded pixels of one image may take: a 60 MP photo in RGB (stored as 4 bytes a pixel)
# fits; a 16-bit or alpha-heavy file of the same pixel count may not.
MAX_DECODE_BYTES = 256 * 1024 * 1024
# Full-size decodes alive at once per process; the rest wait (see decode_slot).
DECODE_SLOTS = 1
# Source rows a thumbnail shrinks at a time: a strip of a few megabytes is copied, never the image.
_STRIP_BYTES = 4 * 1024 * 1024
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
THUMBNAIL_QUALITY = 85
PUBLIC_COPY_QUALITY = 90

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False
pillow_heif.register_heif_opener()


class UnsafeImage(ValueError):
    """The image was refused; `reason` is `bomb`, `truncated` or `undecodable`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


_slots = threading.BoundedSemaphore(DECODE_SLOTS)


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the process's decode slots: wrap a full-size decode and every use of its pixels.

    A threading semaphore rather than an asyncio one: decodes run in worker threads, and some
    callers (dossier export) are not on an event loop at all.
    """
    with _slots:
        yield


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """Memory Pillow will allocate for the pixels of an image of this mode and size."""
    spec = ImageMode.getmode(mode)
    item = int(spec.typestr[-1])  # "|u1", "<u2", "<i4", "<f4"
    # Pillow keeps every multi-band mode (LA, RGB, RGBA, CMYK...) in four bytes a pixel.
    per_pixel = item if len(spec.bands) == 1 else 4 * item
    return size[0] * size[1] * per_pixel


def open_image_safely(
    path: Path,
    max_pixels: int = MAX_IMAGE_PIXELS,
    draft_side: int | None = None,
    max_bytes: int | None = None,
) -> Image.Image:
    """Open and fully decode a JPEG, PNG, WebP or HEIC photo, or raise UnsafeImage.

    With `draft_side`, a JPEG is decoded at the smallest DCT scale whose longer side is still at
    least that (libjpeg's draft mode): every byte of the scan is still read, so a corrupt file
    still fails, at a fraction of the cost of a full decode. An image whose decoded pixels would
    take more than `max_bytes` (default MAX_DECODE_BYTES) is refused from its header, before any
    pixel is decoded. Callers hold a `decode_slot` while the image lives.
    """
    max_bytes = MAX_DECODE_BYTES if max_bytes is None else max_bytes
    im: Image.Image | None = None
    try:
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; make the warning an error.
        # catch_warnings is process-global, so the explicit size check below is what holds
        # when requests decode concurrently.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path, formats=PHOTO_FORMATS)
            width, height = im.size
            if width * height > max_pixels:
                raise UnsafeImage("bomb", f"{width}x{height} is over the {max_pixels} pixel limit")
            if draft_side is not None and im.format == "JPEG":
                scale = min(1.0, draft_side / max(width, height))
                im.draft("RGB", (int(width * scale), int(height * scale)))
            need = decoded_bytes(im.mode, im.size)
            if need > max_bytes:
                raise UnsafeImage(
                    "bomb",
                    f"decoding {im.width}x{im.height} {im.mode} needs {need >> 20} MB, "
                    f"over the {max_bytes >> 20} MB limit",
                )
            _decode(im)
        return im
    except UnsafeImage:
        _close(im)
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        _close(im)
        raise UnsafeImage("bomb", str(exc)) from exc
    except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError... on bad input
        _close(im)
        reason = "truncated" if "truncated" in str(exc).lower() else "undecodable"
        raise UnsafeImage(reason, f"{type(exc).__name__}: {exc}") from exc


def _decode(im: Image.Image) -> None:
    im.load()


def make_thumbnail(path: Path, out_path: Path, max_side: int = 480) -> tuple[int, int]:
    """Write a metadata-free JPEG thumbnail, upright, no side over `max_side`; return its size."""
    with decode_slot(), open_image_safely(path, draft_side=max_side) as im:
        # Orientation, colour profile and flattening work on the small copy, never at full size.
        small = shrink(im, max_side)
    thumb = _upright_srgb_without_metadata(small)
    del small
    thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumb.save(out_path, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return thumb.size


def make_public_copy(path: Path, out_path: Path) -> None:
    """Write a re-encoded JPEG with no EXIF, GPS, XMP, ICC profile or comment, for public use."""
    with decode_slot():
        clean = _upright_srgb_without_metadata(open_image_safely(path))
        clean.save(out_path, "JPEG", quality=PUBLIC_COPY_QUALITY, optimize=True)
        del clean  # the full-size copy goes before the slot does


def shrink(im: Image.Image, max_side: int) -> Image.Image:
    """A new image at least twice `max_side` on its longer side, box-reduced strip by strip.

    `Image.reduce` on a whole RGBA or palette image converts all of it first, a second full-size
    copy; a strip at a time only ever copies a strip. Carries `im.info` (orientation, profile,
    transparency) for the steps after it.
    """
    factor = max(1, max(im.size) // (2 * max_side))
    if factor == 1:
        return im.copy()
    width, height = im.size
    rows = max(1, _STRIP_BYTES // max(1, decoded_bytes(im.mode, (width, factor)))) * factor
    pieces = []
    for top in range(0, height, rows):
        strip = im.crop((0, top, width, min(height, top + rows)))
        if strip.mode in ("1", "P", "PA") or strip.mode.startswith("I;16"):
            # These modes cannot be averaged as they are (palette indices, bit-packed, 16-bit).
            strip = strip.convert("RGBA" if _has_alpha(strip) else "RGB")
        pieces.append((top // factor, strip.reduce(factor)))
    out = Image.new(pieces[0][1].mode, (-(-width // factor), -(-height // factor)))
    for y, piece in pieces:
        out.paste(piece, (0, y))
    out.info = dict(im.info)
    if "transparency" in out.info and out.mode != im.mode:
        del out.info["transparency"]  # now in the alpha band, or meaningless for the new mode
    return out


def _has_alpha(im: Image.Image) -> bool:
    return "A" in im.getbands() or "transparency" in im.info


def _upright_srgb_without_metadata(im: Image.Image) -> Image.Image:
    """The pixels of `im`, upright, in sRGB, on white, with no metadata; `im` is used up.

    The caller passes its only reference, so each step's input is freed as the next is made: a
    full-size public copy holds two images at most, never four.
    """
    ImageOps.exif_transpose(im, in_place=True)
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "CMYK"):
        # Dropping a wide-gamut profile (Display P3 on iPhones) without converting would
        # shift colours, so bake it into sRGB first.
        try:
            converted = ImageCms.profileToProfile(
                im,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                im = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        del im
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        del rgba
    else:
        flat = im if im.mode == "RGB" else im.convert("RGB")
        del im
    # A fresh image carries an empty `info`, so no EXIF, XMP, ICC or comment can ride along.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    return clean


def _close(im: Image.Image | None) -> None:
    if im is not None:
        im.close()
