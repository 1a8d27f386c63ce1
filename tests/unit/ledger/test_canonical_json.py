"""Canonical JSON is rfc8785's, byte for byte, whichever way it is written, and reads back as it did."""

from __future__ import annotations

import json
import math
import random
import struct
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.ledger import canonical_json
from backend.ledger.canonical_json import canonical, read_canonical
from backend.ledger.entry import Draft

# Characters where JSON writers tend to differ: escapes and their short forms, DEL, the line
# separators JavaScript once refused, BOM, specials, astral characters, and lone surrogates.
TRICKY_CHARS = [chr(c) for c in range(0x20)] + [
    '"', "\\", "/", "\x7f", "\x80", "\u00e9", "\u2028", "\u2029", "\ufeff", "\ue000", "\uffff",
    "中", "案", "\U0001f600", "\U0010ffff", "\ud800", "\udbff", "\udc00", "\udfff",
]  # fmt: skip
characters = st.one_of(
    st.sampled_from(TRICKY_CHARS),
    st.characters(exclude_categories=()),  # every code point, surrogates included
    st.characters(max_codepoint=0x7F),
)
texts = st.text(characters, max_size=12)

SAFE = 2**53 - 1
integers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(),  # beyond ±(2^53 - 1): rfc8785 refuses, and so must canonical
    st.sampled_from([SAFE, -SAFE, SAFE + 1, -SAFE - 1, 2**53, 2**63, -(2**64)]),
)


def neighbours(x: float) -> list[float]:
    return [math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)]


EDGE_FLOATS = [
    f
    for x in [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 0.1, 0.5, 1.0, 8.0, 1e15, 1e16, 2.0**52, 2.0**53]
    + [1e20, 1e21, 1e22, 5e-324, 2.2250738585072014e-308, sys.float_info.max]
    for f in neighbours(x) + neighbours(-x)
] + [-0.0, math.inf, -math.inf, math.nan]
floats = st.one_of(
    st.floats(),  # every magnitude, NaN and the infinities included
    st.sampled_from(EDGE_FLOATS),
    # Short decimals, as a GPS fix or a measurement is written (38.04, 114.51, 0.0035)
    st.builds(lambda m, e: float(f"{m}e{e}"), st.integers(-(10**9), 10**9), st.integers(-12, 8)),
)
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
keys = st.one_of(texts, st.sampled_from(["a", "b", "", "é", "\ue000", "\U0001f600", "\ud800"]))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=6),
        # keys rfc8785 refuses (not strings), now and then
        st.dictionaries(st.one_of(keys, st.integers(0, 3), st.none()), inner, max_size=3),
    ),
    max_leaves=30,
)

# Values of the kinds entry bodies hold, which mostly take the quick path through nested containers.
body_keys = st.text(st.characters(max_codepoint=0xD7FF), max_size=8)
body_floats = st.one_of(
    st.floats(1e-5, 2.0**53),
    st.floats(-(2.0**53), -1e-5),
    st.integers(-(2**53), 2**53).map(float),
    st.builds(lambda m, e: float(f"{m}e{e}"), st.integers(-(10**9), 10**9), st.integers(-5, 5)),
)
body_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-SAFE, SAFE), body_floats, texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(body_keys, inner, max_size=6)
    ),
    max_leaves=30,
)


def outcome(dumps: Any, value: Any) -> tuple[str, Any]:
    try:
        return "bytes", dumps(value)
    except Exception as exc:
        return "raises", type(exc)


def exactly(value: Any) -> Any:
    """A value with its types spelled out, so 1 and 1.0 (equal in Python) compare as different."""
    if isinstance(value, dict):
        return {k: exactly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exactly(v) for v in value]
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def note_body(payload: dict[str, Any], claimed: dict[str, Any] | None) -> dict[str, Any]:
    draft = Draft(
        case_id="石环执罚〔2026〕17号",
        kind="note",
        client_id="0b9f3c2e-6a43-4b5e-9a0c-2f1d8e7c6b5a",
        payload=payload,
        actor="officer-0042",
        device="device-7",
        claimed=claimed,
        blobs=("ab" * 32,),
        signatures=({"name": "张三", "strokes": [[0.5, 1.25], [12.0, 3.5]]},),
    )
    return draft.body(12, "cd" * 32, 1, datetime(2026, 12, 5, 8, 30, 15, 123456, tzinfo=UTC))


TYPICAL_BODIES = [
    note_body(
        {"text": "现场检查记录第12条：当事人在场，执法人员出示证件。"},
        {"time": "2026-12-05T08:30:00.000+08:00", "geo": {"lat": 38.04, "lon": 114.51}},
    ),
    note_body(
        {
            "text": "检查发现：\n1. 未按规定公示；\n2. 台账缺失。\t（附照片3张）",
            "tags": ["检查", "整改"],
        },
        {"geo": {"lat": 38.0428, "lon": 114.5149, "accuracy_m": 8.0, "fix_time": None}},
    ),
    note_body(
        {"amount": 5000, "rate": 0.035, "count": 3.0, "change": -1250.75, "quote": 'he said "no"'},
        None,
    ),
]


@settings(max_examples=1000, deadline=None)
@given(json_values)
def test_any_json_value_is_written_as_rfc8785_writes_it_or_refused_as_it_refuses(value):
    assert outcome(canonical, value) == outcome(rfc8785.dumps, value)


@settings(max_examples=800, deadline=None)
@given(body_values)
def test_values_like_entry_bodies_are_written_as_rfc8785_writes_them(value):
    assert outcome(canonical, value) == outcome(rfc8785.dumps, value)


@settings(max_examples=1000, deadline=None)
@given(floats)
def test_a_number_of_any_magnitude_is_written_as_ecmascript_prints_it(number):
    for value in (number, [number], {"n": number}):
        assert outcome(canonical, value) == outcome(rfc8785.dumps, value)


def test_numbers_at_every_edge_of_the_quick_path_are_written_as_rfc8785_writes_them():
    for number in EDGE_FLOATS + [float(n) for n in (SAFE, -SAFE, 2**53, -(2**53))]:
        for value in (number, [number], {"n": number}):
            assert outcome(canonical, value) == outcome(rfc8785.dumps, value), repr(number)


def test_every_character_is_escaped_or_refused_exactly_as_rfc8785_does():
    scalars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    # Escaping is character by character in both writers, so one string holding every scalar
    # value checks them all; ASCII again one by one, so a failure names the character.
    assert canonical("".join(scalars)) == rfc8785.dumps("".join(scalars))
    for c in range(0x80):
        assert canonical(chr(c)) == rfc8785.dumps(chr(c)), hex(c)
    for surrogate in ("\ud800", "\udfff", "\ud83d\ude00", "a\udc00b"):
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical({"text": surrogate})


def test_floats_where_msgspec_writes_them_are_written_as_rfc8785_writes_them():
    """A sample across the range the quick path takes (1e-5 <= |x| < 2^53), bit pattern by bit
    pattern and as short decimals, checked in bulk with the quick path alone."""
    rng = random.Random(8785)
    low, high = struct.unpack("<q", struct.pack("<d", 1e-5))[0], 0x4340000000000000  # 2^53
    sample = [
        struct.unpack("<d", struct.pack("<q", rng.randrange(low, high)))[0] for _ in range(20_000)
    ]
    sample += [float(f"{rng.randrange(1, 10**9)}e{rng.randrange(-12, 6)}") for _ in range(20_000)]
    sample = [x for x in sample if x >= 1e-5]
    sample += [-x for x in sample]
    assert msgspec.json.encode(canonical_json._agreeing(sample)) == rfc8785.dumps(sample)


@pytest.mark.parametrize("body", TYPICAL_BODIES, ids=["note", "note_with_accuracy", "amounts"])
def test_a_typical_entry_body_is_written_quickly_and_as_rfc8785_writes_it(body, monkeypatch):
    expected, before = rfc8785.dumps(body), exactly(body)

    def reference_not_needed(value: Any) -> bytes:
        raise AssertionError("a typical entry body fell back to rfc8785")

    monkeypatch.setattr(canonical_json.rfc8785, "dumps", reference_not_needed)
    assert canonical(body) == expected
    assert exactly(body) == before  # the caller's body is left as it was (8.0 is still a float)


@settings(max_examples=500, deadline=None)
@given(st.one_of(json_values, body_values))
def test_what_was_written_reads_back_as_json_loads_reads_it(value):
    try:
        text = canonical(value)
    except Exception:
        return
    assert exactly(read_canonical(text)) == exactly(json.loads(text))
    assert exactly(read_canonical(text.decode())) == exactly(json.loads(text))
