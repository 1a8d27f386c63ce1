"""The global log's Merkle tree agrees with RFC 6962's own definitions, and its proofs catch tampering."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    verify_consistency,
    verify_inclusion,
)

# --- RFC 6962 §2.1, written as literally as possible to serve as the reference ----------------


def ref_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def ref_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, data[:k]) + [ref_mth(data[k:])]
    return ref_path(m - k, data[k:]) + [ref_mth(data[:k])]


def ref_subproof(m: int, data: list[bytes], b: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if b else [ref_mth(data)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return ref_subproof(m, data[:k], b) + [ref_mth(data[k:])]
    return ref_subproof(m - k, data[k:], False) + [ref_mth(data[:k])]


def ref_proof(m: int, data: list[bytes]) -> list[bytes]:
    return ref_subproof(m, data, True)


def entry(i: int) -> bytes:
    return hashlib.sha256(f"entry {i}".encode()).digest()


def entries(n: int) -> list[bytes]:
    return [entry(i) for i in range(n)]


def flip(value: bytes, bit: int) -> bytes:
    as_int = int.from_bytes(value, "big") ^ (1 << (bit % (8 * len(value))))
    return as_int.to_bytes(len(value), "big")


# Leaves of the certificate-transparency reference test suite and the roots it publishes for
# their prefixes; they pin the reference above (and so the tree checked against it) to RFC 6962.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_reference_matches_the_published_certificate_transparency_roots():
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert ref_mth(CT_LEAVES[:size]).hex() == expected


def test_an_empty_log_has_the_hash_of_nothing_as_its_root():
    assert MerkleTree().root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MerkleTree().size == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_every_historic_root_equals_the_rfc_definition(n):
    data = entries(n)
    tree = MerkleTree(data)
    assert tree.size == n
    for size in range(n + 1):
        assert tree.root(size) == ref_mth(data[:size])


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=300))
def test_appending_one_by_one_gives_the_same_tree_as_building_at_once(n):
    data = entries(n)
    tree = MerkleTree()
    for i, e in enumerate(data):
        assert tree.append(e) == i
        assert tree.root() == ref_mth(data[: i + 1])
    half = MerkleTree(data[: n // 2])
    half.extend(data[n // 2 :])
    assert half.root() == tree.root() == MerkleTree(data).root()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_inclusion_proofs_match_the_rfc_and_verify(draw):
    n = draw.draw(st.integers(min_value=1, max_value=300))
    tree = MerkleTree(entries(n))
    size = draw.draw(st.integers(min_value=1, max_value=n))
    index = draw.draw(st.integers(min_value=0, max_value=size - 1))
    data = entries(size)
    proof = tree.inclusion_proof(index, size)
    assert proof == ref_path(index, data)
    assert verify_inclusion(data[index], index, size, proof, tree.root(size))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_tampered_inclusion_proof_is_caught(draw):
    size = draw.draw(st.integers(min_value=1, max_value=300))
    index = draw.draw(st.integers(min_value=0, max_value=size - 1))
    tree = MerkleTree(entries(size))
    proof = tree.inclusion_proof(index, size)
    root = tree.root()
    bit = draw.draw(st.integers(min_value=0, max_value=255))

    assert not verify_inclusion(flip(entry(index), bit), index, size, proof, root)
    assert not verify_inclusion(entry(index), index, size, proof, flip(root, bit))
    if proof:
        at = draw.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        forged = list(proof)
        forged[at] = flip(forged[at], bit)
        assert not verify_inclusion(entry(index), index, size, forged, root)
        assert not verify_inclusion(entry(index), index, size, proof[:-1], root)
    assert not verify_inclusion(entry(index), index, size, [*proof, root], root)
    other = draw.draw(st.integers(min_value=0, max_value=size - 1))
    if other != index:
        assert not verify_inclusion(entry(index), other, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_consistency_proofs_match_the_rfc_and_verify(draw):
    new = draw.draw(st.integers(min_value=1, max_value=300))
    old = draw.draw(st.integers(min_value=1, max_value=new))
    tree = MerkleTree(entries(new))
    proof = tree.consistency_proof(old, new)
    if old < new:
        assert proof == ref_proof(old, entries(new))
    else:
        assert proof == []
    assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_an_insider_who_rewrites_history_fails_the_next_consistency_proof(draw):
    new = draw.draw(st.integers(min_value=2, max_value=300))
    old = draw.draw(st.integers(min_value=1, max_value=new - 1))
    honest = MerkleTree(entries(new))
    old_root = honest.root(old)  # what a party's receipt kept

    rewritten = entries(new)
    victim = draw.draw(st.integers(min_value=0, max_value=old - 1))
    rewritten[victim] = hashlib.sha256(b"doctored record").digest()
    forged = MerkleTree(rewritten)
    proof = forged.consistency_proof(old, new)
    assert not verify_consistency(old, new, old_root, forged.root(new), proof)

    good = honest.consistency_proof(old, new)
    bit = draw.draw(st.integers(min_value=0, max_value=255))
    at = draw.draw(st.integers(min_value=0, max_value=len(good) - 1))
    tampered = list(good)
    tampered[at] = flip(tampered[at], bit)
    assert not verify_consistency(old, new, old_root, honest.root(new), tampered)
    assert not verify_consistency(old, new, flip(old_root, bit), honest.root(new), good)
    assert not verify_consistency(old, new, old_root, flip(honest.root(new), bit), good)
    assert not verify_consistency(old, new, old_root, honest.root(new), good[:-1])
    assert not verify_consistency(old, new, old_root, honest.root(new), [])


def test_trivial_consistency_needs_an_empty_proof_and_matching_roots():
    tree = MerkleTree(entries(5))
    assert tree.consistency_proof(0, 5) == []
    assert tree.consistency_proof(5, 5) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, tree.root(), [])
    assert verify_consistency(5, 5, tree.root(), tree.root(), [])
    assert not verify_consistency(5, 5, tree.root(4), tree.root(), [])
    assert not verify_consistency(5, 5, tree.root(), tree.root(), [tree.root()])
    assert not verify_consistency(5, 4, tree.root(), tree.root(4), [])


def test_out_of_range_requests_are_refused():
    tree = MerkleTree(entries(4))
    for bad in (
        lambda: tree.root(5),
        lambda: tree.root(-1),
        lambda: tree.inclusion_proof(4, 4),
        lambda: tree.inclusion_proof(-1, 4),
        lambda: tree.inclusion_proof(0, 5),
        lambda: tree.inclusion_proof(0, 0),
        lambda: tree.consistency_proof(3, 5),
        lambda: tree.consistency_proof(4, 3),
        lambda: tree.consistency_proof(-1, 3),
        lambda: tree.leaf(4),
        lambda: tree.append(b"short"),
        lambda: tree.extend([entry(9), b"x" * 33]),
    ):
        with pytest.raises(ValueError):
            bad()
    assert tree.size == 4  # a rejected batch adds nothing


def test_malformed_proof_inputs_fail_instead_of_raising():
    tree = MerkleTree(entries(8))
    proof = tree.inclusion_proof(3, 8)
    assert not verify_inclusion(entry(3), 3, 8, [*proof[:-1], b"short"], tree.root())
    assert not verify_inclusion(entry(3), 8, 8, proof, tree.root())
    assert not verify_inclusion(entry(3), -1, 8, proof, tree.root())
    assert not verify_inclusion(entry(3)[:31], 3, 8, proof, tree.root())
    assert not verify_consistency(-1, 8, tree.root(3), tree.root(), proof)


def test_a_proof_at_a_million_leaves_verifies():
    # How quick it is, scripts/bench_ledger.py prints (proof_1m_ms); a test only says it is right.
    tree = MerkleTree(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 20))
    proof = tree.inclusion_proof(777_777, tree.size)
    assert verify_inclusion(
        hashlib.sha256((777_777).to_bytes(4, "big")).digest(),
        777_777,
        tree.size,
        proof,
        tree.root(),
    )
