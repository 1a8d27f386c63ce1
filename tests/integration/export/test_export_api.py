"""The archivist asks to export, the approver approves with a passkey, the signed dossier downloads."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from tests.integration.conftest import signed_in
from tests.integration.review.casebook import AGENCY, build_case
from tests.integration.review.test_review_api import passkey_sign


async def test_an_approved_export_downloads_a_signed_dossier_and_is_on_the_timeline(
    app_client, another_client, tmp_path
):
    archivist = await signed_in(app_client, "archivist", AGENCY)
    approver = await signed_in(another_client, "approver", AGENCY)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    built = await build_case(ledger, blobs, tmp_path, at=datetime(2025, 3, 3, tzinfo=UTC))

    unapproved = await app_client.post(
        f"/api/cases/{built.case_id}/dossier",
        json={"client_id": "d-0", "approval": built.entries["archive"].hash}, headers=archivist,
    )  # fmt: skip
    assert unapproved.status_code == 403
    request = await app_client.post(
        f"/api/cases/{built.case_id}/exports",
        json={"scope": "export", "purpose": "法院调卷", "client_id": "req-1"}, headers=archivist,
    )  # fmt: skip
    assert request.status_code == 201, request.text
    signed = await passkey_sign(another_client, approver, request.json()["hash"], "approve_export")
    assert signed.status_code == 201, signed.text
    timeline = (await app_client.get(f"/api/cases/{built.case_id}/timeline?limit=1000")).json()
    approval = next(e for e in timeline["entries"] if e["kind"] == "export.approved")
    assert approval["payload"]["staff_id"] == archivist.staff_id

    made = await app_client.post(
        f"/api/cases/{built.case_id}/dossier",
        json={"client_id": "d-1", "approval": approval["hash"], "purpose": "法院调卷"},
        headers=archivist,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    pdf = await app_client.get(made.json()["pdf_url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert "材料目录" in PdfReader(io.BytesIO(pdf.content)).pages[1].extract_text().replace(" ", "")
    bundle = await app_client.get(made.json()["bundle_url"])
    assert bundle.status_code == 200 and bundle.content[:2] == b"PK"
    again = await app_client.post(
        f"/api/cases/{built.case_id}/dossier",
        json={"client_id": "d-2", "approval": approval["hash"]}, headers=archivist,
    )  # fmt: skip
    assert again.status_code == 409  # one approval, one export
    timeline = (await app_client.get(f"/api/cases/{built.case_id}/timeline?limit=1000")).json()
    assert [e["kind"] for e in timeline["entries"]].count("access.exported") == 1
