"""Derivatives of a stored original: thumbnail, EXIF-free public copy, video poster.

Each is a blob of its own that names its original, made when first asked for (the capture path
stays as fast as the disk) and always makeable again from the original.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from backend.blobstore import BlobStore, local_copy
from backend.evidence.image_safety import (
    DECODE_SLOTS,
    UnsafeImage,
    decode_slot,
    make_public_copy,
    make_thumbnail,
    open_image_safely,
)
from backend.evidence.ingest_checks import Unprocessable
from backend.evidence.media_probe import poster_frame
from backend.evidence.refusals import refusal
from backend.evidence.tables import EvidenceDerivative

VARIANTS = ("thumbnail", "public", "poster")
THUMBNAIL_SIDE = 480
# Derivatives are made on threads of their own, as many as there are decode slots: first
# thumbnails asked for together queue here as futures, not as threads of the default pool
# parked on the slot (which file reads and hashing of every other request share).
_derive_threads = ThreadPoolExecutor(DECODE_SLOTS, thread_name_prefix="derive")


async def ensure_derivatives(
    blobs: BlobStore,
    original: str,
    media_type: str,
    tmp_dir: Path,
    variants: Iterable[str] | None = None,
) -> dict[str, str]:
    """Make the missing derivatives of `original` among `variants` (default: all its kind has).

    Returns {variant: sha256} of every derivative made so far.
    """
    rows = await EvidenceDerivative.select().where(EvidenceDerivative.original == original)
    have = {r["variant"]: r["sha256"] for r in rows}
    wanted = _variants_for(media_type)
    if variants is not None:
        wanted &= set(variants)
    if all(v in have for v in wanted):
        return have
    tmp_dir.mkdir(parents=True, exist_ok=True)
    async with local_copy(blobs, original, tmp_dir) as source:
        with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="derive-") as work:
            try:
                made = await asyncio.get_running_loop().run_in_executor(
                    _derive_threads,
                    _make_derivatives,
                    source,
                    media_type,
                    Path(work),
                    wanted - set(have),
                )
            except UnsafeImage as bad:  # stored before today's limits, or over the memory cap
                raise refusal(Unprocessable, "unsafe_image", bad, bad.reason) from bad
            for variant, (path, size) in made.items():
                sha = await asyncio.to_thread(_sha256_file, path)
                await blobs.put_file(path, sha)
                try:
                    await EvidenceDerivative.insert(
                        EvidenceDerivative(
                            original=original,
                            variant=variant,
                            sha256=sha,
                            media_type="image/jpeg",
                            width=size[0],
                            height=size[1],
                            created_at=datetime.now(UTC),
                        )
                    )
                except Exception as exc:  # another request made the same variant first
                    if "unique" not in str(exc).lower():
                        raise
                    continue
                have[variant] = sha
    return have


def _variants_for(media_type: str) -> set[str]:
    if media_type.startswith("image/"):
        return {"thumbnail", "public"}
    if media_type.startswith("video/"):
        return {"poster", "thumbnail"}
    return set()


def _make_derivatives(
    source: Path, media_type: str, work: Path, variants: set[str]
) -> dict[str, tuple[Path, tuple[int, int]]]:
    made: dict[str, tuple[Path, tuple[int, int]]] = {}
    image_source = source
    if media_type.startswith("video/"):
        poster = work / "poster.jpg"
        if not poster_frame(source, poster):
            return made
        with decode_slot(), open_image_safely(poster) as im:
            size = im.size
        made["poster"] = (poster, size)
        image_source = poster
    if "thumbnail" in variants:
        thumb = work / "thumbnail.jpg"
        made["thumbnail"] = (thumb, make_thumbnail(image_source, thumb, THUMBNAIL_SIDE))
    if "public" in variants:
        public = work / "public.jpg"
        make_public_copy(image_source, public)
        with Image.open(public) as im:  # our own re-encoded file: its header is enough
            made["public"] = (public, im.size)
    return {k: v for k, v in made.items() if k in variants}


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
