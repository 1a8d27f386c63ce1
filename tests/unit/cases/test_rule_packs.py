"""Rule packs are data: they validate, cite real articles, and a new agency is just a new file."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from backend.cases.compliance import evaluate
from backend.cases.rules import (
    KINDS_DIR,
    PACK_SCHEMA,
    RULES_DIR,
    known_kinds,
    load_pack,
    load_packs,
)
from backend.errors import Invalid
from tests.unit.cases.timelines import Timeline

SEEDS = Path("/work/shared/seeds")
AGENCIES = {
    "zhengxiang-hrss",
    "pingluo-transport",
    "mingshan-emergency",
    "hebei-hrss",
    "lingchuan-finance",
}
DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def chinese_number(text: str) -> int:
    if "十" not in text:
        return DIGITS[text]
    tens, _, ones = text.partition("十")
    return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[ones] if ones else 0)


def articles_in(seed: str) -> set[int]:
    text = (SEEDS / seed).read_text(encoding="utf-8")
    return {chinese_number(n) for n in re.findall(r"第([零一二三四五六七八九十]+)条", text)}


def citations(node):
    if isinstance(node, dict):
        if "citation" in node:
            yield node["citation"]
        for value in node.values():
            yield from citations(value)
    elif isinstance(node, list):
        for value in node:
            yield from citations(value)


def test_all_five_seed_agencies_have_a_pack(packs):
    assert set(packs) == AGENCIES


@pytest.mark.parametrize("path", sorted(RULES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_pack_validates_against_the_rule_pack_schema(path):
    schema = json.loads(PACK_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(
        Draft202012Validator(schema).iter_errors(json.loads(path.read_text(encoding="utf-8")))
    )
    assert errors == []


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_every_citation_points_at_an_article_that_exists_in_the_agencys_own_seed(packs, agency):
    pack = packs[agency]
    seed = pack.data["agency"]["seed_file"]
    existing = articles_in(seed)
    for cite in citations(pack.data):
        if "basis" in cite:
            assert cite["basis"] == "domain default"
            continue
        assert cite["file"] == seed
        assert cite["article"] in existing, cite


def test_seed_specific_numbers_are_taken_from_the_seed_text(packs):
    upload = {a: packs[a].deadlines["av_upload"] for a in AGENCIES}
    assert upload["pingluo-transport"] == {
        "hours": 24,
        "citation": {"file": "pingluo-transport-enforcement.txt", "article": 23},
    }
    assert (
        upload["zhengxiang-hrss"]["working_days"] == 2
        and upload["zhengxiang-hrss"]["citation"]["article"] == 27
    )
    assert (
        upload["lingchuan-finance"]["working_days"] == 2
        and upload["lingchuan-finance"]["citation"]["article"] == 25
    )
    assert upload["mingshan-emergency"]["citation"]["article"] == 32
    assert upload["hebei-hrss"]["citation"]["article"] == 13
    archive = {a: packs[a].deadlines["archive"]["days"] for a in AGENCIES}
    assert archive == {
        "zhengxiang-hrss": 20,
        "pingluo-transport": 10,
        "mingshan-emergency": 30,
        "hebei-hrss": 30,
        "lingchuan-finance": 30,
    }
    assert packs["hebei-hrss"].deadlines["archive"]["citation"]["basis"] == "domain default"
    assert packs["mingshan-emergency"].deadlines["emergency_approval"]["citation"]["article"] == 8
    assert packs["zhengxiang-hrss"].deadlines["emergency_approval"]["citation"]["article"] == 12
    assert len(packs["zhengxiang-hrss"].enforcement_kinds) == 8


def test_every_kind_a_pack_names_has_a_schema_file(packs):
    kinds = known_kinds()
    for pack in packs.values():
        assert pack.referenced_kinds() <= kinds


def walk_properties(schema, where="$"):
    for name, prop in (schema.get("properties") or {}).items():
        yield f"{where}.{name}", prop
        yield from walk_properties(prop, f"{where}.{name}")
    items = schema.get("items")
    if isinstance(items, dict):
        yield from walk_properties(items, f"{where}[]")


@pytest.mark.parametrize(
    "path",
    sorted([*KINDS_DIR.glob("record.*.v1.json"), *KINDS_DIR.glob("case.*.v1.json")]),
    ids=lambda p: p.name,
)
def test_every_record_form_is_draft_2020_12_with_chinese_and_english_titles(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["x-title-en"]
    for where, prop in walk_properties(schema):
        assert re.search(r"[\u4e00-\u9fff]", prop.get("title", "")), f"{where} has no Chinese title"
        assert prop.get("x-title-en") and prop.get("description"), f"{where} has no English"


def test_record_signatures_follow_the_shared_shape():
    schema = json.loads((KINDS_DIR / "record.inquiry.v1.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    good = {
        "person": "王某",
        "transcript": "问：……答：……",
        "pages": 2,
        "signatures": [
            {"role": "party", "name": "王某", "method": "fingerprint", "page": 1, "blob": "a" * 64},
            {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "拒绝签字"},
        ],
    }
    assert list(validator.iter_errors(good)) == []
    bad = {**good, "signatures": [{"role": "boss", "name": "x", "method": "drawn"}]}
    assert list(validator.iter_errors(bad))


SIXTH = "qinghe-market-regulation"


def sixth_pack(directory: Path, **change) -> Path:
    data = json.loads((RULES_DIR / "lingchuan-finance.json").read_text(encoding="utf-8"))
    data["id"] = SIXTH
    data["agency"] = {
        "name_zh": "清河县市场监督管理局",
        "name_en": "Qinghe County Market Regulation",
        "seed_file": "qinghe-market.txt",
    }
    text = json.dumps(data, ensure_ascii=False).replace(
        "lingchuan-finance-bureau.txt", "qinghe-market.txt"
    )
    data = json.loads(text)
    data["deadlines"]["av_upload"] = {
        "hours": 12,
        "citation": {"file": "qinghe-market.txt", "article": 9},
    }
    data.update(change)
    path = directory / f"{SIXTH}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_sixth_agency_is_just_a_new_file(tmp_path):
    for existing in RULES_DIR.glob("*.json"):
        (tmp_path / existing.name).write_text(
            existing.read_text(encoding="utf-8"), encoding="utf-8"
        )
    sixth_pack(tmp_path)
    packs = load_packs(tmp_path)
    assert len(packs) == 6
    pack = packs[SIXTH]
    t = Timeline(SIXTH)
    h = t.record("record.inquiry")
    media = t.video(h, delay=timedelta(hours=13))
    upload = next(r for r in evaluate(pack, t.entries, t.clock) if r.id == f"av_upload:{media}")
    assert upload.status == "late"
    assert upload.late_by_s == 3600
    assert upload.citation == {"file": "qinghe-market.txt", "article": 9}


def test_a_pack_naming_a_kind_without_a_schema_is_refused(tmp_path):
    data = json.loads((RULES_DIR / "pingluo-transport.json").read_text(encoding="utf-8"))
    data["steps"]["decision"]["any_of"] = ["record.verdict"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(Invalid, match="record.verdict"):
        load_pack(path)


def test_a_pack_citing_an_invented_article_without_saying_domain_default_is_refused(tmp_path):
    data = json.loads((RULES_DIR / "pingluo-transport.json").read_text(encoding="utf-8"))
    data["exif"]["citation"] = {"basis": "domain default", "article": 3}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(Invalid):
        load_pack(path)
