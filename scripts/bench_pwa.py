"""Officer PWA benchmark: app-shell transfer size, first render and "ready" on an emulated mid-range
phone, and a sync of 200 queued photos through 10 network flaps (real server, real Chromium).

"Ready" is when the app marks `document.documentElement.dataset.ready`: its first screen is shown
with its data (the signed-in home lists the officer's cases). `ready_ms` is a signed-in officer
opening the installed app (the start of every shift: the device holds the cases it listed at the
end of the last one, and the server's list replaces them when it arrives); `cold_ready_ms` a first
visit with nothing cached (the sign-in screen). Both under Fast 3G and a 4x slower CPU; with
`--rounds N` each is the median of N runs (the machine may be shared: note its load).

Usage: .venv/bin/python scripts/bench_pwa.py [--photos 200] [--flaps 10] [--rounds 3]
       (--photos 0 skips the sync run)
Last line: RESULT shell_kb=<KB> first_render_ms=<ms> ready_ms=<ms> cold_ready_ms=<ms>
           home_requests=<n> synced=<n>/<N> duplicates=<n>
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    add_authenticator,
    context_options,
    outbox_items,
    register_officer,
    start_server,
    wait_ready,
)

# Chrome DevTools' "Fast 3G" preset and a 4x slower CPU: a mid-range phone on a poor network.
FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8 * 0.9,
    "uploadThroughput": 750 * 1024 / 8 * 0.9,
}


def shell_files(server: Server) -> list[str]:
    """The precache list the server stamped into the service worker it serves."""
    with urllib.request.urlopen(server.url + "/sw.js") as res:
        sw = res.read().decode()
    return json.loads(re.search(r"^const MANIFEST = (.*);$", sw, re.M).group(1))["files"]


def shell_kb(server: Server) -> float:
    """What installing the app downloads: every precached file as the server sends it (gzip)."""
    total = 0
    for path in shell_files(server):
        req = urllib.request.Request(server.url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as res:
            body = res.read()
            if res.headers.get("Content-Encoding") != "gzip" and len(body) > 1024:
                # The server did not compress it: count what gzip would send, and say so.
                print(f"  note: {path} served uncompressed ({len(body)} B)")
            total += len(body) + len(str(res.headers))
    return total / 1024


def throttle(ctx: BrowserContext, page: Page) -> tuple[object, Counter]:
    """Fast 3G and a 4x slower CPU on `page`; counts requests and bytes on the wire."""
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    wire: Counter = Counter()
    # Requests that reached the network: the service worker's answers and cache hits are not counted.
    cdp.on(
        "Network.responseReceived",
        lambda e: wire.update({"requests": 0 if e["response"].get("fromServiceWorker") else 1}),
    )
    cdp.on("Network.loadingFinished", lambda e: wire.update({"bytes": e["encodedDataLength"]}))
    return cdp, wire


# When the app marked itself ready (main.js); a poll that saw the mark later would count its own lag.
READY_AT = "performance.getEntriesByName('casetrail:ready')[0]?.startTime ?? performance.now()"
# When this script saw it (polling, on a 4x slower CPU busy with what follows ready): printed beside it.
SEEN_AT = "performance.now()"


def first_render_ms(browser: Browser, server: Server) -> tuple[float, float, float]:
    """First visit, nothing cached: first contentful paint, app ready, KB on the wire."""
    ctx = browser.new_context(**context_options(server))
    page = ctx.new_page()
    cdp, wire = throttle(ctx, page)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto("/")
    wait_ready(page)
    fcp = page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
    )
    ready, seen = page.evaluate(f"[{READY_AT}, {SEEN_AT}]")
    print(f"  first visit: ready marked at {ready:.0f} ms, seen by the poll at {seen:.0f} ms")
    ctx.close()
    return fcp, ready, wire["bytes"] / 1024


def signed_in_ready_ms(browser: Browser, server: Server, cases: int = 5) -> tuple[float, int]:
    """A signed-in officer with a few cases opens the installed app: ms until the home lists them,
    and how many requests went to the network by then."""
    ctx = browser.new_context(**context_options(server))
    page = ctx.new_page()
    add_authenticator(page)
    register_officer(page, server)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    for i in range(cases):
        page.evaluate(
            """i => import('/js/api.js').then(api => api.json('/api/cases', {method: 'POST', body: {
                 client_id: crypto.randomUUID(), title: `基准案件${i}`, enforcement_kind: 'inspection',
                 procedure: 'general', start_path: 'ex_officio',
                 parties: [{name: '某公司', kind: 'organisation'}], officers: []}}))""",
            i,
        )
    # The officer has used the app before: the device holds the cases it listed last time.
    page.reload()
    page.wait_for_function(f"document.querySelectorAll('.case-card').length >= {cases}")
    page.close()
    page = ctx.new_page()
    _, wire = throttle(ctx, page)
    page.goto("/")
    wait_ready(page)
    ready, seen = page.evaluate(f"[{READY_AT}, {SEEN_AT}]")
    print(f"  signed-in home: ready marked at {ready:.0f} ms, seen by the poll at {seen:.0f} ms")
    requests = wire["requests"]
    shown = page.locator(".case-card").count()
    ctx.close()
    if shown == 0:
        print("  note: the home screen listed no case")
    return ready, requests


def sync_through_flaps(
    browser: Browser, server: Server, photos: int, flaps: int
) -> tuple[int, int]:
    """Queue `photos` photos offline on one case, then sync while the network drops `flaps` times."""
    ctx = browser.new_context(**context_options(server))
    page = ctx.new_page()
    add_authenticator(page)
    register_officer(page, server)
    ctx.set_offline(True)
    case_id = page.evaluate(
        """async (n) => {
          const outbox = await import('/js/outbox.js');
          const stamps = await import('/js/stamps.js');
          const caseId = crypto.randomUUID();
          await outbox.enqueue({type: 'case', case_id: caseId, label: 'bench', body: {
            case_id: caseId, title: '基准测试', enforcement_kind: 'inspection', procedure: 'general',
            start_path: 'ex_officio', parties: [{name: '某公司', kind: 'organisation'}], officers: [],
            claimed: stamps.stamp(), device: stamps.device()}});
          const canvas = new OffscreenCanvas(320, 240);
          const g = canvas.getContext('2d');
          for (let i = 0; i < n; i++) {
            g.fillStyle = `hsl(${(i * 37) % 360} 70% 50%)`;
            g.fillRect(0, 0, 320, 240);
            g.fillStyle = '#fff';
            g.fillText(`photo ${i} ${Date.now()}`, 10, 120);
            const jpeg = await canvas.convertToBlob({type: 'image/jpeg', quality: 0.8});
            const blob = await outbox.keepBlob(jpeg, {media_type: 'image/jpeg', filename: `p${i}.jpg`});
            await outbox.enqueue({type: 'media', case_id: caseId, label: `p${i}`, blob, body: {
              sha256: blob.sha256, kind: 'media.photo', media_type: 'image/jpeg',
              claimed: stamps.stamp(), device: stamps.device(),
              payload: {step: 'record.onsite_inspection'}}});
          }
          return caseId;
        }""",
        photos,
    )
    ctx.set_offline(False)
    deadline = time.monotonic() + 600
    for _ in range(flaps):
        page.wait_for_timeout(1500)
        ctx.set_offline(True)
        page.wait_for_timeout(700)
        ctx.set_offline(False)
    while time.monotonic() < deadline:
        items = outbox_items(page)
        if all(i["state"] in ("sent", "rejected") for i in items):
            break
        page.wait_for_timeout(500)
    items = outbox_items(page)
    synced = sum(1 for i in items if i["type"] == "media" and i["state"] == "sent")
    entries = []
    after = -1
    while True:
        page_json = page.evaluate(
            "([c, a]) => fetch(`/api/cases/${c}/timeline?after_seq=${a}&limit=1000`).then(r => r.json())",
            [case_id, after],
        )
        entries += page_json["entries"]
        if page_json.get("next_after_seq") is None:
            break
        after = page_json["next_after_seq"]
    media = [e for e in entries if e["kind"] == "media.photo"]
    by_client = Counter(e["client_id"] for e in media)
    by_hash = Counter(e["payload"].get("sha256") for e in media)
    duplicates = sum(n - 1 for n in by_client.values() if n > 1) + sum(
        n - 1 for n in by_hash.values() if n > 1
    )
    ctx.close()
    return synced, duplicates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--flaps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        server.cli("init", check=False)
        try:
            kb = shell_kb(server)
            print(f"shell: {len(shell_files(server))} files, {kb:.1f} KB compressed")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                fcps, colds, readies, counts = [], [], [], []
                for n in range(1, args.rounds + 1):
                    fcp, cold, wire = first_render_ms(browser, server)
                    print(
                        f"round {n} first visit (Fast 3G, 4x CPU): FCP {fcp:.0f} ms, app ready {cold:.0f} ms, {wire:.1f} KB on the wire"
                    )
                    ready, requests = signed_in_ready_ms(browser, server)
                    print(
                        f"round {n} signed-in home, installed app (Fast 3G, 4x CPU): ready {ready:.0f} ms, {requests} network requests"
                    )
                    (
                        fcps.append(fcp),
                        colds.append(cold),
                        readies.append(ready),
                        counts.append(requests),
                    )
                fcp, cold = statistics.median(fcps), statistics.median(colds)
                ready, requests = statistics.median(readies), statistics.median(counts)
                synced, duplicates = 0, 0
                if args.photos:
                    try:
                        synced, duplicates = sync_through_flaps(
                            browser, server, args.photos, args.flaps
                        )
                    except Exception as e:  # noqa: BLE001 - report what blocked the sync run
                        print(f"sync run failed: {e}", file=sys.stderr)
                browser.close()
        finally:
            server.process.terminate()
    print(
        f"RESULT shell_kb={kb:.1f} first_render_ms={fcp:.0f} ready_ms={ready:.0f} cold_ready_ms={cold:.0f}"
        f" home_requests={requests:.0f} synced={synced}/{args.photos} duplicates={duplicates}"
        f" rounds={args.rounds}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
