"""The soak's short version: officers append, read timelines and upload photos at once, for a few
seconds, on a log that already holds a few thousand entries. Nobody gets a server error and every
acknowledged entry is on its timeline afterwards. (`scripts/soak.py` is the 10-minute version.)
"""

from __future__ import annotations

import asyncio
import io
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from httpx import ASGITransport, AsyncClient
from PIL import Image

from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case
from tests.integration.uploads import upload_media

OFFICERS = 8
SECONDS = 4.0
EARLIER_ENTRIES = 3000


def photo(rng: random.Random) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), tuple(rng.randrange(256) for _ in range(3))).save(out, "JPEG")
    return out.getvalue()


@asynccontextmanager
async def officer_clients(app) -> AsyncIterator[list[AsyncClient]]:
    clients = [
        AsyncClient(transport=ASGITransport(app=app), base_url="http://localhost:8000")
        for _ in range(OFFICERS)
    ]
    for client in clients:
        client.app = app  # type: ignore[attr-defined]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.slow
async def test_a_short_mixed_soak_answers_everyone_and_loses_nothing(app_client):
    app = app_client.app
    ledger = app.state.ledger
    async with officer_clients(app) as clients:
        officers = [
            await signed_in(c, "officer", AGENCY, name=f"执法员{i}") for i, c in enumerate(clients)
        ]
        cases = [await open_case(c, o) for c, o in zip(clients, officers, strict=True)]
        # A log that is not new: earlier notes on the same cases.
        for start in range(0, EARLIER_ENTRIES, 250):
            await ledger.append_all(
                [
                    Draft(cases[i % OFFICERS], "note", str(uuid.uuid4()), {"text": "巡查记录"})
                    for i in range(start, start + 250)
                ]
            )

        acknowledged: dict[str, set[str]] = {case_id: set() for case_id in cases}
        statuses: list[int] = []

        async def officer(i: int) -> None:
            client, headers, case_id = clients[i], officers[i], cases[i]
            rng = random.Random(i)
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                roll = rng.random()
                if roll < 0.80:
                    client_id = str(uuid.uuid4())
                    answer = await client.post(
                        f"/api/cases/{case_id}/entries",
                        json={
                            "kind": "note",
                            "client_id": client_id,
                            "payload": {"text": "现场检查"},
                        },
                        headers=headers,
                    )
                    statuses.append(answer.status_code)
                    if answer.status_code == 201:
                        acknowledged[case_id].add(client_id)
                elif roll < 0.95:
                    answer = await client.get(f"/api/cases/{case_id}/timeline?limit=50")
                    statuses.append(answer.status_code)
                else:
                    entry = await upload_media(
                        client, headers, case_id, photo(rng), claimed={"time": None}
                    )  # asserts each of its requests succeeded
                    statuses.append(201)
                    acknowledged[case_id].add(entry["client_id"])

        await asyncio.gather(*(officer(i) for i in range(OFFICERS)))

    assert statuses and not [s for s in statuses if s >= 500]
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    assert sum(len(ids) for ids in acknowledged.values()) > OFFICERS * 5  # it really ran
    for case_id, ids in acknowledged.items():
        on_timeline = {e.body["client_id"] for e in await ledger.whole_timeline(case_id)}
        assert ids <= on_timeline, f"{len(ids - on_timeline)} acknowledged entries missing"
