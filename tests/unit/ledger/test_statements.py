"""Signed statements besides checkpoints: promises and case heads."""

from __future__ import annotations


def test_a_promise_is_rfc_8785_json_even_though_it_is_written_the_quick_way():
    import json

    import rfc8785

    from backend.ledger.statements import _promise_text

    fields = {
        "log": "某局.example/log",
        "index": 7,
        "hash": "ab" * 32,
        "received_at": "2026-12-05Z",
    }
    line = _promise_text(fields).split("\n")[1]
    assert line.encode() == rfc8785.dumps(fields)
    assert json.loads(line) == fields
