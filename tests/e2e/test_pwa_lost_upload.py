"""An upload the server lost (it crashed before the bytes were kept) is sent again from the phone,
which still holds them: the officer sees it sent, not refused, and the timeline has it once."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route

from tests.e2e.conftest import Server, add_authenticator, register_officer, wait_all_sent
from tests.e2e.test_pwa_fingerprint import confirm_with_fingerprint
from tests.e2e.test_pwa_officer_online import open_case

pytestmark = pytest.mark.e2e


def test_a_photo_whose_upload_the_server_lost_is_uploaded_again(page: Page, server: Server) -> None:
    add_authenticator(page)
    register_officer(page, server, name="冯警官")
    case_id = open_case(page, "某超市食品检查")
    creations: list[str] = []
    page.on(
        "request",
        lambda r: (
            creations.append(r.headers.get("upload-metadata", ""))
            if r.method == "POST" and r.url.endswith("/api/uploads")
            else None
        ),
    )
    lost = {"once": True}

    def lose_the_first_upload(route: Route) -> None:
        if lost.pop("once", False):
            body = {"code": "upload_not_found", "message": "the upload was lost; send it again"}
            route.fulfill(status=404, content_type="application/json", body=json.dumps(body))
        else:
            route.continue_()

    page.route("**/api/cases/*/media", lose_the_first_upload)

    page.click("[data-step=onsite_inspection]")
    page.wait_for_selector("#submit")
    page.fill("#f-p\\.target", "某超市")
    page.fill("#f-p\\.findings", "冷柜温度正常")
    confirm_with_fingerprint(page, "孙店长")
    page.click("#submit")
    sent = wait_all_sent(page)

    assert all(i["state"] == "sent" for i in sent)
    [photo] = [i for i in sent if i["type"] == "media"]
    assert len(creations) == 2  # created again after the loss, bytes sent with the creation
    timeline = page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    assert [e["hash"] for e in timeline if e["kind"].startswith("media.")] == [
        photo["result"]["hash"]
    ]
