"""Passkeys in a real browser: invite → register → sign out → sign in → approve with a passkey → verify.

Debian Chromium with a CDP virtual platform authenticator (user verification always passes).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import (
    AGENCY,
    Server,
    add_authenticator,
    context_options,
    invite_link,
    register_officer,
    start_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e

API = """async ([path, method, body]) => {
  const api = await import('/js/api.js');
  try { return {ok: true, data: await api.json(path, {method, body: body ?? undefined})}; }
  catch (e) { return {ok: false, status: e.status, code: e.code}; }
}"""
PASSKEYS = """async ([fn, ...args]) => {
  const pk = await import('/js/passkeys.js');
  try { return {ok: true, data: await pk[fn](...args)}; }
  catch (e) { return {ok: false, status: e.status, code: e.code, message: String(e.message)}; }
}"""


def api(page: Page, path: str, method: str = "GET", body: object = None) -> dict:
    return page.evaluate(API, [path, method, body])


def passkeys(page: Page, fn: str, *args: object) -> dict:
    return page.evaluate(PASSKEYS, [fn, *args])


def test_invite_register_sign_out_sign_in_approve_and_verify(
    page: Page, browser: Browser, server: Server
):
    add_authenticator(page)
    register_officer(page, server, name="李警官")
    me = api(page, "/api/me")
    assert me["ok"] and me["data"]["roles"] == ["officer"], me

    assert passkeys(page, "signOut")["ok"]
    assert api(page, "/api/me")["status"] == 401
    page.goto(f"{server.url}/#/signin")
    wait_ready(page)
    page.click("#signin")
    page.wait_for_function("!location.hash.startsWith('#/signin')", timeout=30_000)
    assert api(page, "/api/me")["data"]["staff_id"] == me["data"]["staff_id"]

    opened = api(
        page,
        "/api/cases",
        "POST",
        {"client_id": str(uuid.uuid4()), "title": "拖欠工资案", "enforcement_kind": "penalty"},
    )
    assert opened["ok"], opened
    case_id = opened["data"]["case_id"]
    proposal = api(
        page,
        f"/api/cases/{case_id}/entries",
        "POST",
        {"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": "拟罚款五千元"}},
    )
    assert proposal["ok"], proposal

    # The unit head, on their own phone, approves with a passkey over the entry hash.
    head_context = browser.new_context(**context_options(server))
    head = head_context.new_page()
    add_authenticator(head)
    head.goto(invite_link(server, role="approver", agency=AGENCY, name="负责人"))
    wait_ready(head)
    head.locator("#register").click()
    head.wait_for_function("!location.hash.startsWith('#/register')", timeout=30_000)
    signed = passkeys(head, "signEntry", proposal["data"]["hash"], "approve")
    assert signed["ok"], signed
    assert signed["data"]["kind"] == "signature.passkey"
    listed = passkeys(head, "caseSignatures", case_id)
    assert [(s["meaning"], s["verified"]) for s in listed["data"]] == [("approve", True)]
    head_context.close()

    # The whole log (with the signature and the passkey registrations) verifies offline.
    assert server.cli("verify", case_id).returncode == 0


def test_too_many_sign_in_attempts_are_told_in_plain_words(browser: Browser, tmp_path):
    """A phone behind an address that started too many sign-ins is told to wait, not shown codes."""
    throttled = start_server(tmp_path, {"CASETRAIL_SIGNIN_RATE": "2"})
    try:
        ctx = browser.new_context(**context_options(throttled))
        page = ctx.new_page()
        page.goto(f"{throttled.url}/#/signin")
        wait_ready(page)
        for _ in range(2):  # someone else on this address already used the window
            assert api(page, "/api/session/options", "POST")["ok"]
        page.click("#signin")
        alert = page.locator("#toasts [role=alert]")
        alert.wait_for(timeout=30_000)
        assert alert.inner_text() == "登录尝试过于频繁，请约 1 分钟后再试。"
        assert page.evaluate("location.hash").startswith("#/signin")
        ctx.close()
    finally:
        throttled.process.terminate()
        throttled.process.wait(30)
