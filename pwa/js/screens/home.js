// Officer home: my cases and what each needs next, available offline from the device's copy.
import { caseSearch, searchText } from "../case_search.js";
import * as cases from "../cases.js";
import { h } from "../dom.js";
import { isEn, t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import { roleLink } from "../role_tabs.js";
import * as session from "../session.js";
import { toSignList } from "./to_sign.js";

/** Missing or late requirements: the list's summary, else the full compliance a case read left. */
export function problemsOf(c) {
  return c.open_problems || (c.compliance || []).filter((r) => ["missing", "late", "refused"].includes(r.status));
}

function caseCard(c, pack, items) {
  const problems = problemsOf(c);
  const waiting = items.filter((i) => i.state !== "sent").length;
  const recorded = new Set(items.filter((i) => i.type === "entry" && i.state !== "draft").map((i) => i.body.kind));
  const next = cases.stepsFor(pack, c, cases.nextStepsOf(pack, c, recorded));
  const stage = cases.stageOf(c, items);
  const refused = items.some((i) => i.state === "rejected");
  return h(
    "a",
    { class: "card link case-card", href: `#/cases/${c.case_id}`,
      dataset: { caseId: c.case_id, search: searchText(c), stage, problems: problems.length || refused ? "1" : "", unsent: waiting ? "1" : "" } },
    h("div", { class: "row head" },
      h("b", { class: "grow" }, c.title),
      c.local ? h("span", { class: "badge warn" }, t("case.not_synced")) : c.number ? h("span", { class: "badge" }, c.number) : null,
    ),
    h("div", { class: "muted" }, `${t(`stage.${stage}`)} · ${t(`kind.${c.enforcement_kind}`)} · ${t(`start_path.${c.start_path}`)}`),
    next.length
      ? h("div", { class: "next row" }, `${t("case.next")}:`, next.map((s) => h("span", { class: "badge", dataset: { step: s.id } }, titleOf(s))))
      : null,
    problems.length
      ? h("div", { class: "problems" }, problems.slice(0, 3).map((p) => h("div", { class: "badge bad" }, isEn() ? p.message_en : p.message_zh)))
      : null,
    refused ? h("div", { class: "badge bad refused-badge" }, t("forms.refused.title")) : null,
    waiting ? h("div", { class: "muted" }, t("case.items_waiting", { n: waiting })) : null,
    c.cached_at ? h("div", { class: "stamp" }, t("case.cached_at", { time: new Date(c.cached_at).toLocaleString() })) : null,
  );
}

/** The packs the cards need (kept on the device), by pack id. */
async function packsFor(list, me) {
  const packs = new Map();
  for (const c of list) {
    const id = cases.packIdOf(c, me);
    if (!packs.has(id)) packs.set(id, await cases.pack(id).catch(() => null));
  }
  return packs;
}

/** The list part of the screen (search, cards or the empty note) for `list`. */
async function listPart(list, me) {
  const [all, packs] = await Promise.all([outbox.items(), packsFor(list, me)]);
  const cards = h("div", { id: "case-list" },
    list.map((c) => caseCard(c, packs.get(cases.packIdOf(c, me)), all.filter((i) => i.case_id === c.case_id))));
  return [list.length > 1 ? caseSearch(cards) : null, list.length ? cards : h("p", { class: "muted" }, t("home.empty"))];
}

/** Once the first screen is up: the record forms kept for offline use (the mark tells tests it is done). */
function keepFormsOffline(me) {
  if (!navigator.onLine || !me) return;
  cases.prefetch(cases.packIdOf({}, me)).then(() => (document.documentElement.dataset.offlineReady = "1"), () => {});
}

/**
 * A returning officer sees the cases this device holds at once (no network on the way to the first
 * screen); the server's list and the to-sign requests replace them when they arrive. A device that holds
 * no case yet waits for the server's list, so a first start never shows a false "no cases".
 */
export async function render() {
  const me = session.current();
  const kept = await cases.listKept();
  const fresh = cases.listMine();
  const slot = h("div", { id: "case-part" }, await listPart(kept.length ? kept : await fresh, me));
  const toSign = h("div", { id: "to-sign-slot" });
  const screen = h(
    "section",
    {},
    h("h1", {}, t("home.title")),
    me ? h("p", { class: "muted" }, t("home.hello", { name: me.name || me.staff_id })) : null,
    toSign,
    slot,
    h("div", { class: "actions" },
      h("a", { class: "button primary", href: "#/cases/new", id: "new-case" }, t("nav.new_case")),
      roleLink("import", { class: "button", id: "home-import" }),
    ),
  );
  afterReady(async () => {
    if (kept.length) {
      const typed = slot.querySelector("#case-search")?.value || "";
      slot.replaceChildren(...(await listPart(await fresh.catch(() => kept), me)).filter(Boolean));
      const box = slot.querySelector("#case-search");
      if (box && typed) (box.value = typed), box.dispatchEvent(new Event("input"));
    }
    if (navigator.onLine) toSign.replaceChildren(...[await toSignList()].filter(Boolean));
    keepFormsOffline(me);
  });
  return screen;
}

/** Run `work` once the app has marked itself ready (the first screen is on show), never before. */
function afterReady(work) {
  const run = () => work().catch((e) => console.error(e));
  if (document.documentElement.dataset.ready) return void setTimeout(run);
  new MutationObserver((_, watcher) => {
    if (!document.documentElement.dataset.ready) return;
    watcher.disconnect();
    run();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-ready"] });
}
