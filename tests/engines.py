"""Which database engine this test run targets (set by scripts/test)."""

from __future__ import annotations

import os

ENGINE = os.environ.get("CASETRAIL_TEST_DB", "sqlite")
PG_ADMIN = os.environ.get("CASETRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
