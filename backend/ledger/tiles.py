"""C2SP tlog-tiles arithmetic: tile paths and the right edge of a tree stored as tiles.

A tile at level L holds up to 256 consecutive hashes of tree level 8·L (level 0: leaf hashes);
a full tile never changes, so it is stored once and served with a long cache lifetime. Only the
rightmost, unfinished tile of each level changes as the log grows: `Edge` holds those, a few KB
whatever the log's size, and everything else is read from stored full tiles.
See https://c2sp.org/tlog-tiles.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from backend.ledger.merkle import HASH_SIZE, leaf_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes in a full tile
TILE_BYTES = TILE_WIDTH * HASH_SIZE
_NODE_PREFIX = b"\x01"
_INDEX_PART = re.compile(r"x\d{3}")


@dataclass(frozen=True)
class FullTile:
    """A tile that just filled: its 256 hashes and the hash they make (one hash of the level above)."""

    level: int
    index: int
    hashes: bytes
    root: bytes


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """`tile/<L>/<N>[.p/<W>]`, N in 3-digit groups, all but the last prefixed with x."""
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    partial = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{'/'.join(reversed(groups))}{partial}"


def parse_index(parts: list[str]) -> tuple[int, int]:
    """Tile index and width from the path elements after the level, or ValueError."""
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        if not parts[-1].isdigit() or not 0 < int(parts[-1]) < TILE_WIDTH:
            raise ValueError("bad partial tile width")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2].removesuffix(".p")]
    if not parts or not all(_INDEX_PART.fullmatch(p) for p in parts[:-1]):
        raise ValueError("bad tile index")
    last = parts[-1]
    if len(last) != 3 or not last.isdigit():
        raise ValueError("bad tile index")
    index = 0
    for part in parts:
        index = index * 1000 + int(part.removeprefix("x"))
    return index, width


def pyramid(hashes: bytes) -> list[bytes]:
    """The tile's hashes and every complete node above them inside the tile, level by level."""
    levels = [bytes(hashes)]
    sha256 = hashlib.sha256
    while len(levels[-1]) >= 2 * HASH_SIZE:
        below = levels[-1]
        pairs = len(below) // (2 * HASH_SIZE)
        levels.append(
            b"".join(
                sha256(_NODE_PREFIX + below[i * 2 * HASH_SIZE : (i + 1) * 2 * HASH_SIZE]).digest()
                for i in range(pairs)
            )
        )
    return levels


def tile_root(hashes: bytes) -> bytes:
    """The hash a full tile's 256 hashes make: the node one tile level up."""
    return pyramid(hashes)[TILE_HEIGHT]


def full_tiles(size: int, level: int) -> int:
    """How many full tiles level `level` has in a tree of `size` leaves."""
    return size >> (TILE_HEIGHT * (level + 1))


@dataclass(frozen=True)
class Edge:
    """A tree's size and the hashes of the unfinished tile of each level."""

    size: int = 0
    partial: tuple[bytes, ...] = field(default=())

    def levels(self) -> int:
        """Tile levels with at least one hash (0 for the empty tree)."""
        count, size = 0, self.size
        while size:
            count += 1
            size >>= TILE_HEIGHT
        return count

    def grown(self, entry_hashes: list[bytes]) -> tuple[Edge, list[FullTile]]:
        """This edge with more leaves appended, and the tiles that filled on the way."""
        partial = [bytearray(p) for p in self.partial]
        filled: list[FullTile] = []
        size = self.size
        for entry_hash in entry_hashes:
            size += 1
            carry, level = leaf_hash(entry_hash), 0
            while True:
                if level == len(partial):
                    partial.append(bytearray())
                partial[level] += carry
                if len(partial[level]) < TILE_BYTES:
                    break
                hashes = bytes(partial[level])
                tile = FullTile(level, full_tiles(size, level) - 1, hashes, tile_root(hashes))
                filled.append(tile)
                partial[level] = bytearray()
                carry, level = tile.root, level + 1
        while partial and not partial[-1] and len(partial) > Edge(size).levels():
            partial.pop()
        return Edge(size, tuple(bytes(p) for p in partial)), filled
