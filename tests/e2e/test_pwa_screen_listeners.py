"""Screens leave nothing listening behind: an officer going back and forth between a case, one of its
steps, its service screen and the outbox ten times leaves the app as many outbox, window and document
listeners as going once (each visit used to add its own, all of them answering every outbox change)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server, add_authenticator, register_officer, wait_all_sent
from tests.e2e.test_pwa_officer_online import open_case

pytestmark = pytest.mark.e2e

# Counts the live listeners on the window, the document and the app's own event targets (the outbox's
# events, the position fixes): added and not yet removed, by hand or by their AbortSignal.
COUNT_LISTENERS = """
(() => {
  const live = [];
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  const watched = (target) => target === window || target === document || target.constructor === EventTarget;
  const capture = (opts) => Boolean(typeof opts === 'boolean' ? opts : opts?.capture);
  const find = (target, type, fn, opts) => live.findIndex(
    (l) => l.target === target && l.type === type && l.fn === fn && l.capture === capture(opts));
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    add.call(this, type, fn, opts);
    if (!watched(this) || !fn || opts?.once || opts?.signal?.aborted || find(this, type, fn, opts) >= 0) return;
    const entry = { target: this, type, fn, capture: capture(opts) };
    live.push(entry);
    opts?.signal?.addEventListener('abort', () => live.splice(live.indexOf(entry), 1), { once: true });
  };
  EventTarget.prototype.removeEventListener = function (type, fn, opts) {
    remove.call(this, type, fn, opts);
    const at = find(this, type, fn, opts);
    if (at >= 0) live.splice(at, 1);
  };
  window.listenerCount = () => live.length;
})();
"""


def visit(page: Page, path: str, shows: str) -> None:
    page.evaluate("path => { location.hash = path; }", path)
    page.wait_for_selector(shows, timeout=30_000)


def round_trip(page: Page, case_id: str) -> int:
    visit(page, f"/cases/{case_id}/steps/onsite_inspection", "#submit")
    visit(page, f"/cases/{case_id}/service", ".service-screen")
    visit(page, "/outbox", "#outbox-list")
    visit(page, f"/cases/{case_id}", "[data-step=onsite_inspection]")
    return page.evaluate("listenerCount()")


def test_going_back_and_forth_between_screens_leaves_no_listeners_behind(
    page: Page, server: Server
) -> None:
    page.add_init_script(COUNT_LISTENERS)
    add_authenticator(page)
    register_officer(page, server, name="钱警官")
    case_id = open_case(page, "往返页面的检查")
    wait_all_sent(page)
    once = round_trip(page, case_id)
    for _ in range(9):
        again = round_trip(page, case_id)
    assert again == once, f"{again - once} listeners more after nine more round trips"
    # The case screen still follows the outbox: a record queued elsewhere shows on it.
    page.evaluate(
        """async (caseId) => {
          const outbox = await import('/js/outbox.js');
          await outbox.enqueue({ type: 'entry', case_id: caseId, label: '备注', state: 'draft',
                                 body: { kind: 'note', payload: { text: '往返之后' } } });
        }""",
        case_id,
    )
    page.wait_for_selector(".outbox-item[data-state=draft]", timeout=15_000)
