"""What an approver sees before deciding: the record in words, its photos and recordings, and
where the case stands against the agency's rules — so an approval is never a blind signature."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from backend.cases.lifecycle import case_view
from backend.errors import NotFound
from backend.identity.access import Principal
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.review.review_cases import APPROVABLE, ASKING, DECIDING, what_is_asked

KINDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "kinds"
HASH = re.compile(r"[0-9a-f]{64}")
MEDIA = ("media.photo", "media.video", "media.audio", "media.document", "recording.linked")
MAX_OTHER_MEDIA = 12
YES_NO = {True: ("是", "yes"), False: ("否", "no")}


@cache
def kind_schema(kind: str, version: int) -> dict[str, Any]:
    path = KINDS_DIR / f"{kind}.v{version}.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def words(value: Any) -> tuple[str, str] | None:
    """A payload value as text in both languages; machine values (hashes, nested data) are left out."""
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, int | float):
        return str(value), str(value)
    if isinstance(value, str):
        return None if HASH.fullmatch(value) or not value.strip() else (value, value)
    if isinstance(value, list):
        names = [
            v if isinstance(v, str) else str(v.get("name") or "")
            for v in value
            if isinstance(v, str | dict)
        ]
        names = [n for n in names if n and not HASH.fullmatch(n)]
        return ("、".join(names), ", ".join(names)) if names else None
    return None


def record_fields(entry: Entry) -> list[dict[str, str]]:
    """The entry's payload in the order its form asks, each with the form's own title."""
    schema = kind_schema(entry.kind, int(entry.body.get("kind_version") or 1))
    props: dict[str, Any] = schema.get("properties") or {}
    order = [*props, *(k for k in entry.payload if k not in props)]
    out = []
    for name in order:
        if name not in entry.payload or name in ("signatures", "for_entry", "step"):
            continue
        said = words(entry.payload[name])
        spec = props.get(name) or {}
        if said is None or not spec.get("title"):
            continue  # a field no form names is machine data
        out.append(
            {
                "name": name,
                "title_zh": spec["title"],
                "title_en": spec.get("x-title-en") or spec["title"],
                "text_zh": said[0],
                "text_en": said[1],
            }
        )
    return out


def signers(entry: Entry) -> list[dict[str, Any]]:
    """Who signed the paper record on the spot (or refused, and why)."""
    return [
        {k: s.get(k) for k in ("role", "name", "method", "refusal_reason") if s.get(k)}
        for s in entry.payload.get("signatures") or []
        if isinstance(s, dict)
    ]


def media_item(e: Entry, related: bool) -> dict[str, Any]:
    p = e.payload
    return {
        "entry_hash": e.hash,
        "kind": e.kind,
        "sha256": p.get("sha256"),
        "media_type": p.get("media_type") or "",
        "caption": p.get("caption") or p.get("filename") or "",
        "received_at": e.body["received_at"],
        "related": related,
    }


def media_of(entry: Entry, timeline: list[Entry]) -> list[dict[str, Any]]:
    """Photos and recordings made for this record (its entry or step) first, then the case's others."""
    media = [e for e in timeline if e.kind in MEDIA and isinstance(e.payload.get("sha256"), str)]
    related = [
        e
        for e in media
        if e.payload.get("for_entry") == entry.hash or e.payload.get("step") == entry.kind
    ]
    others = [e for e in media if e not in related][-MAX_OTHER_MEDIA:]
    return [media_item(e, True) for e in related] + [media_item(e, False) for e in others]


async def approval_view(
    ledger: Ledger, me: Principal, entry_hash: str, now: datetime
) -> dict[str, Any]:
    """One approval item in full. Another agency's entry, or one that is not an approval, is 404."""
    missing = NotFound("no such approval in this agency", code="approval_not_found")
    if not HASH.fullmatch(entry_hash):
        raise missing
    try:
        entry = await ledger.get(entry_hash)
    except NotFound:
        raise missing from None
    if entry.kind not in APPROVABLE:
        raise missing
    if entry.case_id.startswith("agency:"):
        if entry.case_id != agency_timeline(me.agency_id):
            raise missing
        case: dict[str, Any] | None = None
        timeline = [entry]
    else:
        view = await case_view(ledger, entry.case_id, now)
        if view.get("agency_id") != me.agency_id:
            raise missing
        timeline = await ledger.whole_timeline(entry.case_id)
        compliance = view.get("compliance") or []
        case = {
            "case_id": entry.case_id,
            "title": view.get("title"),
            "number": view.get("number"),
            "stage": view.get("stage"),
            "enforcement_kind": view.get("enforcement_kind"),
            "counts": {
                s: sum(1 for r in compliance if r["status"] == s)
                for s in ("met", "missing", "late", "refused", "due", "waived")
            },
            "problems": [
                {k: r.get(k) for k in ("status", "message_zh", "message_en", "due_at")}
                for r in compliance
                if r["status"] in ("missing", "late", "refused")
            ],
        }
    decisions = [
        {
            "actor": s.body.get("actor"),
            "meaning": s.payload.get("meaning"),
            "comment": s.payload.get("comment"),
            "received_at": s.body["received_at"],
        }
        for s in timeline
        if s.kind == "signature.passkey" and s.payload.get("signs") == entry.hash
    ]
    out: dict[str, Any] = {
        "entry_hash": entry.hash,
        "case_id": entry.case_id,
        "kind": entry.kind,
        "actor": entry.body.get("actor"),
        "received_at": entry.body["received_at"],
        "fields": record_fields(entry),
        "signers": signers(entry),
        "media": media_of(entry, timeline),
        "case": case,
        "decisions": decisions,
        "decided": any(d["meaning"] in DECIDING for d in decisions),
    }
    if entry.kind in ASKING:
        out["asks"] = await what_is_asked(ledger, entry)
    return out
