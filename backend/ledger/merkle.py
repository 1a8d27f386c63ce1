"""Merkle tree of the global log: RFC 6962 / RFC 9162 hashing, proofs and their verification.

Leaves are the 32-byte raw entry hashes. The tree keeps, for every level, the hashes of all
complete subtrees at that level (level 0 = leaf hashes), so appends, historic roots and proofs
all cost O(log n) hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry_hash: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || entry_hash)."""
    return hashlib.sha256(_LEAF_PREFIX + entry_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n > 1): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _entry_bytes(entry_hash: bytes) -> bytes:
    data = bytes(entry_hash)
    if len(data) != HASH_SIZE:
        raise ValueError(f"a leaf must be a {HASH_SIZE}-byte entry hash, got {len(data)} bytes")
    return data


def range_parts(lo: int, hi: int) -> list[tuple[int, int]]:
    """The complete subtrees (height, index) whose hashes make MTH(D[lo:hi]), left to right.

    RFC 6962's recursion only produces ranges that start at a multiple of the largest power of
    two not above their length, so a range is a run of complete subtrees, one per set bit of its
    length. Knowing them before hashing lets a tiled tree fetch every tile a proof needs at once.
    """
    parts: list[tuple[int, int]] = []
    n, offset = hi - lo, lo
    for height in range(n.bit_length() - 1, -1, -1):
        if n >> height & 1:
            parts.append((height, offset >> height))
            offset += 1 << height
    return parts


def range_hash(node: Callable[[int, int], bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from `node(height, index)`, the hash of a complete subtree."""
    parts = [node(height, index) for height, index in range_parts(lo, hi)]
    if not parts:
        return EMPTY_ROOT
    result = parts[-1]
    for left in reversed(parts[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes are the RFC 6962 audit path of leaf `index` in a tree of `size`."""
    path: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes are the RFC 6962 consistency proof from old_size to new_size."""
    if old_size in (0, new_size):
        return []
    proof: list[tuple[int, int]] = []
    lo, hi, m = 0, new_size, old_size
    whole_old_tree = True  # the `b` flag of RFC 6962 SUBPROOF
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            lo += k
            m -= k
            whole_old_tree = False
    if not whole_old_tree:
        proof.append((lo, hi))
    proof.reverse()
    return proof


class MerkleTree:
    """In-memory, append-only Merkle tree over entry hashes."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        # Each level is one flat bytearray of 32-byte hashes: at a million leaves this is about
        # half the memory of a list of bytes objects. Invariant: len(level k+1) == len(level k) // 2.
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaves)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0]) // HASH_SIZE

    def __len__(self) -> int:
        return self.size

    def append(self, entry_hash: bytes) -> int:
        """Add one leaf; return its index."""
        index = self.size
        self._levels[0] += leaf_hash(_entry_bytes(entry_hash))
        self._grow()
        return index

    def extend(self, entry_hashes: Iterable[bytes]) -> None:
        """Add many leaves at once (hashes level by level, much faster than repeated append)."""
        items = list(entry_hashes)
        for item in items:
            if len(item) != HASH_SIZE:
                _entry_bytes(item)  # raises with the message
        if items:
            sha256 = hashlib.sha256
            self._levels[0] += b"".join(sha256(_LEAF_PREFIX + h).digest() for h in items)
            self._grow()

    def _grow(self) -> None:
        """Hash every newly completed pair on each level into the level above."""
        sha256 = hashlib.sha256
        level = 0
        while True:
            below = self._levels[level]
            pairs = len(below) // (2 * HASH_SIZE)
            if level + 1 == len(self._levels):
                if pairs == 0:
                    return
                self._levels.append(bytearray())
            above = self._levels[level + 1]
            done = len(above) // HASH_SIZE
            if done == pairs:
                return
            view = memoryview(below)
            step = 2 * HASH_SIZE
            above += b"".join(
                sha256(_NODE_PREFIX + view[i * step : (i + 1) * step]).digest()
                for i in range(done, pairs)
            )
            view.release()
            level += 1

    def _complete(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree of 2**level leaves starting at leaf index * 2**level."""
        start = index * HASH_SIZE
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def _range_hash(self, lo: int, hi: int) -> bytes:
        return range_hash(self._complete, lo, hi)

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree made of the first `size` leaves (default: all of them)."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} out of range 0..{self.size}")
        return self._range_hash(0, size)

    def hashes(self, height: int, start: int, count: int) -> bytes:
        """The hashes of complete subtrees of 2**height leaves number start..start+count-1, as far
        as the tree has them (a tile's worth, to compare with a stored tile)."""
        if height >= len(self._levels):
            return b""
        return bytes(self._levels[height][start * HASH_SIZE : (start + count) * HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        """Leaf hash (not the entry hash) at `index`."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf index {index} out of range 0..{self.size - 1}")
        return self._complete(0, index)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves."""
        if not 0 < size <= self.size:
            raise ValueError(f"tree size {size} out of range 1..{self.size}")
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} out of range 0..{size - 1}")
        return [self._range_hash(lo, hi) for lo, hi in inclusion_ranges(index, size)]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 6962 consistency proof from the tree of `old_size` leaves to that of `new_size`.

        Empty when old_size is 0 or equal to new_size (nothing to prove).
        """
        if not 0 <= new_size <= self.size:
            raise ValueError(f"new tree size {new_size} out of range 0..{self.size}")
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old tree size {old_size} out of range 0..{new_size}")
        return [self._range_hash(lo, hi) for lo, hi in consistency_ranges(old_size, new_size)]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def verify_inclusion(
    entry_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an audit path (RFC 9162 §2.1.3.2). Any malformed input is simply a failed proof."""
    if not (_is_hash(entry_hash) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash(bytes(entry_hash))
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2). Any malformed input is a failed proof.

    A tree is consistent with the empty tree and with itself only through an empty proof.
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
