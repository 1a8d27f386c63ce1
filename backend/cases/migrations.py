"""Schema steps for case projections."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.cases.document_numbers import create_document_numbers
from backend.cases.tables import CaseState


async def create_case_state(engine: Engine) -> None:
    await CaseState.create_table(if_not_exists=True)


MIGRATIONS = [
    ("cases.0001_case_state", create_case_state),
    ("cases.0002_document_numbers", create_document_numbers),
]
