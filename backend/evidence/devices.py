"""Recording devices: the registry, pre-shift checks (battery, storage, clock) and faults.

Everything is an entry on the agency timeline `agency:<agency_id>`; the evidence_device table is
its projection (see projection.py), updated here too so a caller reads its own write.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from backend.errors import Conflict, Invalid, NotFound
from backend.evidence.tables import EvidenceDevice
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.ledger.reads import by_client_id
from backend.ledger.timelines import agency_timeline

DEVICE_TYPES = ("body_camera", "phone", "tablet", "fixed_camera")
MIN_BATTERY_PCT = 30
MIN_STORAGE_MB = 2048
MAX_CLOCK_OFFSET_MS = 60_000


_NUMBER_SEPARATORS = re.compile(r"[\s\-_./:·—–]+")


def device_key(number: str) -> str:
    """A device number as it is compared everywhere: `DSJ-0123456`, `dsj 0123456`, `0123456` match.

    Full-width characters folded (NFKC), upper case, separators dropped, and the `DSJ` prefix
    (GA/T 947's product code for body-worn recorders, printed on the device and in its file
    names, but not always typed at registration) removed.
    """
    text = _NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", number).upper())
    return text.removeprefix("DSJ") or text


def check_problems(battery_pct: float, storage_free_mb: float, clock_offset_ms: int) -> list[str]:
    """What a pre-shift check finds wrong; an empty list means the device is fit for the shift."""
    problems = []
    if battery_pct < MIN_BATTERY_PCT:
        problems.append("battery_low")
    if storage_free_mb < MIN_STORAGE_MB:
        problems.append("storage_low")
    if abs(clock_offset_ms) > MAX_CLOCK_OFFSET_MS:
        problems.append("clock_off")
    return problems


async def get_device(agency_id: str, number: str) -> dict[str, Any]:
    """The device registered under `number` (compared by `device_key`), or NotFound."""
    row = (
        await EvidenceDevice.select()
        .where(
            (EvidenceDevice.agency_id == agency_id)
            & (EvidenceDevice.number_key == device_key(number))
        )
        .first()
    )
    if row is None:
        raise NotFound(f"no device {number} in this agency", code="device_not_found")
    return device_json(row)


@dataclass(frozen=True)
class DeviceInfo:
    """What the registry says of a capture's device, for comparing with the file's EXIF."""

    make: str | None = None
    model: str | None = None


async def device_info(agency_id: str | None, number: str | None) -> DeviceInfo | None:
    """The registered make and model of the device a capture names; None when not registered."""
    if not number or not agency_id:
        return None
    row = (
        await EvidenceDevice.select(EvidenceDevice.make, EvidenceDevice.model)
        .where(
            (EvidenceDevice.agency_id == agency_id)
            & (EvidenceDevice.number_key == device_key(number))
        )
        .first()
    )
    return DeviceInfo(row["make"], row["model"]) if row else None


async def list_devices(agency_id: str) -> list[dict[str, Any]]:
    rows = (
        await EvidenceDevice.select()
        .where(EvidenceDevice.agency_id == agency_id)
        .order_by(EvidenceDevice.number)
    )
    return [device_json(r) for r in rows]


def device_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "agency_id": row["agency_id"],
        "number": row["number"],
        "type": row["type"],
        "assigned_to": row["assigned_to"],
        "make": row["make"],
        "model": row["model"],
        "registered_at": row["registered_at"].isoformat(),
        "last_check_at": row["last_check_at"].isoformat() if row["last_check_at"] else None,
        "last_check_ok": row["last_check_ok"],
        "last_check_problems": json.loads(row["last_check_problems"] or "[]"),
        "open_fault": row["open_fault"],
        "out_of_service": row["out_of_service"],
    }


async def _append(ledger: Ledger, draft: Draft) -> Entry:
    entry = await ledger.append(draft)
    await apply_device_entry(entry)
    return entry


async def register_device(
    ledger: Ledger,
    agency_id: str,
    *,
    client_id: str,
    number: str,
    type: str,
    actor: str | None,
    assigned_to: str | None = None,
    make: str | None = None,
    model: str | None = None,
) -> Entry:
    if type not in DEVICE_TYPES:
        raise Invalid(f"device type must be one of {DEVICE_TYPES}", code="bad_device_type")
    payload = {"number": number, "type": type, "assigned_to": assigned_to}
    payload.update({k: v for k, v in (("make", make), ("model", model)) if v})
    draft = Draft(agency_timeline(agency_id), "device.registered", client_id, payload, actor)
    # A resend of the same registration returns the original entry; any other is a clash.
    existing = await by_client_id(client_id)
    if existing is not None and draft.same_request(existing.body):
        return existing
    try:
        await get_device(agency_id, number)
    except NotFound:
        return await _append(ledger, draft)
    raise Conflict(f"device {number} is already registered", code="device_exists")


async def assign_device(
    ledger: Ledger, agency_id: str, *, client_id: str, number: str, assigned_to: str | None,
    actor: str | None,
) -> Entry:  # fmt: skip
    await get_device(agency_id, number)
    payload = {"number": number, "assigned_to": assigned_to}
    return await _append(
        ledger, Draft(agency_timeline(agency_id), "device.assigned", client_id, payload, actor)
    )


async def pre_shift_check(
    ledger: Ledger,
    agency_id: str,
    *,
    client_id: str,
    number: str,
    battery_pct: float,
    storage_free_mb: float,
    clock_offset_ms: int,
    actor: str | None,
    claimed: dict[str, Any] | None = None,
) -> Entry:
    """Record a pre-shift check; problems are recorded, never refused."""
    await get_device(agency_id, number)
    problems = check_problems(battery_pct, storage_free_mb, clock_offset_ms)
    payload = {
        "number": number,
        "battery_pct": battery_pct,
        "storage_free_mb": storage_free_mb,
        "clock_offset_ms": clock_offset_ms,
        "ok": not problems,
        "problems": problems,
    }
    draft = Draft(
        agency_timeline(agency_id), "device.checked", client_id, payload, actor, number, claimed
    )
    return await _append(ledger, draft)


async def report_fault(
    ledger: Ledger,
    agency_id: str,
    *,
    client_id: str,
    number: str,
    description: str,
    out_of_service: bool,
    actor: str | None,
) -> Entry:
    await get_device(agency_id, number)
    payload = {"number": number, "description": description, "out_of_service": out_of_service}
    return await _append(
        ledger, Draft(agency_timeline(agency_id), "device.fault", client_id, payload, actor, number)
    )


async def apply_device_entry(entry: Entry) -> None:
    """Fold one device.* entry into evidence_device (idempotent)."""
    if not entry.kind.startswith("device.") or not entry.case_id.startswith("agency:"):
        return
    agency_id = entry.case_id.removeprefix("agency:")
    p = entry.payload
    key = device_key(p["number"])
    where = (EvidenceDevice.agency_id == agency_id) & (EvidenceDevice.number_key == key)
    if entry.kind == "device.registered":
        if await EvidenceDevice.exists().where(where):
            return
        try:
            await EvidenceDevice.insert(
                EvidenceDevice(
                    agency_id=agency_id,
                    number=p["number"],
                    number_key=key,
                    type=p["type"],
                    assigned_to=p.get("assigned_to"),
                    make=p.get("make"),
                    model=p.get("model"),
                    registered_at=entry.received_at,
                )
            )
        except Exception as exc:  # the listener and the caller raced to insert it
            if "unique" not in str(exc).lower():
                raise
    elif entry.kind == "device.assigned":
        await EvidenceDevice.update({EvidenceDevice.assigned_to: p["assigned_to"]}).where(where)
    elif entry.kind == "device.checked":
        changes: dict = {
            EvidenceDevice.last_check_at: entry.received_at,
            EvidenceDevice.last_check_ok: p["ok"],
            EvidenceDevice.last_check_problems: json.dumps(p["problems"]),
        }
        if p["ok"]:
            changes[EvidenceDevice.out_of_service] = False
            changes[EvidenceDevice.open_fault] = None
        await EvidenceDevice.update(changes).where(where)
    elif entry.kind == "device.fault":
        await EvidenceDevice.update(
            {
                EvidenceDevice.open_fault: p["description"],
                EvidenceDevice.out_of_service: bool(p.get("out_of_service")),
            }
        ).where(where)
