"""The app speaks through one string table per language: no screen carries its own Chinese/English pair,
and every key a screen asks for is in both tables (Simplified Chinese first, English second)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
STRINGS = ROOT / "shared" / "strings"
LANGS = ("zh-CN", "en")

# t("key"), tOr("key", …) and their template forms t(`prefix.${…}`); a call on another object is not ours.
LITERAL_KEY = re.compile(r"""(?<![\w.$])(?:t|tOr)\(\s*"([^"]+)"\s*[,)]""")
TEMPLATE_KEY = re.compile(r"""(?<![\w.$])(?:t|tOr)\(\s*`([^`$]*)\$\{""")
INLINE_PAIR = re.compile(r"""(?<![\w.$])L\(\s*["'`]""")
# The public pages' static words: <h1 data-t="party.title">, filled in the reader's language.
PAGE_KEY = re.compile(r'\bdata-t="([^"]+)"')


def app_code() -> dict[str, str]:
    """Every script and page of the app and its public pages, apart from vendored libraries."""
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted([*PWA.rglob("*.js"), *PWA.rglob("*.html")])
        if "vendor" not in path.parts
    }


def table(lang: str) -> dict[str, str]:
    return json.loads((STRINGS / f"ui.{lang}.json").read_text(encoding="utf-8"))


def test_no_screen_keeps_an_inline_chinese_english_pair():
    pairs = {name: len(INLINE_PAIR.findall(code)) for name, code in app_code().items()}
    assert {name: n for name, n in pairs.items() if n} == {}


def test_both_languages_have_the_same_keys():
    zh, en = (set(table(lang)) for lang in LANGS)
    assert sorted(zh - en) == [], "keys only in Chinese"
    assert sorted(en - zh) == [], "keys only in English"


def test_every_key_a_screen_asks_for_is_in_both_tables():
    tables = {lang: table(lang) for lang in LANGS}
    missing: dict[str, list[str]] = {}
    for name, code in app_code().items():
        for key in [*LITERAL_KEY.findall(code), *PAGE_KEY.findall(code)]:
            for lang in LANGS:
                if key not in tables[lang]:
                    missing.setdefault(f"{name} ({lang})", []).append(key)
        # A key made from a value (t(`review.metric.${m}`)): its family must exist in both tables.
        for prefix in TEMPLATE_KEY.findall(code):
            for lang in LANGS:
                if prefix and not any(k.startswith(prefix) for k in tables[lang]):
                    missing.setdefault(f"{name} ({lang})", []).append(f"{prefix}…")
    assert missing == {}


def test_the_check_sees_the_calls_the_screens_make():
    """The patterns above find keys in the app's real calls (a test that saw none would pass on anything)."""
    code = "\n".join(app_code().values())
    assert len(set(LITERAL_KEY.findall(code))) > 500
    assert {"review.metric.", "import.", "review.decision.done."} <= set(TEMPLATE_KEY.findall(code))
