"""Tile arithmetic: paths as C2SP tlog-tiles spells them, and an edge that grows like the tree."""

from __future__ import annotations

import hashlib
import random

import pytest

from backend.ledger.merkle import MerkleTree
from backend.ledger.tiles import TILE_BYTES, Edge, parse_index, tile_path


def entries(n: int, start: int = 0) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(start, start + n)]


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 0, 256, "tile/0/000"),
        (0, 1234067, 256, "tile/0/x001/x234/067"),
        (1, 1234067, 8, "tile/1/x001/x234/067.p/8"),
        (2, 999, 255, "tile/2/999.p/255"),
        (0, 1000, 1, "tile/0/x001/000.p/1"),
    ],
)
def test_tile_paths_are_spelled_as_the_specification_spells_them(level, index, width, path):
    assert tile_path(level, index, width) == path
    assert parse_index(path.split("/")[2:]) == (index, width)


@pytest.mark.parametrize(
    "rest", ["", "1234", "x001", "001/x234", "000.p/0", "000.p/256", "000.p/x", "0a0", "x01/000"]
)
def test_a_malformed_tile_index_is_refused(rest):
    with pytest.raises(ValueError):
        parse_index(rest.split("/") if rest else [])


def test_the_edge_fills_tiles_with_the_trees_hashes_whatever_the_batches():
    leaves = entries(256 * 256 + 300)
    tree = MerkleTree(leaves)
    edge, filled, rng, done = Edge(), [], random.Random(7), 0
    while done < len(leaves):
        step = rng.choice([1, 3, 255, 256, 1000, 5000])
        edge, new = edge.grown(leaves[done : done + step])
        filled += new
        done += step
    assert edge.size == tree.size
    leaf_tiles = [t for t in filled if t.level == 0]
    assert [t.index for t in leaf_tiles] == list(range(256 + 1))
    for tile in leaf_tiles[::37]:
        assert tile.hashes == b"".join(
            tree.leaf(i) for i in range(tile.index * 256, tile.index * 256 + 256)
        )
        assert tile.root == tree._complete(8, tile.index)
    [upper] = [t for t in filled if t.level == 1]
    assert upper.root == tree.root(256 * 256)
    # The unfinished tiles: 300 leaves past the last full tile of level 1, one hash on level 2.
    assert len(edge.partial[0]) == (300 % 256) * 32
    assert edge.partial[1] == tree._complete(8, 256)
    assert edge.partial[2] == tree._complete(16, 0)
    assert all(len(p) < TILE_BYTES for p in edge.partial)
