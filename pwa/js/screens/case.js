// One case: where it stands, the steps its rule pack requires (and which need AV), and what is waiting.
import * as cases from "../cases.js";
import { h } from "../dom.js";
import { isEn, t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as session from "../session.js";

export function stateBadge(item) {
  const cls = { sent: "ok", rejected: "bad", draft: "", queued: "warn", sending: "warn" }[item.state];
  return h("span", { class: `badge ${cls} state-${item.state}`, dataset: { state: item.state } }, t(`state.${item.state}`));
}

export async function render({ id }) {
  const c = await cases.getCase(id);
  const pack = await cases.pack(cases.packIdOf(c, session.current()));
  const items = (await outbox.items()).filter((i) => i.case_id === id);
  const stageIdx = cases.STAGES.indexOf(c.stage);
  const steps = cases.requiredSteps(pack, c);
  const met = new Map((c.compliance || []).filter((r) => r.id.startsWith("step:")).map((r) => [r.id.slice(5), r]));
  const localKinds = new Set(items.filter((i) => i.type === "entry").map((i) => i.body.kind));
  const next = new Set(c.next_steps || []);

  const stepRow = (s) => {
    const req = met.get(s.id);
    const done = req?.status === "met" || s.any_of.some((k) => localKinds.has(k));
    const av = s.any_of.flatMap((k) => cases.avFor(pack, k));
    return h(
      "a",
      { class: "card link step", href: `#/cases/${id}/steps/${s.id}`, dataset: { step: s.id } },
      h("div", { class: "grow" },
        h("div", {}, titleOf(s)),
        h("div", { class: "row" },
          h("span", { class: "muted" }, t(`stage.${s.stage}`)),
          av.length ? h("span", { class: "badge warn av" }, t("step.av_required", { media: av.flatMap((m) => m.media).map((m) => t(`media.${m}`)).join("/") })) : null,
          s.any_of.some((k) => next.has(k)) ? h("span", { class: "badge" }, t("case.next")) : null,
          req && req.status !== "met" ? h("span", { class: "badge bad" }, isEn() ? req.message_en : req.message_zh) : null,
        ),
      ),
      h("span", { class: done ? "badge ok" : "badge" }, done ? t("step.recorded") : t("step.todo")),
    );
  };

  const extra = (c.compliance || []).filter((r) => !r.id.startsWith("step:") && r.status !== "met" && r.status !== "not_applicable");
  return h(
    "section",
    {},
    h("h1", {}, c.title),
    h("div", { class: "muted" }, [c.number, t(`kind.${c.enforcement_kind}`), t(`procedure.${c.procedure}`), t(`start_path.${c.start_path}`)].filter(Boolean).join(" · ")),
    c.local ? h("p", { class: "badge warn" }, t("case.not_synced")) : null,
    h("a", { class: "button", id: "case-service", href: `#/cases/${encodeURIComponent(c.case_id)}/service` }, t("service.open")),
    h("div", { class: "stages", "aria-label": t("case.stages") },
      cases.STAGES.map((s, i) => h("span", { class: i < stageIdx ? "done" : i === stageIdx ? "now" : "" }, t(`stage.${s}`)))),
    h("h2", {}, t("case.steps")),
    steps.length ? steps.map(stepRow) : h("p", { class: "muted" }, t("case.no_workflow")),
    extra.length ? [h("h2", {}, t("case.compliance")), extra.map((r) => h("div", { class: "card" }, h("span", { class: `badge ${r.status === "late" ? "warn" : "bad"}` }, t(`req.${r.status}`)), " ", isEn() ? r.message_en : r.message_zh))] : null,
    h("h2", {}, t("case.on_device")),
    items.length
      ? items.map((i) => h("div", { class: "card row outbox-item", dataset: { id: i.id } }, h("span", { class: "grow" }, i.label), stateBadge(i), i.result?.hash ? h("span", { class: "mono" }, i.result.hash.slice(0, 12)) : null))
      : h("p", { class: "muted" }, t("case.nothing_waiting")),
  );
}
