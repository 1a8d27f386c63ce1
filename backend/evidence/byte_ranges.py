"""HTTP byte ranges (RFC 9110 §14) for blob downloads: parsing `Range` and streaming a slice.

Only a single range is served; a multi-range request gets the whole blob (a server may ignore
Range), which is what browsers seeking in a video never send anyway.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from backend.blobstore import BlobStore
from backend.errors import CaseTrailError

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)")
SLICE = 1 << 20  # bytes read from the store per step, so memory stays flat whatever the range


class RangeNotSatisfiable(CaseTrailError):
    status, code = 416, "range_not_satisfiable"


@dataclass(frozen=True)
class ByteRange:
    """Bytes [start, end) of a blob of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range a `Range` header asks for; None means "send it all" (absent, multi or unknown).

    Raises RangeNotSatisfiable when the one range asked for lies beyond the blob.
    """
    if not header:
        return None
    match = _SINGLE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None  # another unit, several ranges, or nonsense: ignored, as RFC 9110 allows
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - count), size, size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        raise _unsatisfiable(size)
    return ByteRange(start, end, size)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"the range lies outside the {size} bytes of this blob", detail={"size": size}
    )


async def stream_range(blobs: BlobStore, sha256: str, wanted: ByteRange) -> AsyncIterator[bytes]:
    """The bytes of `wanted`, read from the store one slice at a time."""
    position = wanted.start
    while position < wanted.end:
        chunk = await blobs.read_range(sha256, position, min(position + SLICE, wanted.end))
        if not chunk:
            return
        position += len(chunk)
        yield chunk
