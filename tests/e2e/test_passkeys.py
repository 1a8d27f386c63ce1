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
