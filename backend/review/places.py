"""Where a case happened: the positions its entries claim, in time order, for the case map."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.ledger.ledger import Ledger


class Place(msgspec.Struct):
    """One position a device reported with an entry (WGS-84, as the browser gives it)."""

    seq: int
    kind: str
    time: str | None
    lat: float
    lon: float
    accuracy_m: float | None


class CasePlaces(msgspec.Struct):
    places: list[Place]
    # The agency's map service (`{z}/{x}/{y}` template) or None: then the map is a plain plot.
    tiles: str | None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


async def case_places(ledger: Ledger, case_id: str, tiles: str) -> CasePlaces:
    places = []
    for entry in await ledger.whole_timeline(case_id):
        claimed = entry.body.get("claimed") or {}
        geo = claimed.get("geo") or {}
        lat, lon = _number(geo.get("lat")), _number(geo.get("lon"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        places.append(
            Place(
                seq=entry.body["seq"],
                kind=entry.kind,
                time=claimed.get("time") or entry.body.get("received_at"),
                lat=lat,
                lon=lon,
                accuracy_m=_number(geo.get("accuracy_m")),
            )
        )
    return CasePlaces(places=places, tiles=tiles or None)
