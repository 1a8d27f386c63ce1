"""A party opens, confirms and answers a served document through their link; guessers learn nothing."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from backend.cli import main as casetrail
from backend.errors import Conflict
from backend.service import links
from backend.service.receipts import verify_receipt
from backend.service.throttle import THROTTLE
from tests.integration.service.conftest import as_party, now


def signature_png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


STROKES = [[[1, 1, 0, 0.5], [20, 10, 16, 0.6], [40, 12, 32, 0.5]]]


async def kinds(world) -> list[str]:
    return [e.kind for e in await world.ledger.whole_timeline(world.case_id)]


async def test_a_link_needs_the_partys_consent_first(world):
    with pytest.raises(Conflict) as refused:
        await world.link()
    assert refused.value.code == "no_consent"
    assert "service.link_created" not in await kinds(world)


async def test_the_token_is_long_random_and_only_its_hash_is_kept(world):
    await world.consent()
    made = await world.link()
    assert len(base64.urlsafe_b64decode(made.token + "==")) >= 16
    entry = made.entry
    assert entry.payload["token_sha256"] == links.token_hash(made.token)
    stored = json.dumps(entry.body)
    assert made.token not in stored
    from backend.service.tables import ServiceLink

    rows = await ServiceLink.select()
    assert made.token not in json.dumps(rows, default=str)
    assert made.url.endswith(f"/party/#{made.token}")
    assert links.qr_svg(made.url).lstrip().startswith("<svg")


async def test_every_opening_is_recorded_and_the_first_is_the_moment_of_service(app_client, world):
    await world.consent()
    made = await world.link()
    first = await app_client.get(
        "/api/party", headers={**as_party(made.token), "user-agent": "Phone/1"}
    )
    second = await app_client.get(
        "/api/party", headers={**as_party(made.token), "user-agent": "Phone/2"}
    )
    assert first.status_code == second.status_code == 200
    view = first.json()
    assert view["agency"]["name_zh"] == "衡阳市蒸湘区人力资源和社会保障局"
    assert view["recipient"] == "张*丰"
    assert view["document"]["sha256"] == made.entry.payload["document_sha256"]
    assert view["checkpoint"]["note"].startswith("casetrail.local/log\n")
    assert view["statement_deadline"]
    opened = [
        e for e in await world.ledger.whole_timeline(world.case_id) if e.kind == "service.opened"
    ]
    assert [o.payload["first"] for o in opened] == [True, False]
    assert [o.payload["user_agent"] for o in opened] == ["Phone/1", "Phone/2"]
    assert all(o.payload["ip"] for o in opened)
    assert opened[0].body["actor"].startswith("party:")
    assert second.json()["served_at"] == opened[0].body["received_at"]
    # Nothing about the case beyond the served document reaches the page.
    text = first.text
    for secret in (
        "430405199001011234",
        "13812345678",
        "红湘路",
        "某公司拖欠工资案",
        world.case_id,
    ):
        assert secret not in text


async def test_the_document_is_served_only_through_its_token(app_client, world):
    await world.consent()
    made = await world.link()
    await app_client.get("/api/party", headers=as_party(made.token))
    pdf = await app_client.get("/api/party/document", headers=as_party(made.token))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    download = await app_client.get(
        "/api/party/document?download=true", headers=as_party(made.token)
    )
    assert download.headers["content-disposition"].startswith("attachment")


async def test_wrong_expired_and_revoked_tokens_look_exactly_alike(app_client, world):
    await world.consent()
    expired = await world.link(
        expires_at=now() + timedelta(seconds=1), now=now() - timedelta(hours=1)
    )
    revoked = await world.link()
    await links.revoke_link(
        world.ledger,
        case_id=world.case_id,
        link_entry=revoked.entry.hash,
        actor="officer-1",
        reason="送错文书",
    )
    from backend.service.tables import ServiceLink

    await ServiceLink.update({ServiceLink.expires_at: now() - timedelta(minutes=1)}).where(
        ServiceLink.link_entry == expired.entry.hash
    )
    wrong = expired.token[:-4] + "AAAA"
    answers = [
        await app_client.get("/api/party", headers=as_party(t))
        for t in (wrong, expired.token, revoked.token, "x")
    ]
    answers.append(await app_client.get("/api/party"))  # no token at all
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["code"] == "link_unavailable"
    assert (
        len({tuple(sorted((k, v) for k, v in a.headers.items() if k != "date")) for a in answers})
        == 1
    )


async def test_a_guesser_is_throttled_after_the_limit_even_for_a_real_token(app_client, world):
    await world.consent()
    made = await world.link()
    limit = THROTTLE.failures.limit
    for i in range(limit):
        guess = await app_client.get("/api/party", headers=as_party(f"guess-{i:04d}-{'x' * 30}"))
        assert guess.status_code == 404
    blocked = await app_client.get("/api/party", headers=as_party(f"guess-final-{'x' * 30}"))
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_requests"
    assert (await app_client.get("/api/party", headers=as_party(made.token))).status_code == 429
    # Another address is not affected.
    assert not await THROTTLE.failures.full("203.0.113.9")


async def test_the_party_confirms_with_a_drawn_signature_and_gets_a_receipt(
    app_client, world, tmp_path
):
    await world.consent()
    made = await world.link()
    refused = await app_client.post(
        "/api/party/confirm",
        headers=as_party(made.token),
        json={"method": "drawn", "png_base64": signature_png(), "strokes": STROKES},
    )
    assert refused.status_code == 409  # not opened yet: service comes first
    await app_client.get("/api/party", headers=as_party(made.token))
    done = await app_client.post(
        "/api/party/confirm",
        headers=as_party(made.token),
        json={"method": "drawn", "png_base64": signature_png(), "strokes": STROKES},
    )
    assert done.status_code == 201
    receipt = done.json()
    published = world.ledger.signer.vkey
    assert verify_receipt(receipt, published).ok
    assert not verify_receipt(receipt).ok, "the key inside the receipt is no trust anchor"
    assert verify_receipt(receipt).untrusted_key == receipt["vkey"]
    confirmed = [
        e for e in await world.ledger.whole_timeline(world.case_id) if e.kind == "party.confirmed"
    ][0]
    assert confirmed.payload["method"] == "drawn"
    assert confirmed.body["blobs"] == [confirmed.payload["signature_blob"]]
    kept = await app_client.get("/api/party/receipt", headers=as_party(made.token))
    assert kept.headers["content-disposition"].startswith("attachment")
    path = tmp_path / "receipt.json"
    path.write_text(kept.text)
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(
        (await app_client.get("/api/party/document", headers=as_party(made.token))).content
    )
    vkey = tmp_path / "agency.vkey"
    vkey.write_text(published + "\n")
    assert casetrail(["verify", "--receipt", str(path), "--document", str(pdf)]) == 3
    assert (
        casetrail(["verify", "--receipt", str(path), "--document", str(pdf), "--vkey", str(vkey)])
        == 0
    )


async def test_a_tampered_receipt_or_another_document_does_not_verify(app_client, world, tmp_path):
    await world.consent()
    made = await world.link()
    await app_client.get("/api/party", headers=as_party(made.token))
    receipt = (await app_client.get("/api/party/receipt", headers=as_party(made.token))).json()
    published = world.ledger.signer.vkey
    assert verify_receipt(receipt, published).ok
    forged = json.loads(json.dumps(receipt))
    forged["entries"][0]["body"] = forged["entries"][0]["body"].replace("张三丰", "李四")
    assert not verify_receipt(forged, published).ok
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4 other")
    assert not verify_receipt(receipt, published, document=other).ok
    wrong_key = "casetrail.local/log+00000000+AQ" + "A" * 42 + "="
    assert not verify_receipt(receipt, trusted_vkey=wrong_key).ok
    assert casetrail(["verify", "--receipt", str(tmp_path / "missing.json")]) == 1


async def test_a_statement_is_taken_before_the_deadline_and_refused_after(app_client, world):
    await world.consent()
    in_time = await world.link(statement_deadline=now() + timedelta(days=2))
    late = await world.link(statement_deadline=now() - timedelta(minutes=1))
    for made in (in_time, late):
        await app_client.get("/api/party", headers=as_party(made.token))
    ok = await app_client.post(
        "/api/party/statements",
        headers=as_party(in_time.token),
        data={"type": "defence", "text": "我方已于三月足额支付工资。"},
        files={"files": ("bank.pdf", b"%PDF-1.4 bank slip", "application/pdf")},
    )
    assert ok.status_code == 201, ok.text
    assert verify_receipt(ok.json(), world.ledger.signer.vkey).ok
    before = await kinds(world)
    refused = await app_client.post(
        "/api/party/statements",
        headers=as_party(late.token),
        data={"type": "statement", "text": "迟到的陈述"},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "deadline_passed"
    assert "届满" in refused.json()["message"] and "deadline" in refused.json()["message"]
    assert await kinds(world) == before
    [statement] = [
        e for e in await world.ledger.whole_timeline(world.case_id) if e.kind == "party.statement"
    ]
    assert statement.payload["type"] == "defence"
    [attachment] = statement.payload["attachments"]
    assert statement.body["blobs"] == [attachment["sha256"]]
    assert await world.blobs.exists(attachment["sha256"])


async def test_the_pack_sets_the_statement_deadline_from_the_moment_of_service(app_client, world):
    await world.consent()
    made = await world.link()
    view = (await app_client.get("/api/party", headers=as_party(made.token))).json()
    from backend.moments import parse_iso

    served, due = parse_iso(view["served_at"]), parse_iso(view["statement_deadline"])
    assert timedelta(days=3) <= due - served < timedelta(days=4)
    assert view["statement_open"] is True


async def test_officer_routes_refuse_callers_who_are_not_signed_in(app_client, world):
    await world.consent()
    document = await world.document()
    response = await app_client.post(
        f"/api/cases/{world.case_id}/service/links",
        json={"client_id": "x", "document_entry": document.hash},
    )
    assert response.status_code in (401, 403)
    assert "service.link_created" not in await kinds(world)


async def test_the_token_never_travels_in_a_path_where_logs_would_keep_it(app_client, world):
    await world.consent()
    made = await world.link()
    in_path = await app_client.get(f"/api/party/{made.token}")
    assert in_path.status_code == 404
    assert (await app_client.get("/api/party", headers=as_party(made.token))).status_code == 200
