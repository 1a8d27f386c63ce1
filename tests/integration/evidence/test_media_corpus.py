"""Every file of the real-world corpus (tests/corpus) sent through tus and finalise, as a phone would.

tests/corpus/expected.json says, per file, what an officer should see: the entry and its findings,
or the refusal's status and code. A genuine photo is never refused; nothing refused is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.evidence.test_uploads_api import nothing_changed

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["files"]


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
async def test_corpus_file_gets_the_outcome_an_officer_expects(officer, case):
    me = officer
    path = CORPUS / case["file"]
    data = path.read_bytes()
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    expect = case["expect"]

    r, meta = await me.upload(
        case_id, data, media_type=case["media_type"], filename=path.name, kind=case.get("kind")
    )

    if expect["status"] != 201:
        assert r.status_code == expect["status"], r.text
        body = r.json()
        assert body["code"] == expect["code"]
        if "reason" in expect:
            assert body["detail"]["reason"] == expect["reason"]
        assert body["detail"]["message_zh"] and body["detail"]["message_en"]
        await nothing_changed(me, case_id, before)
        return
    assert r.status_code == 204, r.text
    done = await me.finalise(
        case_id, meta, kind=case.get("kind") or "media.photo", claimed=case.get("claimed", {})
    )
    assert done.status_code == 201, done.text
    payload = done.json()["payload"]
    assert [f["code"] for f in payload["findings"]] == expect["findings"]
    for key, value in expect.get("payload", {}).items():
        assert payload[key] == value, key
    assert len(await me.timeline(case_id)) == before + 1
