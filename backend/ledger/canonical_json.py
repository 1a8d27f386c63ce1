"""Canonical JSON (RFC 8785): msgspec where its bytes are known to be rfc8785's, rfc8785 elsewhere.

`rfc8785.dumps` is the reference and costs ~30 µs per entry body on the event loop of every append;
msgspec with sorted keys writes the same bytes in about a microsecond wherever the two agree. A
value takes the msgspec path only when every part of it is of a kind checked to agree
(tests/unit/ledger/test_canonical_json.py compares both over arbitrary JSON); anything else, and
every error, is left to rfc8785, so its bytes and its refusals (NaN, infinities, integers
beyond ±(2^53 - 1), lone surrogates, non-string keys) stay the canonical ones.

Where the two differ, and how each difference is kept off the msgspec path:
- Floats: ECMAScript prints an integral float without a fraction (8.0 -> 8, -0.0 -> 0, 1e16 ->
  10000000000000000), msgspec keeps it a float (8.0, -0.0, 1e16). Integral floats within ±2^53
  are handed to msgspec as the int, whose digits are exact there. msgspec prints 1e-6 <= |x| <
  1e-5 in exponent form where ECMAScript does not, so other floats are taken only for
  1e-5 <= |x| < 2^53, where both print the shortest round-trip digits in plain decimal.
- Keys: RFC 8785 orders keys by UTF-16 code units, msgspec by code points; the two orders agree
  for characters below U+D800 (UTF-16 writes astral characters as surrogates, D800-DFFF, so
  it orders them before U+E000-U+FFFF).
- Integers: only -(2^53 - 1) .. 2^53 - 1, the range rfc8785 accepts.
- Strings: both escape exactly '"', '\\' and U+0000..U+001F, with the same short forms and
  lowercase \\u00xx (checked for every code point), and both refuse surrogates.
- Types: only dict, list, tuple, str, int, float, bool and None themselves, never subclasses
  (msgspec also writes enums, datetimes, structs, ... that rfc8785 refuses or writes otherwise).
"""

from __future__ import annotations

from typing import Any

import msgspec
import rfc8785

_SAFE_INT = 2**53 - 1
_EXACT_INTEGRAL = 2.0**53
_PLAIN_DECIMAL_FROM = 1e-5
_encode = msgspec.json.Encoder(order="sorted").encode
_decode = msgspec.json.Decoder().decode


class _Unsure(Exception):
    """Raised inside the check when a part of the value is not known to encode identically."""


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `value`, byte for byte what `rfc8785.dumps(value)` returns."""
    try:
        return _encode(_agreeing(value))
    except Exception:  # _Unsure, or anything msgspec refuses: the reference decides
        return rfc8785.dumps(value)


def read_canonical(text: bytes | str) -> Any:
    """The values canonical JSON text holds, exactly as `json.loads` reads them, at a fraction of
    its cost: the same types, ints of any size, floats to the bit (test_canonical_json)."""
    return _decode(text)


def _agreeing(value: Any) -> Any:
    """`value` as msgspec must see it to write rfc8785's bytes (integral floats as ints); the
    same object when nothing needed changing. Raises _Unsure for anything not known to agree."""
    kind = type(value)
    if kind is dict:
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) < "\ud800"):
                raise _Unsure
            # Most values are strings, None or small ints: checked here, without a call deeper
            # (the check is most of the cost of a canonical body).
            item_kind = type(item)
            if item_kind is str or item is None or item_kind is bool:
                continue
            if item_kind is int and -_SAFE_INT <= item <= _SAFE_INT:
                continue
            agreed = _agreeing(item)
            if agreed is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = agreed
        return value if changed is None else changed
    if kind is list or kind is tuple:
        items: list[Any] | None = None
        for i, item in enumerate(value):
            if type(item) is str:
                continue
            agreed = _agreeing(item)
            if agreed is not item:
                if items is None:
                    items = list(value)
                items[i] = agreed
        return value if items is None else items
    if kind is str or value is None or kind is bool:
        return value
    if kind is int:
        if -_SAFE_INT <= value <= _SAFE_INT:
            return value
        raise _Unsure
    if kind is float:
        return _agreeing_float(value)
    raise _Unsure


def _agreeing_float(value: float) -> int | float:
    if -_EXACT_INTEGRAL <= value <= _EXACT_INTEGRAL and value.is_integer():
        return int(value)  # -0.0 too: ECMAScript prints it as 0
    # Not integral, so |value| < 2^52; NaN fails both comparisons and infinities the second.
    if _PLAIN_DECIMAL_FROM <= abs(value) < _EXACT_INTEGRAL:
        return value
    raise _Unsure
