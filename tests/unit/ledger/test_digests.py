"""SM3 as GB/T 32905 defines it: the standard's two examples, whole and streamed."""

from __future__ import annotations

from backend.ledger.digests import Sm3Stream, sm3_hex

# GB/T 32905-2016 Appendix A, examples 1 and 2.
ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
ABCD_16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm3_gives_the_standards_example_digests():
    assert sm3_hex(b"abc") == ABC
    assert sm3_hex(b"abcd" * 16) == ABCD_16


def test_sm3_over_chunks_equals_sm3_of_the_whole():
    stream = Sm3Stream()
    for chunk in (b"abcd" * 3, b"abcd" * 13):
        stream.update(chunk)
    assert stream.hexdigest() == ABCD_16
