"""Schema steps for the review domain."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.review.tables import CaseStatFacts


async def create_review_tables(engine: Engine) -> None:
    await CaseStatFacts.create_table(if_not_exists=True)


MIGRATIONS = [("review.0001_case_facts", create_review_tables)]
APPEND_ONLY_TABLES: list[str] = []
