// Officer home: my cases and what each needs next, available offline from the device's copy.
import * as cases from "../cases.js";
import { h } from "../dom.js";
import { isEn, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as session from "../session.js";

export function problemsOf(c) {
  return (c.compliance || []).filter((r) => r.status === "missing" || r.status === "late");
}

function caseCard(c, waiting) {
  const problems = problemsOf(c);
  return h(
    "a",
    { class: "card link case-card", href: `#/cases/${c.case_id}`, dataset: { caseId: c.case_id } },
    h("div", { class: "row" },
      h("b", { class: "grow" }, c.title),
      c.local ? h("span", { class: "badge warn" }, t("case.not_synced")) : h("span", { class: "badge" }, c.number || ""),
    ),
    h("div", { class: "muted" }, `${t(`stage.${c.stage}`)} · ${t(`kind.${c.enforcement_kind}`)} · ${t(`start_path.${c.start_path}`)}`),
    (c.next_steps || []).length
      ? h("div", { class: "next" }, `${t("case.next")}: `, c.next_steps.map((k) => h("span", { class: "badge" }, k)))
      : null,
    problems.length
      ? h("div", { class: "problems" }, problems.slice(0, 3).map((p) => h("div", { class: "badge bad" }, isEn() ? p.message_en : p.message_zh)))
      : null,
    waiting ? h("div", { class: "muted" }, t("case.items_waiting", { n: waiting })) : null,
    c.cached_at ? h("div", { class: "stamp" }, t("case.cached_at", { time: new Date(c.cached_at).toLocaleString() })) : null,
  );
}

export async function render() {
  const me = session.current();
  const [list, pending] = await Promise.all([cases.listMine(), outbox.unsent()]);
  const waiting = (id) => pending.filter((i) => i.case_id === id).length;
  // Every record form of the agency's pack is kept for offline use; the mark tells tests (and support) it is done.
  if (navigator.onLine && me) {
    cases.prefetch(cases.packIdOf({}, me)).then(() => (document.documentElement.dataset.offlineReady = "1"), () => {});
  }
  return h(
    "section",
    {},
    h("h1", {}, t("home.title")),
    me ? h("p", { class: "muted" }, t("home.hello", { name: me.name || me.staff_id })) : null,
    list.length ? list.map((c) => caseCard(c, waiting(c.case_id))) : h("p", { class: "muted" }, t("home.empty")),
    h("div", { class: "actions" }, h("a", { class: "button primary", href: "#/cases/new", id: "new-case" }, t("nav.new_case"))),
  );
}
