"""Which language each staff member reads notifications in: a preference set in the app's settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from backend.errors import Invalid
from backend.notify.tables import LanguagePreference

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


async def language_of(staff_id: str) -> str:
    row = (
        await LanguagePreference.select(LanguagePreference.language)
        .where(LanguagePreference.staff_id == staff_id)
        .first()
    )
    return row["language"] if row else DEFAULT_LANGUAGE


async def languages_of(staff_ids: Iterable[str]) -> dict[str, str]:
    """Each staff member's language; those who never chose read Chinese."""
    wanted = sorted(set(staff_ids))
    if not wanted:
        return {}
    rows = await LanguagePreference.select().where(LanguagePreference.staff_id.is_in(wanted))
    chosen = {r["staff_id"]: r["language"] for r in rows}
    return {s: chosen.get(s, DEFAULT_LANGUAGE) for s in wanted}


async def set_language(staff_id: str, language: str) -> str:
    if language not in LANGUAGES:
        raise Invalid(f"language is one of {LANGUAGES}", code="bad_language", detail=language[:20])
    now = datetime.now(UTC)
    # Delete then insert: one statement each on both engines, and a repeat changes nothing.
    await LanguagePreference.delete().where(LanguagePreference.staff_id == staff_id)
    await LanguagePreference.insert(
        LanguagePreference(staff_id=staff_id, language=language, updated_at=now)
    )
    return language
