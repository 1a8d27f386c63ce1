// Which of a step's kinds the officer writes here, and the status of the others: kinds recorded by their
// own endpoints (a link opened, a consent, a notice published) or by the approving head.
import * as cases from "../../cases.js";
import { entriesOf } from "../../case_entries.js";
import { h } from "../../dom.js";
import { t, titleOf } from "../../i18n.js";

export const officerWrites = (k) => k === "note" || k.startsWith("record.");
// Fields marked `x-approver` are the approving head's decision: the server takes them only from an
// approver, so nobody else is offered them; a form that cannot be sent without one is the approver's.
export const approverFields = (schema) => Object.entries(schema.properties || {}).filter(([, p]) => p["x-approver"]).map(([k]) => k);
export const approverOnly = (schema) => (schema.required || []).some((k) => approverFields(schema).includes(k));

/** Kinds of the step recorded elsewhere (or by an approver), with whether the case has one yet and how. */
export async function automaticCard(c, id, kinds, { byApprover = false } = {}) {
  const have = await entriesOf(id, kinds).catch(() => []);
  const service = kinds.some((k) => k.startsWith("service.") || k.startsWith("party.") || k.startsWith("notice."));
  const how = (k) => (byApprover ? t("step.approver_only.how")
    : t(`step.automatic.how.${k}`) === `step.automatic.how.${k}` ? t("step.automatic.how") : t(`step.automatic.how.${k}`));
  return h("div", { class: "card automatic-kinds", id: byApprover ? "approver-kinds" : "automatic-kinds" },
    h("p", { class: "muted" }, byApprover ? t("step.approver_only") : t("step.automatic")),
    await Promise.all(kinds.map(async (k) => {
      const n = have.filter((e) => e.kind === k).length;
      return h("div", { class: "row automatic-kind", dataset: { kind: k } },
        h("span", { class: "grow" }, titleOf(await cases.schema(k).catch(() => ({ title: k })))),
        h("span", { class: n ? "badge ok" : "badge" }, n ? t("step.automatic.done", { n }) : t("step.automatic.none")),
        h("span", { class: "muted" }, how(k)));
    })),
    service ? h("a", { class: "button", id: "to-service", href: `#/cases/${id}/service` }, t("service.open")) : null);
}

/** A step with nothing for this officer to write: only the status of its other kinds. */
export async function automaticOnly(c, id, step, kinds, awaiting) {
  return h("section", { class: "step-screen" },
    h("a", { href: `#/cases/${id}` }, `← ${c.title}`),
    h("h1", {}, titleOf(step)),
    awaiting.length ? await automaticCard(c, id, awaiting, { byApprover: true }) : null,
    kinds.length ? await automaticCard(c, id, kinds) : null);
}
