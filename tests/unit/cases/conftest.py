"""Fixtures for the case-rules tests."""

from __future__ import annotations

import pytest

from backend.cases.rules import load_packs


@pytest.fixture(scope="session")
def packs():
    return load_packs()
