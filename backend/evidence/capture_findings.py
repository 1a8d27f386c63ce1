"""What a capture's file says against what the device claims: findings, which never block.

A photo's EXIF (time, place, camera) and a recording's container time are compared with the
officer's device's claims within the agency pack's tolerances; a capture without claims gets the
facts that need none.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from backend.blobstore import BlobStore, local_copy
from backend.cases.rules import RulePack
from backend.errors import Invalid
from backend.evidence.devices import DeviceInfo
from backend.evidence.exif_check import (
    DEFAULT_ZONE,
    DeviceClaims,
    ExifFacts,
    ExifInvalid,
    Finding,
    Tolerances,
    claim_free_findings,
    compare_exif,
    exif_time_aware,
    read_exif,
)
from backend.evidence.ingest_checks import Unprocessable
from backend.evidence.uploads import Upload, UploadStore
from backend.moments import parse_iso


def iso_time(text: Any, name: str) -> datetime:
    """A time the client sent, or `bad_time` naming the field."""
    try:
        return parse_iso(str(text))
    except ValueError as bad:
        raise Invalid(f"{name} is not an ISO 8601 time", code="bad_time") from bad


def agency_zone(pack: RulePack | None) -> str:
    """The IANA zone the agency's pack names (cameras there write this local time)."""
    return str((pack.data if pack else {}).get("time_zone") or DEFAULT_ZONE)


def tolerances(pack: RulePack | None) -> Tolerances:
    exif = (pack.data if pack else {}).get("exif") or {}
    default = Tolerances()
    return Tolerances(
        time_skew_s=exif.get("time_skew_s", default.time_skew_s),
        distance_m=exif.get("distance_m", default.distance_m),
        older_than_step_s=exif.get("older_than_step_s", default.older_than_step_s),
    )


def device_claims(
    claimed: dict[str, Any] | None, device_id: str | None, device: DeviceInfo | None
) -> DeviceClaims | None:
    claimed = claimed or {}
    if not claimed.get("time"):
        return None
    geo = claimed.get("geo") or {}
    return DeviceClaims(
        captured_at=iso_time(claimed["time"], "claimed.time"),
        clock_offset_ms=claimed.get("clock_offset_ms"),
        lat=geo.get("lat"),
        lon=geo.get("lon"),
        accuracy_m=geo.get("accuracy_m"),
        fix_time=iso_time(geo["fix_time"], "claimed.geo.fix_time") if geo.get("fix_time") else None,
        device_id=device_id,
        make=device.make if device else None,
        model=device.model if device else None,
        time_zone=claimed.get("time_zone"),
        utc_offset_min=claimed.get("utc_offset_min"),
    )


async def photo_findings(
    blobs: BlobStore,
    uploads: UploadStore,
    upload: Upload,
    claims: DeviceClaims | None,
    step_started: datetime | None,
    now: datetime,
    tolerances: Tolerances,
    zone: str = DEFAULT_ZONE,
) -> list[Finding]:
    try:
        if "exif" in upload.facts:  # read from the bytes when they arrived
            facts = ExifFacts.from_json(upload.facts["exif"])
        else:
            async with local_copy(blobs, upload.sha256, uploads.root.parent / "tmp") as path:
                facts = await asyncio.to_thread(read_exif, path)
    except ExifInvalid as bad:  # already refused at upload; kept for blobs stored before that
        raise Unprocessable(str(bad), code="absurd_exif") from bad
    if claims is None:
        basis = "exif_only" if facts.has_checkable_facts else "none"
        detail: dict[str, Any] = {"basis": basis}
        taken = exif_time_aware(facts, zone)
        if taken is not None:
            detail["exif_time"] = taken.isoformat()  # the upload deadline counts from it
            if facts.taken_at is not None and facts.taken_at.tzinfo is None:
                detail["zone"] = zone
        return [Finding("no_claims", detail), *claim_free_findings(facts)]
    try:
        return compare_exif(facts, claims, step_started, now, tolerances, zone)
    except ExifInvalid as bad:  # already refused at upload; kept for blobs stored before that
        raise Unprocessable(str(bad), code="absurd_exif") from bad


def recording_findings(
    media: dict[str, Any], claims: DeviceClaims | None, tolerances: Tolerances
) -> list[Finding]:
    findings = _container_time_findings(media, claims, tolerances)
    if "header_duration_s" in media:
        findings.append(
            Finding("absurd_duration", {"header_duration_s": media["header_duration_s"]})
        )
    return findings


def _container_time_findings(
    media: dict[str, Any], claims: DeviceClaims | None, tolerances: Tolerances
) -> list[Finding]:
    created = media.get("created_at")
    if claims is None:
        if not created:
            return [Finding("no_claims", {"basis": "none"})]
        return [Finding("no_claims", {"basis": "container", "container_time": created})]
    if not created:
        # Browser recordings (webm) carry no creation time: the device claim stands alone.
        return [Finding("consistent", {"checked": [], "basis": "device_claims"})]
    skew = (parse_iso(created) - claims.captured_at).total_seconds()
    if abs(skew) > tolerances.time_skew_s:
        return [
            Finding(
                "container_time_skew",
                {
                    "container_time": created,
                    "claimed_time": claims.captured_at.isoformat(),
                    "skew_s": round(skew, 3),
                    "tolerance_s": tolerances.time_skew_s,
                },
            )
        ]
    return [Finding("consistent", {"checked": ["container_time"]})]
