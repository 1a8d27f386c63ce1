"""The append route's lean path answers an officer's capture exactly as the route would.

Every capture is one POST .../entries, so that route has a lean path (backend/timeline/lean_append.py).
These stories check that an officer, a forger and a careless client each get the same answer the
route gives, and that nothing is stored when the answer is a refusal.
"""

from __future__ import annotations

import json
import uuid

import pytest

import backend.timeline.routes as timeline_routes
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, log_size, open_case


def note(text: str = "现场检查：当事人在场") -> dict:
    return {"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": text}}


async def test_an_officers_note_is_answered_by_the_lean_path_as_the_timeline_shows_it(
    app_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)

    async def route_not_reached(*args, **kwargs):
        raise AssertionError("an ordinary append went through the route's machinery")

    monkeypatch.setattr(timeline_routes, "append_to_timeline", route_not_reached)
    sent = note()
    answer = await app_client.post(f"/api/cases/{case_id}/entries", json=sent, headers=officer)

    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"  # the app's headers still apply
    entry = answer.json()
    assert entry["promise"] and entry["payload"] == sent["payload"]
    shown = (await app_client.get(f"/api/cases/{case_id}/timeline", headers=officer)).json()
    assert {**entry, "promise": None} == shown["entries"][-1]

    resent = await app_client.post(f"/api/cases/{case_id}/entries", json=sent, headers=officer)
    assert resent.status_code == 201 and resent.content == answer.content


async def test_a_body_sent_in_pieces_is_read_whole(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    body = json.dumps(note("分段发送的记录"), ensure_ascii=False).encode()

    async def pieces():
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    answer = await app_client.post(
        f"/api/cases/{case_id}/entries",
        content=pieces(),
        headers={**officer, "content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["payload"]["text"] == "分段发送的记录"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"kind": "note", "client_id": ', 400, "http_400"),  # cut off: not JSON
        (b'{"kind": "note", "client_id": "x", "payload": {}, "extra": 1}', 400, "invalid_request"),
        (b'{"kind": 7, "client_id": "x", "payload": {}}', 400, "invalid_request"),
        (b"[]", 400, "invalid_request"),
        (b"{" + b'"a":"' + b"x" * (2 << 20) + b'"}', 413, "too_large"),
    ],
    ids=["cut-off", "unknown-field", "wrong-type", "not-an-object", "too-large"],
)
async def test_a_malformed_or_oversized_body_is_refused_in_the_routes_words(
    app_client, body, status, code
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    before = await log_size(app_client)

    answer = await app_client.post(
        f"/api/cases/{case_id}/entries",
        content=body,
        headers={**officer, "content-type": "application/json"},
    )

    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code, answer.json()
    assert await log_size(app_client) == before


async def test_forged_signed_out_and_foreign_appends_are_refused_before_the_body_counts(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    stranger = await signed_in(another_client, "officer", OTHER)
    before = await log_size(app_client)
    path = f"/api/cases/{case_id}/entries"

    no_csrf = await app_client.post(path, json=note())
    wrong_csrf = await app_client.post(path, json=note(), headers={"x-csrftoken": "forged"})
    foreign = await another_client.post(path, json=note(), headers=stranger)
    another_client.cookies.clear()
    signed_out = await another_client.post(path, json=note())
    # Refused for who is asking, not for the body: the guard answers before any body is read.
    garbage_signed_out = await another_client.post(path, content=b"{not json")

    assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "csrf_failed")
    assert (wrong_csrf.status_code, wrong_csrf.json()["code"]) == (403, "csrf_failed")
    assert foreign.status_code in (403, 404), foreign.text
    assert (signed_out.status_code, signed_out.json()["code"]) == (401, "not_signed_in")
    assert garbage_signed_out.status_code == 401
    assert await log_size(app_client) == before


async def test_a_client_that_goes_away_mid_body_leaves_nothing_behind(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    before = await log_size(app_client)
    cookies = "; ".join(f"{k}={v}" for k, v in app_client.cookies.items())
    path = f"/api/cases/{case_id}/entries"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8000),
        "headers": [
            (b"host", b"localhost:8000"),
            (b"cookie", cookies.encode()),
            (b"x-csrftoken", officer["x-csrftoken"].encode()),
            (b"content-type", b"application/json"),
        ],
    }
    messages = [
        {"type": "http.request", "body": b'{"kind": "note", ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        pass

    await app_client.app(scope, receive, send)
    assert await log_size(app_client) == before
