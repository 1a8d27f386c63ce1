"""Image safety: decoding uploaded photos under bomb limits, thumbnails and metadata-free copies.

Every photo that reaches Pillow goes through `open_image_safely`: only photo formats are tried,
the pixel count is capped before decoding, and the whole image is decoded so a truncated file
fails here rather than later in a thumbnail job.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, ImageFile, ImageOps

# 60 MP covers every current phone sensor (a 200 MP mode stores 12–50 MP images by default)
# while bounding a decode at roughly 240 MB of RGBA.
MAX_IMAGE_PIXELS = 60_000_000
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


def open_image_safely(
    path: Path, max_pixels: int = MAX_IMAGE_PIXELS, draft_side: int | None = None
) -> Image.Image:
    """Open and fully decode a JPEG, PNG, WebP or HEIC photo, or raise UnsafeImage.

    With `draft_side`, a JPEG is decoded at the smallest DCT scale whose longer side is still at
    least that (libjpeg's draft mode): every byte of the scan is still read, so a corrupt file
    still fails, at a fraction of the cost of a full decode.
    """
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
            im.load()
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


def make_thumbnail(path: Path, out_path: Path, max_side: int = 480) -> tuple[int, int]:
    """Write a metadata-free JPEG thumbnail, upright, no side over `max_side`; return its size."""
    with open_image_safely(path, draft_side=max_side) as im:
        thumb = _upright_srgb_without_metadata(im)
    thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumb.save(out_path, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return thumb.size


def make_public_copy(path: Path, out_path: Path) -> None:
    """Write a re-encoded JPEG with no EXIF, GPS, XMP, ICC profile or comment, for public use."""
    with open_image_safely(path) as im:
        clean = _upright_srgb_without_metadata(im)
    clean.save(out_path, "JPEG", quality=PUBLIC_COPY_QUALITY, optimize=True)


def _upright_srgb_without_metadata(im: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(im)
    icc = upright.info.get("icc_profile")
    if icc and upright.mode in ("RGB", "CMYK"):
        # Dropping a wide-gamut profile (Display P3 on iPhones) without converting would
        # shift colours, so bake it into sRGB first.
        try:
            converted = ImageCms.profileToProfile(
                upright,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                upright = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    if upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = upright.convert("RGB")
    # A fresh image carries an empty `info`, so no EXIF, XMP, ICC or comment can ride along.
    clean = Image.new("RGB", flat.size)
    clean.paste(flat)
    return clean


def _close(im: Image.Image | None) -> None:
    if im is not None:
        im.close()
