"""Web Push for real: a local push service with keys made here decrypts what the server sent."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.ledger.entry import Draft
from backend.notify import sending
from backend.notify.recipients import Notifier, deadline_reminders
from backend.notify.sending import Message, Pusher
from backend.notify.tables import PushSubscription
from tests.integration.review.casebook import AGENCY, build_case, claimed


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A push service on loopback: keeps what it receives; `/gone/...` answers 410."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.received.append({"path": self.path, "headers": headers, "body": body})
                self.send_response(410 if self.path.startswith("/gone") else 201)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Device:
    """A browser's side of a subscription: its P-256 key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    @property
    def p256dh(self) -> str:
        return b64url(
            self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        )

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.server.shutdown()


async def subscribe(device: Device, staff_id: str, roles: list[str]) -> None:
    await sending.subscribe(endpoint=device.endpoint, p256dh=device.p256dh, auth=b64url(device.auth),
                            staff_id=staff_id, agency_id=AGENCY, roles=roles)  # fmt: skip


async def test_the_payload_is_decrypted_at_the_devices_push_endpoint(
    push_service, engine, settings
):
    device = Device(f"{push_service.url}/push/abc")
    await subscribe(device, "approver-qian", ["approver"])
    pusher = Pusher(settings.keys_dir)
    rows = await PushSubscription.select()

    status = await pusher.send(rows[0], Message("待审批", "请审批", "#/review/approvals"))

    assert status == 201
    got = push_service.received[0]
    assert got["headers"]["content-encoding"] == "aes128gcm"
    assert got["headers"]["authorization"].startswith("vapid t=")
    assert device.decrypt(got["body"]) == {
        "title": "待审批",
        "body": "请审批",
        "url": "#/review/approvals",
    }
    assert (settings.keys_dir / "vapid.pem").exists()


async def test_a_410_from_the_push_service_removes_the_subscription(push_service, engine, settings):
    device = Device(f"{push_service.url}/gone/xyz")
    await subscribe(device, "approver-qian", ["approver"])
    rows = await PushSubscription.select()
    assert await Pusher(settings.keys_dir).send(rows[0], Message("t", "b", "#/")) == 410
    assert await PushSubscription.select() == []


async def test_an_emergency_start_reaches_the_approvers_phone_and_no_one_else(
    push_service, projected, settings, blobs, tmp_path
):
    ledger = projected
    approver = Device(f"{push_service.url}/push/approver")
    officer = Device(f"{push_service.url}/push/other-officer")
    await subscribe(approver, "head-zhou", ["approver"])
    await subscribe(officer, "officer-sun", ["officer"])
    notifier = Notifier(ledger, Pusher(settings.keys_dir))
    ledger.on_append(notifier.on_entries)
    built = await build_case(ledger, blobs, tmp_path, archived=False, start_path="emergency")

    await ledger.append(Draft(
        case_id=built.case_id, kind="record.emergency_start", client_id="emergency-1",
        payload=emergency_payload(), actor="officer-zhang", claimed=claimed(datetime.now(UTC)),
    ))  # fmt: skip
    await notifier.drain()

    paths = [r["path"] for r in push_service.received]
    assert paths == ["/push/approver"]
    message = approver.decrypt(push_service.received[0]["body"])
    assert message["title"] == "紧急启动待审批"
    assert message["url"] == f"#/review/cases/{built.case_id}"


def emergency_payload() -> dict:
    import json as _json
    from pathlib import Path

    schema = _json.loads(
        (
            Path(__file__).parents[3] / "shared/schemas/kinds/record.emergency_start.v1.json"
        ).read_text()
    )
    sample = {
        "situation": "危化品车辆泄漏，先行处置",
        "reason": "情况紧急",
        "measures": "暂扣车辆",
        "started_at": datetime.now(UTC).isoformat(),
        "reported_to": "局长周某",
        "reported_at": datetime.now(UTC).isoformat(),
    }
    props = schema.get("properties", {})
    payload = {k: v for k, v in sample.items() if k in props}
    for name in schema.get("required", []):
        payload.setdefault(name, "紧急情况")
    return payload


async def test_an_upload_due_within_four_hours_reminds_the_case_officers_once(
    push_service, projected, settings, blobs, tmp_path
):
    ledger = projected
    phone = Device(f"{push_service.url}/push/zhang")
    await subscribe(phone, "officer-zhang", ["officer"])
    built = await build_case(ledger, blobs, tmp_path, archived=False, at=datetime.now(UTC))
    ended = datetime.now(UTC) - timedelta(hours=21)  # pingluo: 24 h to upload
    await ledger.append(Draft(
        case_id=built.case_id, kind="av.segment", client_id="seg-1",
        payload={"session_id": "s1", "index": 0, "sha256": "ab" * 32,
                 "started_at": (ended - timedelta(minutes=10)).isoformat(),
                 "ended_at": ended.isoformat()},
        actor="officer-zhang",
    ))  # fmt: skip

    async def whole_timeline(case_id: str) -> list:
        raise AssertionError(f"the reminder job read all of {case_id}'s timeline")

    # Every ten minutes on every open case: it reads only the kinds a deadline depends on.
    ledger.whole_timeline = whole_timeline
    first = await deadline_reminders(ledger)
    again = await deadline_reminders(ledger)

    assert [m.title for _, m in first] == ["音像记录须在4小时内上传"]
    assert again == []
    assert [r["staff_id"] for r in first[0][0]] == ["officer-zhang"]


async def test_a_dossier_due_for_archiving_within_three_days_reminds_the_archivist_once(
    push_service, projected, settings, blobs, tmp_path
):
    ledger = projected
    archivist = Device(f"{push_service.url}/push/wu")
    await subscribe(archivist, "archivist-wu", ["archivist"])
    ended = datetime.now(UTC) - timedelta(days=8)  # pingluo: archive within 10 days of the end
    built = await build_case(ledger, blobs, tmp_path, archived=False, at=ended)
    await ledger.append(Draft(
        case_id=built.case_id, kind="record.performance", client_id="performed-1",
        payload={"performed": True, "details": "罚款已缴清"}, actor="officer-zhang",
        claimed=claimed(ended),
    ))  # fmt: skip

    first = await deadline_reminders(ledger)
    again = await deadline_reminders(ledger)

    assert [m.title for _, m in first] == ["案卷归档期限将至"]
    assert [r["staff_id"] for r in first[0][0]] == ["archivist-wu"]
    assert again == []
