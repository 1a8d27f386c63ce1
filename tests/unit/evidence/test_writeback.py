"""Queuing an upload's bytes for the disk early changes nothing about them, wherever it runs."""

from __future__ import annotations

import os

from backend.evidence import writeback


def test_bytes_queued_for_the_disk_read_back_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "data"
    payload = os.urandom(300_000)
    with path.open("wb") as f:
        f.write(payload)
        f.flush()
        writeback.start_writeback(f.fileno(), 0, len(payload))
        monkeypatch.setattr(writeback, "_sync_file_range", None)  # a C library without the call
        writeback.start_writeback(f.fileno(), 0, len(payload))
    assert path.read_bytes() == payload
