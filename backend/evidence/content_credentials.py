"""Content Credentials (C2PA): a capture's signed manifest, read and validated, as findings.

Phones and cameras sign what they capture with a C2PA manifest embedded in the file (a JUMBF
store: JPEG APP11, PNG `caBX`, WebP `C2PA`, ISO-BMFF `uuid` box). The maintained library
(`c2pa-python`, the CAI's Rust SDK underneath) reads and validates it. Most files carry none, so
the library is only called when the file's own structure shows a manifest store: that look at
the header costs microseconds, the library's native code milliseconds. The library never fetches
anything over the network here (no remote manifests, no OCSP): a server must not fetch URLs an
upload names.
"""

from __future__ import annotations

import json
import logging
import mmap
import struct
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from backend.evidence.exif_check import DeviceClaims, Finding, Tolerances, haversine_m

log = logging.getLogger("casetrail.evidence")

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")  # the ISO-BMFF `uuid` box's type
HEADER_LIMIT = 1 << 20  # a manifest store sits in the file's header segments/boxes
# Actions that make the content (capture) or only record where it came from; any other action
# in the manifest's history is an edit of the pixels or sound.
NOT_EDITS = frozenset(
    {
        "c2pa.created",
        "c2pa.opened",
        "c2pa.placed",
        "c2pa.published",
        "c2pa.repackaged",
        "c2pa.unknown",
    }
)
_READABLE = ("image/jpeg", "image/png", "image/webp", "image/heic", "video/mp4", "video/quicktime")


@dataclass(frozen=True)
class Credentials:
    """What a file's active C2PA manifest says, and whether it validates."""

    state: str  # "Trusted", "Valid" or "Invalid" (the SDK's words), "Unreadable"
    signer: str | None = None
    issuer: str | None = None
    claim_generator: str | None = None
    device: str | None = None
    captured_at: str | None = None  # ISO 8601 as the manifest states it
    lat: float | None = None
    lon: float | None = None
    edits: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.state in ("Valid", "Trusted")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def has_manifest_store(path: Path, mime: str) -> bool:
    """True when the file's structure holds a C2PA manifest store (header only, no library)."""
    if mime not in _READABLE or path.stat().st_size < 16:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if mime == "image/jpeg":
            return _jpeg_has_store(data)
        if mime == "image/png":
            return _png_has_store(data)
        if mime == "image/webp":
            return _webp_has_store(data)
        return _iso_bmff_has_store(data)


def read_credentials(path: Path, mime: str) -> Credentials | None:
    """The file's Content Credentials, or None when it carries no manifest.

    A manifest the library cannot parse is `state="Unreadable"`: it is flagged, never a 5xx.
    """
    if not has_manifest_store(path, mime):
        return None
    import c2pa  # the native library loads on the first file that has a manifest

    try:
        with open(path, "rb") as fh, c2pa.Reader(mime, fh, context=_context()) as reader:
            state = reader.get_validation_state() or "Invalid"
            store = json.loads(reader.json())
    except Exception as exc:  # the SDK raises C2paError subclasses and ValueError on bad stores
        log.info("C2PA manifest of %s unreadable: %s", path.name, exc)
        return Credentials(state="Unreadable", failures=[type(exc).__name__])
    return _credentials(state, store)


@cache
def _context() -> Any:
    import c2pa

    settings = c2pa.Settings.from_dict(
        {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    )
    return c2pa.Context(settings)


def _credentials(state: str, store: dict[str, Any]) -> Credentials:
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    signature = manifest.get("signature_info") or {}
    exif = _assertion(manifest, "stds.exif") or _assertion(manifest, "c2pa.metadata") or {}
    actions = _actions(manifest)
    created = next(
        (a for a in actions if a.get("action") == "c2pa.created" and a.get("when")), None
    )
    captured = exif.get("exif:DateTimeOriginal") or (created or {}).get("when")
    failures = [
        s.get("code", "")
        for s in store.get("validation_status") or []
        if s.get("code") != "signingCredential.untrusted"  # no trust list here: said by `state`
    ]
    return Credentials(
        state=state,
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        claim_generator=_generator(manifest),
        device=" ".join(v for v in (exif.get("tiff:Make"), exif.get("tiff:Model")) if v) or None,
        captured_at=str(captured) if captured else None,
        lat=_gps(exif.get("exif:GPSLatitude")),
        lon=_gps(exif.get("exif:GPSLongitude")),
        edits=sorted({str(a.get("action")) for a in actions if a.get("action") not in NOT_EDITS}),
        failures=failures if state == "Invalid" else [],
    )


def _assertion(manifest: dict[str, Any], label: str) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions") or []:
        if assertion.get("label") == label and isinstance(assertion.get("data"), dict):
            return assertion["data"]
    return None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for label in ("c2pa.actions.v2", "c2pa.actions"):
        found += (_assertion(manifest, label) or {}).get("actions", [])
    return [a for a in found if isinstance(a, dict)]


def _generator(manifest: dict[str, Any]) -> str | None:
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    info = (manifest.get("claim_generator_info") or [{}])[0]
    text = " ".join(str(info[k]) for k in ("name", "version") if info.get(k))
    return text or None


def _gps(text: Any) -> float | None:
    """XMP GPS coordinate ("39,54.522N") as signed degrees."""
    if not isinstance(text, str) or len(text) < 2 or text[-1].upper() not in "NSEW":
        return None
    try:
        parts = [float(p) for p in text[:-1].split(",")]
    except ValueError:
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts[:3]))
    return -degrees if text[-1].upper() in "SW" else degrees


def corroborates(
    credentials: Credentials,
    claimed_at: datetime,
    lat: float | None,
    lon: float | None,
    time_skew_s: float,
    distance_m: float,
) -> dict[str, Any] | None:
    """What a valid manifest confirms of the device's claim (time, and place when both give one).

    None when it confirms nothing or contradicts the claim.
    """
    if not credentials.valid or not credentials.captured_at:
        return None
    try:
        stated = datetime.fromisoformat(credentials.captured_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stated.tzinfo is None or abs(stated - claimed_at) > timedelta(seconds=time_skew_s):
        return None
    agreed: dict[str, Any] = {"time": credentials.captured_at}
    if None not in (credentials.lat, credentials.lon, lat, lon):
        distance = haversine_m(credentials.lat, credentials.lon, lat, lon)  # type: ignore[arg-type]
        if distance > distance_m:
            return None
        agreed["distance_m"] = round(distance, 1)
    return agreed


def credential_findings(
    credentials: Credentials | None, claims: DeviceClaims | None, tolerances: Tolerances
) -> list[Finding]:
    """Findings from a file's Content Credentials: who signed, whether it validates, edits, and
    whether a valid manifest confirms the device's claimed time and place."""
    if credentials is None:
        return []
    who = {
        "signer": credentials.signer,
        "issuer": credentials.issuer,
        "claim_generator": credentials.claim_generator,
        "device": credentials.device,
    }
    if not credentials.valid:
        return [
            Finding(
                "c2pa_invalid",
                {**who, "state": credentials.state, "failures": credentials.failures},
            )
        ]
    found = [
        Finding(
            "c2pa_valid",
            {
                **who,
                "trusted": credentials.state == "Trusted",
                "captured_at": credentials.captured_at,
            },
        )
    ]
    if credentials.edits:
        found.append(Finding("c2pa_edited", {"actions": credentials.edits, **who}))
    if claims is not None:
        agreed = corroborates(
            credentials,
            claims.captured_at,
            claims.lat,
            claims.lon,
            tolerances.time_skew_s,
            tolerances.distance_m,
        )
        if agreed is not None:
            found.append(Finding("c2pa_corroborated", agreed))
    return found


# -- where each format keeps its manifest store -------------------------------------------------


def _jpeg_has_store(data: mmap.mmap) -> bool:
    pos, end = 2, min(len(data), HEADER_LIMIT)
    while pos + 4 <= end and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xDA, 0xD9):  # scan or end: the header segments are over
            return False
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        # APP11 holds JUMBF: "JP", instance and sequence numbers, then boxes labelled "c2pa".
        if marker == 0xEB and b"c2pa" in data[pos + 4 : pos + 2 + length]:
            return True
        pos += 2 + length
    return False


def _png_has_store(data: mmap.mmap) -> bool:
    pos, end = 8, min(len(data), HEADER_LIMIT * 64)
    while pos + 8 <= end:
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"caBX":
            return True
        if kind == b"IEND":
            return False
        pos += 12 + length
    return False


def _webp_has_store(data: mmap.mmap) -> bool:
    pos, end = 12, len(data)
    while pos + 8 <= end:
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if kind == b"C2PA":
            return True
        pos += 8 + size + (size & 1)
    return False


def _iso_bmff_has_store(data: mmap.mmap) -> bool:
    pos, end = 0, len(data)
    while pos + 8 <= end:
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack(">Q", data[pos + 8 : pos + 16])[0], 16
        elif size == 0:
            size = end - pos
        if kind == b"uuid" and data[pos + header : pos + header + 16] == C2PA_UUID:
            return True
        if size < 8:
            return False
        pos += size
    return False
