"""A supervisor through the HTTP API: reviews cases, checks integrity, spot-checks, statistics, and
disposal that only an approver's real passkey signature unlocks; the archivist exports a dossier."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

from backend.ledger.verify import verify_database
from tests.integration.conftest import signed_in
from tests.integration.review.casebook import AGENCY, build_case

LONG_AGO = datetime(2020, 3, 2, 1, 0, tzinfo=UTC)


async def passkey_sign(client, who, entry_hash: str, meaning: str):
    options = await client.post(
        f"/api/entries/{entry_hash}/signatures/options", json={"meaning": meaning}, headers=who
    )
    assert options.status_code in (200, 201), options.text
    credential = who.authenticator.assert_(options.json(), credential_id=who.credential_id)
    return await client.post(
        f"/api/entries/{entry_hash}/signatures",
        json={"meaning": meaning, "credential": credential, "client_id": str(uuid.uuid4())},
        headers=who,
    )


async def test_a_supervisor_reviews_spot_checks_and_disposes_only_after_a_passkey_approval(
    app_client, another_client, tmp_path
):
    supervisor = await signed_in(app_client, ["supervisor", "archivist"], AGENCY)
    approver = await signed_in(another_client, "approver", AGENCY)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    old = await build_case(ledger, blobs, tmp_path, at=LONG_AGO, recordings=2)
    recent = await build_case(ledger, blobs, tmp_path, at=datetime(2025, 3, 3, tzinfo=UTC))

    cases = (await app_client.get("/api/review/cases")).json()
    assert {c["case_id"] for c in cases} >= {old.case_id, recent.case_id}
    assert all("badges" in c for c in cases)
    badge = (await app_client.get(f"/api/cases/{old.case_id}/integrity")).json()
    assert badge["ok"] is True

    stats = await app_client.get("/api/review/statistics?group_by=month&format=csv")
    assert stats.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(stats.text.lstrip("\ufeff"))))
    assert sum(int(r["案件数"]) for r in rows) == 2

    draws = await app_client.post(
        "/api/review/spot-checks/draw", json={"period": "2020-03"}, headers=supervisor
    )
    assert draws.status_code == 201, draws.text
    item = draws.json()[0]["payload"]["items"][0]
    finding = await app_client.post(
        "/api/review/spot-checks/findings",
        json={"client_id": "f-1", "draw": draws.json()[0]["hash"], "entry_hash": item["entry_hash"],
              "outcome": "compliant", "checks": {"start_statement": True}, "replayed_s": 42.0},
        headers=supervisor,
    )  # fmt: skip
    assert finding.status_code == 201, finding.text
    ledger_rows = (await app_client.get("/api/review/spot-checks?period=2020-03")).json()
    assert [r["status"] for r in ledger_rows] == ["done", *(["pending"] * (len(ledger_rows) - 1))]

    batch = await app_client.post(
        "/api/review/disposals", json={"client_id": "b-1", "reason": "保存期限届满"},
        headers=supervisor,
    )  # fmt: skip
    assert batch.status_code == 201, batch.text
    batch_hash = batch.json()["hash"]
    refused = await app_client.post(
        f"/api/review/disposals/{batch_hash}/execute", headers=supervisor
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "disposal_not_approved"

    signed = await passkey_sign(another_client, approver, batch_hash, "approve_disposal")
    assert signed.status_code == 201, signed.text
    done = await app_client.post(f"/api/review/disposals/{batch_hash}/execute", headers=supervisor)
    assert done.status_code == 200, done.text
    assert old.blobs["video0"] in done.json()["disposed"]
    assert not await blobs.exists(old.blobs["video0"])
    assert await blobs.exists(recent.blobs["video0"])
    report = await verify_database(ledger, blobs)
    assert report.ok, [str(p) for p in report.problems]


async def test_unsigned_and_officer_callers_cannot_use_the_supervisor_api(app_client):
    assert (await app_client.get("/api/review/cases")).status_code == 401
    officer = await signed_in(app_client, "officer", AGENCY)
    response = await app_client.get("/api/review/statistics", headers=officer)
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"
    refused = await app_client.post(
        "/api/review/disposals", json={"client_id": "b", "reason": "x"}, headers=officer
    )
    assert refused.status_code == 403


async def test_a_supervisor_asking_to_draw_a_month_that_is_not_a_month_gets_a_400_and_no_draw(
    app_client,
):
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    before = (await app_client.get("/api/log/checkpoint")).json()["size"]
    for period in ("", "2020-3", "2020-13", "0000-01", "２０２０-03", "2020-03-01", "\x9a"):
        draws = await app_client.post(
            "/api/review/spot-checks/draw", json={"period": period}, headers=supervisor
        )
        assert draws.status_code == 400, (period, draws.text)
        assert draws.json()["code"] == "bad_period"
    assert (await app_client.get("/api/log/checkpoint")).json()["size"] == before
