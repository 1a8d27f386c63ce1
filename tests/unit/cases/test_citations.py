"""Officers read a rule's source by its title and article, never by the file the pack was seeded from."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from backend.cases.compliance import evaluate
from tests.unit.cases.timelines import Timeline

AGENCIES = [
    "zhengxiang-hrss",
    "hebei-hrss",
    "pingluo-transport",
    "mingshan-emergency",
    "lingchuan-finance",
]


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_pack_names_the_title_of_the_document_its_rules_come_from(packs, agency):
    source = packs[agency].data["agency"]
    assert source["source_title_zh"].endswith(("办法", "制度"))
    assert source["source_title_en"]


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_missing_step_cites_the_rules_by_title_and_article(packs, agency):
    t = Timeline(agency, kind="penalty")
    t.record("record.decision")
    reqs = evaluate(packs[agency], t.entries, t.clock + timedelta(days=400))
    cited = [r for r in reqs if "article" in r.citation and r.status in ("missing", "late")]
    assert cited, "an almost empty penalty case misses cited steps"
    title = packs[agency].data["agency"]["source_title_zh"]
    for r in cited:
        assert ".txt" not in r.message_zh and ".txt" not in r.message_en
        assert f"《{title}》第{r.citation['article']}条" in r.message_zh
        assert not re.search(r"[a-z]+-[a-z]+", r.message_zh)
