"""Every API operation answers as /schema/openapi.json says, to strangers and to signed-in staff.

A bounded schemathesis run: for each operation under /api a few generated requests (valid ones and
deliberately broken ones), sent anonymously and then as a signed-in officer of one agency with the
CSRF header, against the real app in this test's event loop on the test database. A request fails
the run when the server answers 5xx, or with a status the operation does not document, or with a
body or content type that breaks the documented shape (every refusal is `{code, message, detail?}`).

Schemathesis only generates the requests and checks the answers here; they travel through the
suite's own `app_client` (httpx over ASGI in this loop), because schemathesis' ASGI client runs the
app in a thread of its own, where the PostgreSQL pool opened by the lifespan cannot serve it.
Generation is derandomized (the same requests every run) and never shrinks, so a run is repeatable
and bounded: about 100 operations x `EXAMPLES` x 2 modes x 2 callers.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
import uuid
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.service.throttle import THROTTLE

EXAMPLES = 3
# Every role, so the signed-in run gets past each role check to the handler behind it.
ROLES = ["officer", "supervisor", "approver", "legal_reviewer", "archivist", "admin"]
# Signing out half-way would leave the rest of the signed-in run talking to a stranger.
ENDS_THE_SESSION = frozenset({"signOut", "signOutEverywhere"})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def generated_cases(operation: Any, mode: GenerationMode, examples: int) -> list[Any]:
    """The same `examples` requests for `operation` every run: derandomized, never shrunk."""
    cases: list[Any] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        cases.append(case)

    # An operation without inputs has no negative case: nothing to break.
    with contextlib.suppress(Unsatisfiable):
        collect()
    return cases[:examples]


async def send(client: httpx.AsyncClient, case: Any, headers: dict[str, str]) -> httpx.Response:
    """Send a schemathesis case through the suite's client (its cookies are the session)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), (bytes, str)):
        body["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        body["data"] = kwargs["data"]
    if kwargs.get("files"):
        body["files"] = kwargs["files"]
    return await client.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        **body,
    )


@functools.cache
def contract(schema_text: str) -> list[tuple[Any, GenerationMode, list[Any]]]:
    """The /api operations of a served schema with their generated requests, made once per run
    (generation costs more than sending, and both callers send the same requests)."""
    raw = json.loads(schema_text)
    raw["paths"] = {p: item for p, item in raw["paths"].items() if p.startswith("/api/")}
    schema = schemathesis.openapi.from_dict(raw)
    return [
        (operation, mode, generated_cases(operation, mode, EXAMPLES))
        for operation in (result.ok() for result in schema.get_all_operations())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]


async def run_contract(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> tuple[list[str], int]:
    """Every /api operation, `EXAMPLES` positive and negative requests each: the failures found."""
    failures: list[str] = []
    sent = 0
    for operation, mode, cases in contract((await client.get("/schema/openapi.json")).text):
        if operation.definition.raw.get("operationId") in skip:
            continue
        for case in cases:
            generated_path = case.path_parameters
            if mode is GenerationMode.POSITIVE and generated_path:
                case.path_parameters = {
                    name: (path_parameters or {}).get(name, value)
                    for name, value in generated_path.items()
                }
            try:
                response = await send(client, case, dict(headers or {}))
            except (httpx.InvalidURL, UnicodeEncodeError, ValueError):
                continue  # a request no HTTP client can put on the wire
            finally:
                case.path_parameters = generated_path  # the cached case stays as generated
            sent += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, FailureGroup) as failure:  # keep going, report all
                found = failure.exceptions[0] if isinstance(failure, FailureGroup) else failure
                failures.append(
                    f"{case.method} {case.formatted_path} [{mode.value}] -> "
                    f"{response.status_code} {response.text[:300]!r}: {found}"[:900]
                )
    return failures, sent


@pytest.fixture(autouse=True)
def fresh_party_throttle():
    """The party routes' throttle is per process: what this run spends, no other test pays."""
    THROTTLE.reset()
    yield
    THROTTLE.reset()


def report(failures: list[str]) -> str:
    return f"{len(failures)} answers break the contract:\n" + "\n\n".join(failures[:25])


async def test_strangers_get_only_documented_answers_from_every_operation(app_client):
    started = time.monotonic()
    failures, sent = await run_contract(app_client)
    print(f"anonymous: {sent} requests in {time.monotonic() - started:.1f}s")
    assert sent > 300
    assert not failures, report(failures)


async def test_a_signed_in_officer_gets_only_documented_answers_from_every_operation(
    app_client, sign_in
):
    officer = await sign_in(app_client, ROLES, "zhengxiang-hrss")
    opened = await app_client.post(
        "/api/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "title": "契约测试案件",
            "enforcement_kind": "penalty",
            "procedure": "general",
            "start_path": "ex_officio",
            "parties": [{"name": "王某", "kind": "person"}],
            "officers": [],
        },
        headers=officer,
    )
    assert opened.status_code == 201, opened.text
    started = time.monotonic()
    # Half the requests name the officer's own case, so they reach past the access check.
    failures, sent = await run_contract(
        app_client,
        headers=dict(officer),
        path_parameters={"case_id": opened.json()["case_id"]},
        skip=ENDS_THE_SESSION,
    )
    print(f"signed in: {sent} requests in {time.monotonic() - started:.1f}s")
    assert (await app_client.get("/api/me")).status_code == 200  # the whole run was signed in
    assert sent > 300
    assert not failures, report(failures)


async def test_the_openapi_document_promises_the_refusals_each_access_rule_can_give(app_client):
    document = (await app_client.get("/schema/openapi.json")).json()
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["code", "message"]
    assert set(error["properties"]) == {"code", "message", "detail"}

    def answers(path: str, method: str) -> dict[str, Any]:
        return document["paths"][path][method]["responses"]

    def refusals(path: str, method: str) -> set[str]:
        found = answers(path, method)
        for status, answer in found.items():
            if status.startswith(("4", "5")):  # never Litestar's own {status_code, detail} shape
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
        return {s for s in found if s.startswith("4")}

    assert refusals("/api/time", "get") == set()  # public, no input: nothing to refuse
    assert refusals("/api/log/consistency", "get") == {"400"}  # public: never 401
    assert refusals("/api/me", "get") == {"401", "403"}
    assert refusals("/api/cases/{case_id}/timeline", "get") == {"400", "401", "403", "404"}
    assert {"400", "401", "403", "409"} <= refusals("/api/cases", "post")
    assert {"400", "401", "403", "404", "409"} <= refusals("/api/cases/{case_id}/entries", "post")
    assert "429" in refusals("/api/party", "get") and "401" not in refusals("/api/party", "get")
    assert {"412", "409", "423"} <= refusals("/api/uploads/{upload_id}", "patch")
    assert "412" not in refusals("/api/cases", "post")
    assert "content" not in answers("/api/session", "delete")["204"]  # signing out has no body
    blob = answers("/api/blobs/{sha256}", "get")
    assert set(blob["200"]["content"]) == set(blob["206"]["content"]) == {"*/*"}
    assert "416" in refusals("/api/blobs/{sha256}", "get")
