"""Kind schemas are picked by numeric version: v10 is newer than v9 and v2."""

from __future__ import annotations

import json
from pathlib import Path

from backend.ledger.kinds import (
    SHARED,
    KindRegistry,
    check_schema,
    default_registry,
    latest_schema,
    schema_files,
)


def write(directory: Path, version: int, title: str) -> None:
    schema = {"type": "object", "title": title, "x-stage": f"stage{version}"}
    (directory / f"record.sample.v{version}.json").write_text(json.dumps(schema))


def test_version_10_is_newer_than_version_9_and_2(tmp_path):
    for version in (2, 9, 10):
        write(tmp_path, version, f"v{version}")
    assert [p.name for p in schema_files(tmp_path)][-1] == "record.sample.v10.json"
    assert latest_schema("record.sample", tmp_path)["title"] == "v10"
    assert KindRegistry.load(tmp_path).latest("record.sample") == 10


def test_head_approval_v3_can_refuse_or_return_with_a_reason():
    registry = default_registry()
    assert registry.latest("record.head_approval") == 3
    refused = {"decision": "refused", "head_name": "王局长", "reason": "证据不足"}
    assert registry.validate("record.head_approval", refused) == 3


def test_record_titles_and_document_labels_come_from_version_10_not_9(tmp_path, monkeypatch):
    """The statistics' record names and the documents' field labels read the newest schema too."""
    from backend.cases import documents
    from backend.ledger import kinds
    from backend.review import statistics_words

    for version in (9, 10):
        schema = {
            "type": "object",
            "title": f"样本记录第{version}版",
            "properties": {"place": {"type": "string", "title": f"地点{version}"}},
        }
        (tmp_path / f"record.sample.v{version}.json").write_text(json.dumps(schema))
    monkeypatch.setattr(kinds, "KINDS_DIR", tmp_path)
    statistics_words.record_title.cache_clear()
    documents.field_schemas.cache_clear()
    try:
        assert statistics_words.record_title("record.sample", "zh") == "样本记录第10版"
        assert documents.field_titles("record.sample") == {"place": "地点10"}
    finally:
        statistics_words.record_title.cache_clear()
        documents.field_schemas.cache_clear()


def test_every_shipped_schema_is_a_valid_json_schema_and_compiles():
    # The server compiles each kind's schema on first use without checking it: this is the check.
    registry = default_registry()
    for kind, versions in registry.files.items():
        for version, path in versions.items():
            check_schema(json.loads(path.read_text(encoding="utf-8")))
            assert registry.validator(kind, version) is not None
    check_schema(json.loads((SHARED / "schemas" / "claimed.schema.json").read_text()))
