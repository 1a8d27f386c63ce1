"""Masking personal data for everything public, as the agency's rule pack says (张*三, 110***********1234)."""

from __future__ import annotations

import re
from typing import Any

from backend.cases.rules import RulePack

# Mainland resident ID numbers and mobile numbers written anywhere in free text.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}\d{7}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "name": {"method": "mask", "keep_start": 1, "keep_end": 0, "only_person": True},
    "id_number": {"method": "mask", "keep_start": 6, "keep_end": 4},
    "phone": {"method": "mask", "keep_start": 3, "keep_end": 4},
    "address": {"method": "drop"},
}


def party_rules(pack: RulePack | None) -> dict[str, dict[str, Any]]:
    """The pack's rules for `parties[].<field>`, falling back to conservative defaults."""
    rules = dict(DEFAULT_RULES)
    for rule in (pack.data.get("masking", []) if pack else []) or []:
        if rule["field"].startswith("parties[]."):
            rules[rule["field"].split(".", 1)[1]] = rule
    return rules


def mask_value(value: str, rule: dict[str, Any]) -> str:
    """Hide the middle of `value`, keeping `keep_start` and `keep_end` characters; at least one is hidden."""
    chars = list(value)
    start, end = int(rule.get("keep_start", 0)), int(rule.get("keep_end", 0))
    longer = rule.get("keep_end_if_long")
    if longer and len(chars) >= longer["min_length"]:
        end = int(longer["keep_end"])
    while start + end >= len(chars) and (start or end):
        if end:
            end -= 1
        else:
            start -= 1
    hidden = len(chars) - start - end
    return "".join(chars[:start]) + "*" * hidden + ("".join(chars[-end:]) if end else "")


def mask_party(party: dict[str, Any], pack: RulePack | None) -> dict[str, Any]:
    """A party as the public may see it: masked name for persons, masked numbers, no home address."""
    rules = party_rules(pack)
    person = party.get("kind", "person") == "person"
    out: dict[str, Any] = {"kind": party.get("kind", "person")}
    for field in ("name", "id_number", "phone", "address"):
        value = party.get(field)
        if not value:
            continue
        rule = rules.get(field)
        if rule is None or rule.get("only_person") and not person:
            out[field] = value
        elif rule["method"] == "drop":
            if not person:  # an organisation's registered address is public
                out[field] = value
        else:
            out[field] = mask_value(str(value), rule)
    return out


def mask_name(name: str, pack: RulePack | None, kind: str = "person") -> str:
    return mask_party({"name": name, "kind": kind}, pack).get("name", "")


def mask_text(text: str, parties: list[dict[str, Any]], pack: RulePack | None) -> str:
    """Replace every party's name, numbers and (for persons) address in free text, then any stray numbers."""
    rules = party_rules(pack)
    replacements: list[tuple[str, str]] = []
    for party in parties:
        public = mask_party(party, pack)
        for field in ("address", "id_number", "phone", "name"):
            value = party.get(field)
            if value and str(value) in text:
                replacements.append((str(value), public.get(field, "[已隐去]")))
    # Longest first, so a name inside an address is not replaced before the address.
    for value, masked in sorted(replacements, key=lambda r: -len(r[0])):
        text = text.replace(value, masked)
    text = ID_NUMBER.sub(lambda m: mask_value(m.group(0), rules["id_number"]), text)
    return MOBILE.sub(lambda m: mask_value(m.group(0), rules["phone"]), text)
