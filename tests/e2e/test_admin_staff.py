"""An agency's first admin invites an officer and a supervisor from the app; each sees what their role allows.

Real Chromium, one browser context (and one virtual platform authenticator) per person, against uvicorn.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    context_options,
    invite_link,
    wait_ready,
)

API = """async ([path, method, body, headers]) => {
  const api = await import('/js/api.js');
  try { return {ok: true, data: await api.json(path, {method, body: body ?? undefined, headers})}; }
  catch (e) { return {ok: false, status: e.status, code: e.code}; }
}"""


def api(
    page: Page, path: str, method: str = "GET", body: object = None, headers: dict | None = None
) -> dict:
    return page.evaluate(API, [path, method, body, headers or {}])


def person(browser: Browser, server: Server, link: str) -> tuple[BrowserContext, Page]:
    """A colleague on their own phone: opens the registration link and registers a passkey."""
    ctx = browser.new_context(**context_options(server))
    page = ctx.new_page()
    add_authenticator(page)
    page.goto(link)
    wait_ready(page)
    page.locator("#register").click()
    page.wait_for_function("!location.hash.startsWith('#/register')", timeout=30_000)
    return ctx, page


def sign_out_and_in(page: Page, server: Server) -> None:
    page.evaluate("import('/js/session.js').then(s => s.signOut())")
    assert api(page, "/api/me")["status"] == 401
    page.goto(f"{server.url}/#/signin")
    page.locator("#signin").click()
    page.wait_for_function("!location.hash.startsWith('#/signin')", timeout=30_000)


def invite_in_app(admin: Page, name: str, roles: list[str], unit: str, cert: str = "") -> str:
    form = admin.locator("#invite-form")
    form.locator("input[name=name]").fill(name)
    for role in roles:
        form.locator(f"input[data-role={role}]").check()
    form.locator("input[name=unit_id]").fill(unit)
    if cert:
        form.locator("input[name=cert_number]").fill(cert)
        form.locator("input[name=cert_valid_until]").fill("2030-12-31")
    admin.locator("#send-invite").click()
    expect(admin.locator(".invite-result")).to_contain_text(name)
    expect(admin.locator("#copy-invite")).to_be_visible()
    link = admin.locator("#invite-link").input_value()
    assert "/#invite=" in link, link  # the token in the fragment: never sent, never logged
    return link


def staff_card(admin: Page, staff_id: str):
    return admin.locator(f"#staff-list .staff[data-staff-id='{staff_id}']")


def test_admin_invites_an_officer_and_a_supervisor_and_deactivating_the_officer_locks_them_out(
    browser: Browser, server: Server
) -> None:
    admin_ctx, admin = person(browser, server, invite_link(server, role="admin", name="王管理员"))
    expect(admin.locator("nav.tabs #tab-admin")).to_be_visible()
    admin.locator("nav.tabs #tab-admin").click()
    expect(admin.locator("#staff-list .staff")).to_have_count(1)

    officer_link = invite_in_app(admin, "李警官", ["officer"], "劳动保障监察大队", cert="湘执01234")
    supervisor_link = invite_in_app(admin, "张科长", ["supervisor"], "法制股")
    assert officer_link != supervisor_link

    officer_ctx, officer = person(browser, server, officer_link)
    supervisor_ctx, supervisor = person(browser, server, supervisor_link)
    try:
        sign_out_and_in(officer, server)
        sign_out_and_in(supervisor, server)

        # The officer: their cases, no admin or review tab, and the API refuses the staff list.
        me = api(officer, "/api/me")["data"]
        assert (me["name"], me["roles"]) == ("李警官", ["officer"])
        officer.goto(f"{server.url}/#/")
        expect(officer.locator("#new-case")).to_be_visible()
        expect(officer.locator("nav.tabs #tab-admin")).to_have_count(0)
        expect(officer.locator("nav.tabs #tab-review")).to_have_count(0)
        assert api(officer, "/api/staff")["status"] == 403
        officer.goto(f"{server.url}/#/admin")
        expect(officer.locator("#admin-forbidden")).to_be_visible()
        expect(officer.locator("#staff-list")).to_have_count(0)
        officer.goto(f"{server.url}/#/review")
        expect(officer.locator(".screen-error")).to_be_visible()
        expect(officer.locator("#review-cases")).to_have_count(0)

        # The supervisor: the review screens, not the admin screen.
        expect(supervisor.locator("nav.tabs #tab-admin")).to_have_count(0)
        supervisor.locator("nav.tabs #tab-review").click()
        # No case yet: on a phone the (card) list is empty and says so.
        expect(supervisor.locator("main h1")).to_have_text("案件审查")
        expect(supervisor.locator("#review-cases")).to_have_count(1)
        expect(supervisor.get_by_text("没有符合条件的案件。")).to_be_visible()

        # The admin sees both, with the certificate typed at invitation now on the officer's record.
        admin.reload()
        wait_ready(admin)
        card = staff_card(admin, me["staff_id"])
        expect(card).to_contain_text("湘执01234")
        expect(card).to_contain_text("劳动保障监察大队")
        expect(card.locator(".staff-roles [data-role=officer]")).to_have_text("执法人员")
        listed = {s["name"]: s for s in api(admin, "/api/staff")["data"]}
        assert listed["李警官"]["cert_number"] == "湘执01234"
        assert listed["李警官"]["cert_valid_until"] == "2030-12-31"
        assert listed["张科长"]["roles"] == ["supervisor"]

        # Roles change: the supervisor also does legal review.
        boss = staff_card(admin, listed["张科长"]["staff_id"])
        boss.locator(".change-staff").click()
        boss.locator("input[data-role=legal_reviewer]").check()
        boss.locator(".save-staff").click()
        expect(
            staff_card(admin, listed["张科长"]["staff_id"]).locator(".staff-roles [data-role]")
        ).to_have_text(["法制审核人员", "法制监督"])
        assert api(supervisor, "/api/me")["data"]["roles"] == ["legal_reviewer", "supervisor"]

        # Deactivation (confirmed in a dialog): the officer's very next request is refused.
        card.locator(".deactivate-staff").click()
        admin.locator("dialog.ask textarea").fill("调离 transferred")
        admin.locator("dialog.ask button.primary").click()
        expect(staff_card(admin, me["staff_id"])).to_have_attribute("data-active", "false")
        expect(staff_card(admin, me["staff_id"]).locator(".staff-state")).to_have_text("已停用")
        assert api(officer, "/api/me")["status"] == 401
        assert api(officer, "/api/cases")["status"] == 401
        # The open app notices at its next call, without a reload, and goes to sign-in.
        officer.evaluate("import('/js/api.js').then((m) => m.json('/api/cases')).catch(() => null)")
        officer.wait_for_function("location.hash.startsWith('#/signin')", timeout=30_000)
        officer.locator("#signin").click()
        expect(officer.locator(".toast.error")).to_be_visible()
        assert api(officer, "/api/me")["status"] == 401
        assert officer.evaluate("location.hash").startswith("#/signin")
    finally:
        officer_ctx.close()
        supervisor_ctx.close()
        admin_ctx.close()


def test_admin_cancels_an_invitation_sent_to_the_wrong_person_and_its_link_stops_working(
    browser: Browser, server: Server
) -> None:
    # An agency of its own, so other tests' unused links do not show among its pending invitations.
    agency = "lingchuan-finance"
    admin_ctx, admin = person(
        browser, server, invite_link(server, role="admin", agency=agency, name="陈管理员")
    )
    admin.locator("nav.tabs #tab-admin").click()
    expect(admin.locator("#no-pending-invites")).to_be_visible()

    wrong_link = invite_in_app(admin, "发错的人", ["officer", "approver"], "稽查科")
    right_link = invite_in_app(admin, "孙警官", ["officer"], "稽查科")
    pending = admin.locator("#pending-invites .invite-pending")
    expect(pending).to_have_count(2)
    wrong = admin.locator("#pending-invites .invite-pending", has_text="发错的人")
    expect(wrong).to_contain_text("邀请人：陈管理员")
    expect(wrong).to_contain_text("稽查科")
    expect(wrong.locator(".invite-roles [data-role]")).to_have_text(["负责人", "执法人员"])
    # The list tells who and what, never the links themselves.
    listed = admin.locator("#pending-invites").inner_html()
    assert wrong_link.split("#invite=")[1] not in listed
    assert right_link.split("#invite=")[1] not in listed

    # Cancelling asks first: dismissing the question leaves the invitation pending.
    wrong.locator(".cancel-invite").click()
    admin.locator("dialog.ask[open] button[type=button]").click()
    expect(pending).to_have_count(2)
    wrong.locator(".cancel-invite").click()
    admin.locator("dialog.ask[open] textarea").fill("链接发错人")
    admin.locator("dialog.ask[open] button.primary").click()
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("孙警官")

    # Whoever received the wrong link is told it was cancelled as it opens; no account is made.
    stray_ctx = browser.new_context(**context_options(server))
    stray = stray_ctx.new_page()
    add_authenticator(stray)
    right_ctx = None
    try:
        stray.goto(wrong_link)
        wait_ready(stray)
        expect(stray.locator("#invite-refused")).to_have_text(
            "此邀请已被作废，请向管理员索取新的链接。"
        )
        expect(stray.locator("#register")).to_be_hidden()
        token = wrong_link.split("#invite=")[1]
        refused = api(stray, "/api/invite", headers={"x-invite-token": token})
        assert (refused["status"], refused["code"]) == (410, "invite_cancelled")
        assert api(stray, "/api/me")["status"] == 401
        assert "发错的人" not in [s["name"] for s in api(admin, "/api/staff")["data"]]

        # The cancellation is on the agency's timeline, by the admin, with the reason.
        timeline = api(admin, f"/api/cases/agency:{agency}/timeline?limit=1000")["data"]
        cancelled = [e for e in timeline["entries"] if e["kind"] == "staff.invite_cancelled"]
        me = api(admin, "/api/me")["data"]
        assert [(e["actor"], e["payload"]["name"], e["payload"]["reason"]) for e in cancelled] == [
            (me["staff_id"], "发错的人", "链接发错人")
        ]

        # The right person's link still works, and then nothing is pending any more.
        right_ctx, _ = person(browser, server, right_link)
        admin.reload()
        wait_ready(admin)
        expect(admin.locator("#no-pending-invites")).to_be_visible()
        expect(admin.locator("#staff-list .staff", has_text="孙警官")).to_have_count(1)
    finally:
        stray_ctx.close()
        if right_ctx is not None:
            right_ctx.close()
        admin_ctx.close()


def test_my_passkeys_add_a_tablet_revoke_it_and_sign_out_everywhere(
    browser: Browser, server: Server
) -> None:
    ctx = browser.new_context(**context_options(server))
    page = ctx.new_page()
    cdp, phone = add_authenticator(page)
    page.goto(invite_link(server, role="officer", name="赵警官"))
    wait_ready(page)
    page.locator("#register").click()
    page.wait_for_function("!location.hash.startsWith('#/register')", timeout=30_000)
    try:
        page.goto(f"{server.url}/#/settings")
        expect(page.locator("#push-toggle")).to_be_attached()
        page.locator("#my-passkeys").click()
        expect(page.locator("#passkey-list .passkey")).to_have_count(1)
        # The only passkey cannot be revoked here (that would lock the officer out).
        expect(page.locator(".revoke-passkey")).to_be_disabled()

        # Another authenticator stands for the tablet (Chromium allows one platform authenticator at a time).
        cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": phone})
        add_authenticator(page)
        page.locator("#passkey-label").fill("平板")
        page.locator("#add-passkey").click()
        expect(page.locator("#passkey-list .passkey")).to_have_count(2)
        tablet = page.locator("#passkey-list .passkey", has_text="平板")
        expect(tablet).to_have_attribute("data-revoked", "false")
        tablet.locator(".revoke-passkey").click()
        page.locator("dialog.ask button.primary").click()
        expect(page.locator("#passkey-list .passkey", has_text="平板")).to_have_attribute(
            "data-revoked", "true"
        )
        keys = api(page, "/api/passkeys")["data"]
        assert sorted(k["revoked"] for k in keys) == [False, True]

        page.locator("#signout-everywhere").click()
        page.locator("dialog.ask button.primary").click()
        page.wait_for_function("location.hash.startsWith('#/signin')", timeout=30_000)
        assert api(page, "/api/me")["status"] == 401
    finally:
        ctx.close()


PUSH_HARNESS = """async (src) => {
  const handlers = {}, shown = [], opened = [], navigated = [];
  const self = {
    addEventListener: (type, fn) => { handlers[type] = fn; },
    registration: { showNotification: async (title, options) => { shown.push({ title, options }); } },
    clients: { matchAll: async () => [], openWindow: async (u) => { opened.push(u); }, claim: async () => {} },
    location: { origin: 'https://casetrail.example' },
    skipWaiting() {},
  };
  new Function('self', src)(self);
  const waits = [];
  const event = (extra) => ({ waitUntil: (p) => waits.push(p), ...extra });
  const payload = { title: '待审批', body: '请使用通行密钥审批签名。', url: '#/review/approvals?entry=ab12', tag: 'approval:ab12' };
  handlers.push(event({ data: { json: () => payload, text: () => JSON.stringify(payload) } }));
  await Promise.all(waits.splice(0));
  let closed = false;
  handlers.notificationclick(event({ notification: { data: shown[0].options.data, close: () => { closed = true; } } }));
  await Promise.all(waits.splice(0));
  const client = { url: 'https://casetrail.example/#/', focus: async () => client, navigate: async (u) => { navigated.push(u); } };
  self.clients.matchAll = async () => [client];
  handlers.notificationclick(event({ notification: { data: shown[0].options.data, close() {} } }));
  await Promise.all(waits.splice(0));
  return { shown, opened, navigated, closed };
}"""


def test_service_worker_shows_a_push_and_a_click_opens_its_screen(page: Page) -> None:
    # Headless Chromium cannot receive a real push: run sw.js's handlers against a stand-in `self`.
    page.goto("/")
    src = page.evaluate("fetch('/sw.js').then(r => r.text())")
    out = page.evaluate(PUSH_HARNESS, src)
    assert [(n["title"], n["options"]["body"], n["options"]["tag"]) for n in out["shown"]] == [
        ("待审批", "请使用通行密钥审批签名。", "approval:ab12")
    ]
    assert out["shown"][0]["options"]["data"] == {"url": "#/review/approvals?entry=ab12"}
    target = "https://casetrail.example/#/review/approvals?entry=ab12"
    assert out["closed"] and out["opened"] == [target]
    assert out["navigated"] == [target]
