"""A rule's source as people cite it: the document's title and the article, never its file name.

Every rule in a pack cites `{"file", "article"}`; the file name is how the pack finds the text, the
title (`agency.source_title_zh` / `_en` in the pack) is how an officer or a party knows the document.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parents[2] / "shared" / "rules"


@cache
def source_titles(directory: Path = RULES_DIR) -> dict[str, tuple[str, str]]:
    """{seed file: (Chinese title, English title)} from every pack that names its source's title."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(directory.glob("*.json")):
        agency = json.loads(path.read_text(encoding="utf-8")).get("agency") or {}
        if agency.get("seed_file") and agency.get("source_title_zh"):
            out[agency["seed_file"]] = (
                agency["source_title_zh"],
                agency.get("source_title_en") or agency["source_title_zh"],
            )
    return out


def cite_zh(citation: dict[str, Any]) -> str:
    """'（依据《…办法》第5条）'; a source without a known title is named as the agency's rules."""
    if "article" not in citation:
        return "（依据：领域默认规则）"
    title = source_titles().get(citation.get("file", ""), ("本单位执法全过程记录规定", ""))[0]
    return f"（依据《{title}》第{citation['article']}条）"


def cite_en(citation: dict[str, Any]) -> str:
    if "article" not in citation:
        return " (domain default)"
    title = source_titles().get(citation.get("file", ""), ("", "the agency's recording rules"))[1]
    return f" ({title} §{citation['article']})"
