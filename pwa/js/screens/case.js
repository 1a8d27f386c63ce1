// One case: where it stands, the steps its rule pack requires (and which need AV), and what is waiting.
import { caseMedia } from "../case_media.js";
import * as cases from "../cases.js";
import { h, toast } from "../dom.js";
import { itemProgress, mediaPreview, waitsForRefusedCase } from "../forms/item_view.js";
import { verifyDetails } from "../forms/plain.js";
import { refusedActions } from "../forms/refused.js";
import { isEn, t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";
import * as session from "../session.js";
import * as stamps from "../stamps.js";
import { documentsPanel } from "../documents_panel.js";

export function stateBadge(item) {
  const cls = { sent: "ok", rejected: "bad", draft: "", queued: "warn", sending: "warn" }[item.state];
  return h("span", { class: `badge ${cls} state-${item.state}`, dataset: { state: item.state } }, t(`state.${item.state}`));
}

/**
 * Move the case forward: to the next stage or, since the server takes any later stage, a jump.
 * What the rules still miss before the chosen stage is shown as a warning; only the server may refuse.
 */
function stageMove(c, steps, isDone, items) {
  const at = cases.STAGES.indexOf(cases.stageOf(c, items));
  const later = cases.STAGES.slice(at + 1);
  if (!later.length || (c.status && c.status !== "open")) return null;
  const target = h("select", { id: "stage-target", "aria-label": t("stage_move.target") },
    later.map((s) => h("option", { value: s }, t(`stage.${s}`))));
  const warnings = h("div", { class: "stage-warnings", role: "status" });
  const problems = (c.compliance || c.open_problems || []).filter((r) => !r.id.startsWith("step:") && ["missing", "late", "refused"].includes(r.status));
  const showWarnings = () => {
    const upTo = cases.STAGES.indexOf(target.value);
    const open = steps.filter((s) => cases.STAGES.indexOf(s.stage) < upTo && !isDone(s));
    const lines = [
      ...open.map((s) => `${t(`stage.${s.stage}`)} · ${titleOf(s)}`),
      ...problems.map((r) => (isEn() ? r.message_en : r.message_zh)),
    ];
    warnings.replaceChildren(
      ...(lines.length
        ? [h("p", {}, t("stage_move.missing")), ...lines.map((l) => h("div", { class: "badge warn" }, l))]
        : [h("p", { class: "muted" }, t("stage_move.all_done"))]),
    );
  };
  target.addEventListener("change", showWarnings);
  const panel = h("div", { class: "card", id: "stage-confirm", hidden: true },
    h("label", { for: "stage-target" }, t("stage_move.target")), target, warnings,
    h("div", { class: "row" },
      h("button", { id: "stage-cancel", class: "grow", onclick: () => { panel.hidden = true; open.hidden = false; } }, t("cancel")),
      h("button", { id: "stage-ok", class: "primary grow", onclick: () => confirm() }, t("stage_move.confirm"))));
  const open = h("button", { id: "stage-next", onclick: () => { showWarnings(); panel.hidden = false; open.hidden = true; } },
    t("stage_move.next", { stage: t(`stage.${later[0]}`) }));
  async function confirm() {
    const stage = target.value;
    try {
      await outbox.enqueue({
        type: "entry",
        case_id: c.case_id,
        label: `${t("stage_move.label")}: ${t(`stage.${stage}`)}`,
        body: { kind: "case.stage", payload: { stage }, claimed: stamps.stamp(), device: stamps.device(), blobs: [], signatures: [] },
      });
    } catch (e) {
      toast(e.message === "storage_full" ? t("storage.full") : e.message, "error");
      return;
    }
    toast(t("stage_move.queued", { stage: t(`stage.${stage}`) }));
    router.render();
  }
  return h("div", { class: "stage-move" }, open, panel);
}

export async function render({ id }) {
  const c = await cases.getCase(id);
  const pack = await cases.pack(cases.packIdOf(c, session.current()));
  const items = (await outbox.items()).filter((i) => i.case_id === id);
  const stageIdx = cases.STAGES.indexOf(cases.stageOf(c, items));
  const steps = cases.requiredSteps(pack, c);
  const met = new Map((c.compliance || []).filter((r) => r.id.startsWith("step:")).map((r) => [r.id.slice(5), r]));
  const localKinds = new Set(items.filter((i) => i.type === "entry").map((i) => i.body.kind));
  const next = new Set(c.next_steps || []);

  const isDone = (s) => met.get(s.id)?.status === "met" || s.any_of.some((k) => localKinds.has(k));
  const stepRow = (s) => {
    const req = met.get(s.id);
    const done = isDone(s);
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
          req && req.status !== "met" ? h("span", { class: `badge ${req.status === "due" ? "warn" : "bad"}` }, isEn() ? req.message_en : req.message_zh) : null,
        ),
      ),
      h("span", { class: done ? "badge ok" : "badge" }, done ? t("step.recorded") : t("step.todo")),
    );
  };

  // What is on the device follows the outbox live: sent, refused, progress — no reload needed.
  const onDevice = h("div", { id: "on-device" });
  const drawItems = async () => {
    const all = await outbox.items();
    const mine = all.filter((i) => i.case_id === id);
    onDevice.replaceChildren(...(mine.length
      ? mine.map((i) => h("div", { class: "card outbox-item", dataset: { id: i.id, state: i.state } },
        h("div", { class: "row" }, mediaPreview(i), h("span", { class: "grow" }, i.label), stateBadge(i)),
        itemProgress(i),
        waitsForRefusedCase(i, all) ? h("div", { class: "muted waits" }, t("forms.waits_for_case")) : null,
        refusedActions(i),
        i.result?.hash ? verifyDetails([[t("forms.entry_hash"), i.result.hash]]) : null))
      : [h("p", { class: "muted" }, t("case.nothing_waiting"))]));
  };
  outbox.events.addEventListener("change", drawItems, { signal: router.screenSignal() });
  await drawItems();
  const refusedCase = items.find((i) => i.type === "case" && i.state === "rejected");

  const extra = (c.compliance || []).filter((r) => !r.id.startsWith("step:") && r.status !== "met" && r.status !== "not_applicable");
  return h(
    "section",
    {},
    h("h1", {}, c.title),
    h("div", { class: "muted" }, [c.number, t(`kind.${c.enforcement_kind}`), t(`procedure.${c.procedure}`), t(`start_path.${c.start_path}`)].filter(Boolean).join(" · ")),
    c.local ? h("p", { class: "badge warn" }, t("case.not_synced")) : null,
    refusedCase ? h("div", { class: "card refused-case" }, refusedActions(refusedCase)) : null,
    h("div", { class: "row" },
      h("a", { class: "button", id: "case-team", href: `#/cases/${encodeURIComponent(c.case_id)}/team` }, t("docs.team")),
      h("a", { class: "button", id: "case-service", href: `#/cases/${encodeURIComponent(c.case_id)}/service` }, t("service.open"))),
    h("div", { class: "stages", "aria-label": t("case.stages") },
      cases.STAGES.map((s, i) => h("span", { class: i < stageIdx ? "done" : i === stageIdx ? "now" : "", dataset: { stage: s } }, t(`stage.${s}`)))),
    stageMove(c, steps, isDone, items),
    h("h2", {}, t("case.steps")),
    steps.length ? steps.map(stepRow) : h("p", { class: "muted" }, t("case.no_workflow")),
    caseMedia(c.case_id, items),
    c.local ? null : await documentsPanel(c.case_id, { onChanged: () => router.render() }),
    extra.length ? [h("h2", {}, t("case.compliance")), extra.map((r) => h("div", { class: "card" }, h("span", { class: `badge ${r.status === "late" || r.status === "due" ? "warn" : "bad"}` }, t(`req.${r.status}`)), " ", isEn() ? r.message_en : r.message_zh))] : null,
    h("h2", {}, t("case.on_device")),
    onDevice,
  );
}
