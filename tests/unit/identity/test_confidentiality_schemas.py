"""Every record and media form offers the same confidentiality select, and nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

from backend.identity.confidentiality import LEVELS
from backend.identity.staff import CLEARANCES

KINDS = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "kinds"
OWN_V2 = ("access.", "export.", "document.", "record.random_draw_")


def test_each_v2_form_is_its_v1_plus_the_confidentiality_select():
    # New entries use v2; an edit to a v1 file that is not mirrored here would silently stop applying.
    seconds = sorted(KINDS.glob("*.v2.json"))
    assert seconds
    for v2 in seconds:
        # Log, document and approval entries are not forms, and the random draw must stay public (anyone
        # re-runs it): their v2 adds fields of their own.
        if v2.name.startswith(OWN_V2):
            continue
        newer = json.loads(v2.read_text(encoding="utf-8"))
        older = json.loads(
            v2.with_name(v2.name.replace(".v2.", ".v1.")).read_text(encoding="utf-8")
        )
        select = newer["properties"].pop("confidentiality")
        assert set(select["enum"]) == LEVELS == set(CLEARANCES), v2.name
        assert select["title"] and select["x-title-en"] and len(select["x-enum-titles"]) == 3
        newer["$id"] = newer["$id"].replace(".v2.", ".v1.")
        assert newer == older, f"{v2.name}: mirror the v1 change into v2"


def test_every_media_kind_can_be_flagged():
    for media in KINDS.glob("media.*.v1.json"):
        assert media.with_name(media.name.replace(".v1.", ".v2.")).is_file(), media.name
