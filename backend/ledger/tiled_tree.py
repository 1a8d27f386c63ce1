"""The global Merkle tree, stored as C2SP tlog-tiles in the database and never held whole.

Full tiles are rows of the append-only `ledger_tile` table, written in the same transaction as
the entries that fill them, so tiles and entries can never disagree after a crash. In memory
the tree is only its right edge (`Edge`: the unfinished tile of each level, a few KB at any size)
and a small cache of recently read full tiles. Start-up reads the edge back: the newest stored
tile per level and the entries after the last full leaf tile (fewer than 256, or a few more
after a crash of an older version that wrote entries without tiles; those are tiled then).
Proofs and historic roots are computed from tiles with the RFC 6962 / RFC 9162 algorithms of
`merkle.py`; no proof reads a leaf.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from backend.errors import IntegrityFailure
from backend.ledger.merkle import (
    HASH_SIZE,
    consistency_ranges,
    inclusion_ranges,
    range_hash,
    range_parts,
)
from backend.ledger.tables import LedgerTile
from backend.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Edge,
    FullTile,
    full_tiles,
    pyramid,
)
from backend.ledger.writer import Writer

CACHED_TILES = 256  # about 4 MB of tile pyramids: the recent tiles most proofs touch
REPAIR_PAGE = 50_000
INSERT_TILE = "INSERT INTO ledger_tile (tile_level, tile_index, hashes, root) VALUES (?, ?, ?, ?)"


class TiledTree:
    """Append-only Merkle tree over entry hashes whose full tiles live in `ledger_tile`."""

    def __init__(self) -> None:
        self.edge = Edge()
        # Held by whoever changes the edge: the committer for each batch, sync for a catch-up.
        self.lock = asyncio.Lock()
        self._tiles: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()
        self._edge_pyramids: tuple[Edge, dict[int, list[bytes]]] = (self.edge, {})

    @property
    def size(self) -> int:
        return self.edge.size

    def __len__(self) -> int:
        return self.size

    # -- growing (inside the writer's transaction) ------------------------------------------

    async def grown(self, tx: Writer, first_index: int, entry_hashes: list[bytes]) -> Edge:
        """Write the tiles `entry_hashes` fill (appended at `first_index`); the edge after them.

        The caller adopts the edge once the transaction has committed, so a rolled-back batch
        leaves the tree as it was."""
        edge = self.edge
        if edge.size != first_index:  # another process appended, or this tree is new
            edge = await self.load(tx, first_index)
        edge, filled = edge.grown(entry_hashes)
        await _insert(tx, filled)
        return edge

    async def load(self, tx: Writer, size: int) -> Edge:
        """The edge of the tree of the first `size` entries, read from tiles and the entries
        after them; tiles missing for those entries (a log written before tiles) are written."""
        counts = []
        while True:
            row = (
                await tx.fetch(
                    "SELECT MAX(tile_index) AS top FROM ledger_tile WHERE tile_level = ?",
                    len(counts),
                )
            )[0]
            if row["top"] is None:
                break
            counts.append(row["top"] + 1)
        tiled = min(counts[0] * TILE_WIDTH if counts else 0, size)
        tiled -= tiled % TILE_WIDTH
        for level, count in enumerate(counts):
            if count < full_tiles(tiled, level):
                raise IntegrityFailure(
                    f"tile level {level} holds {count} tiles, fewer than the leaf tiles need",
                    code="tiles_inconsistent",
                )
        partial = []
        for level in range(1, Edge(tiled).levels()):
            end = tiled >> (TILE_HEIGHT * level)  # hashes of this level = tiles of the level below
            start = end - end % TILE_WIDTH
            rows = await tx.fetch(
                "SELECT tile_index, root FROM ledger_tile WHERE tile_level = ? "
                "AND tile_index >= ? AND tile_index < ? ORDER BY tile_index",
                level - 1,
                start,
                end,
            )
            if [r["tile_index"] for r in rows] != list(range(start, end)):
                raise IntegrityFailure(
                    f"tile level {level - 1} is missing tiles before {end}",
                    code="tiles_inconsistent",
                )
            partial.append(b"".join(bytes(r["root"]) for r in rows))
        edge = Edge(tiled, (b"", *partial) if partial else ())
        while edge.size < size:
            rows = await tx.fetch(
                "SELECT log_index, hash FROM ledger_entry WHERE log_index >= ? "
                "AND log_index < ? ORDER BY log_index LIMIT ?",
                edge.size,
                size,
                REPAIR_PAGE,
            )
            if not rows or rows[-1]["log_index"] != edge.size + len(rows) - 1:
                raise IntegrityFailure(f"log has a gap at index {edge.size}", code="log_gap")
            grown, filled = edge.grown([bytes.fromhex(r["hash"]) for r in rows])
            # Tiles the stored ones already hold (the tail of the last full tile) are not
            # written again: only those beyond what each level holds.
            await _insert(tx, [t for t in filled if t.index >= _count(counts, t.level)])
            edge = grown
        return edge

    def adopt(self, edge: Edge) -> None:
        self.edge = edge

    # -- reading -----------------------------------------------------------------------------

    async def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree made of the first `size` leaves (default: all of them)."""
        edge = self.edge
        size = edge.size if size is None else size
        if not 0 <= size <= edge.size:
            raise ValueError(f"tree size {size} out of range 0..{edge.size}")
        return (await self._hashes(edge, [(0, size)]))[0]

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves."""
        edge = self.edge
        if not 0 < size <= edge.size:
            raise ValueError(f"tree size {size} out of range 1..{edge.size}")
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} out of range 0..{size - 1}")
        return await self._hashes(edge, inclusion_ranges(index, size))

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 6962 consistency proof from the tree of `old_size` leaves to that of `new_size`."""
        edge = self.edge
        if not 0 <= new_size <= edge.size:
            raise ValueError(f"new tree size {new_size} out of range 0..{edge.size}")
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old tree size {old_size} out of range 0..{new_size}")
        return await self._hashes(edge, consistency_ranges(old_size, new_size))

    async def tile(self, level: int, index: int, width: int = TILE_WIDTH) -> bytes | None:
        """A tile's bytes as C2SP tlog-tiles serves them, or None if the tree has no such tile."""
        edge = self.edge
        if (
            level < 0
            or index < 0
            or (index * TILE_WIDTH + width) > edge.size >> (TILE_HEIGHT * level)
        ):
            return None
        if index < full_tiles(edge.size, level):
            await self._fetch({(level, index)})
            return self._tiles[(level, index)][0][: width * HASH_SIZE]
        return edge.partial[level][: width * HASH_SIZE]

    async def _hashes(self, edge: Edge, ranges: list[tuple[int, int]]) -> list[bytes]:
        """MTH of each range, after fetching in one query every full tile they need."""
        wanted = set()
        for lo, hi in ranges:
            for height, index in range_parts(lo, hi):
                level, tile = height // TILE_HEIGHT, (index << height % TILE_HEIGHT) >> TILE_HEIGHT
                if tile < full_tiles(edge.size, level):
                    wanted.add((level, tile))
        await self._fetch(wanted)
        return [range_hash(lambda h, i: self._node(edge, h, i), lo, hi) for lo, hi in ranges]

    def _node(self, edge: Edge, height: int, index: int) -> bytes:
        """Hash of the complete subtree of 2**height leaves starting at leaf index * 2**height."""
        level, above = divmod(height, TILE_HEIGHT)
        position = index << above  # among the hashes of tile level `level`
        tile = position >> TILE_HEIGHT
        if tile < full_tiles(edge.size, level):
            levels = self._tiles[(level, tile)]
        else:
            levels = self._edge_pyramid(edge, level)
        start = ((position % TILE_WIDTH) >> above) * HASH_SIZE
        return levels[above][start : start + HASH_SIZE]

    def _edge_pyramid(self, edge: Edge, level: int) -> list[bytes]:
        if self._edge_pyramids[0] is not edge:
            self._edge_pyramids = (edge, {})
        found = self._edge_pyramids[1]
        if level not in found:
            found[level] = pyramid(edge.partial[level])
        return found[level]

    async def _fetch(self, wanted: set[tuple[int, int]]) -> None:
        """Bring these full tiles into the cache (they never change once written)."""
        missing = [key for key in wanted if key not in self._tiles]
        for key in wanted - set(missing):
            self._tiles.move_to_end(key)
        if missing:
            where = " OR ".join("(tile_level = {} AND tile_index = {})" for _ in missing)
            rows = await LedgerTile.raw(
                f"SELECT tile_level, tile_index, hashes FROM ledger_tile WHERE {where}",
                *[n for key in missing for n in key],
            )
            for row in rows:
                self._tiles[(row["tile_level"], row["tile_index"])] = pyramid(bytes(row["hashes"]))
            if len(rows) != len(missing):
                raise IntegrityFailure("a full tile of the log is missing", code="tiles_missing")
        while len(self._tiles) > max(CACHED_TILES, len(wanted)):
            self._tiles.popitem(last=False)


def _count(counts: list[int], level: int) -> int:
    return counts[level] if level < len(counts) else 0


async def _insert(tx: Writer, tiles: list[FullTile]) -> None:
    if tiles:
        await tx.executemany(INSERT_TILE, [(t.level, t.index, t.hashes, t.root) for t in tiles])


def as_rows(tiles: list[FullTile]) -> list[tuple[Any, ...]]:
    """Rows for `INSERT_TILE` (the benchmark writes a synthetic log's tiles directly)."""
    return [(t.level, t.index, t.hashes, t.root) for t in tiles]
