// The documents a case's pack offers (立案审批表, 权利告知书, 行政处罚决定书 …): made from the case's
// records on the server, previewed in plain text here, approved with an approver's passkey, then served.
import { json } from "./api.js";
import { ask, h, toast } from "./dom.js";
import { isEn, t, titleOf } from "./i18n.js";
import * as cases from "./cases.js";
import * as colleagues from "./colleagues.js";
import * as passkeys from "./passkeys.js";
import * as session from "./session.js";
import { forget } from "./case_entries.js";

const STATE = { approved: "ok", refused: "bad", returned: "warn" };

function preview(p) {
  if (!p) return null;
  return h("details", { class: "doc-preview" },
    h("summary", {}, t("docs.preview")),
    h("div", { class: "paper" },
      h("div", { class: "center" }, p.agency_name),
      h("h3", { class: "center" }, p.title),
      h("div", { class: "right" }, p.number),
      // The record may name the party itself (当事人): print it once.
      p.parties.length && !p.lines.some(([label]) => label === t("docs.parties")) ? h("p", {}, `${t("docs.parties")}：${p.parties.join("、")}`) : null,
      p.lines.map(([label, value]) => h("p", {}, h("b", {}, `${label}：`), value)),
      p.closing ? h("p", {}, p.closing) : null,
      h("div", { class: "right" }, p.agency_name),
      h("div", { class: "right" }, p.dated)));
}

export async function documentsPanel(caseId, { onChanged = () => {} } = {}) {
  const box = h("section", { id: "documents", class: "documents" }, h("h2", {}, t("docs.title")));
  let offers;
  try {
    offers = await json(`/api/cases/${encodeURIComponent(caseId)}/documents`);
  } catch {
    box.append(h("p", { class: "muted" }, t("docs.online_only")));
    return box;
  }
  const me = session.current();
  const approver = (me?.roles || []).includes("approver");
  const names = new Map((await colleagues.directory().catch(() => ({ rows: [] }))).rows.map((r) => [r.staff_id, r.name]));

  async function make(offer, renders) {
    try {
      await json(`/api/cases/${encodeURIComponent(caseId)}/documents`, {
        method: "POST",
        body: { client_id: crypto.randomUUID(), document_kind: offer.document_kind, renders },
      });
      forget(caseId);
      toast(t("docs.generated"));
      onChanged();
    } catch (e) {
      toast(e.status === 0 ? t("docs.online_only") : e.message, "error");
    }
  }

  async function decide(doc, meaning) {
    let comment;
    if (meaning !== "approve") {
      comment = await ask(t("docs.reason"));
      if (!comment) return;
    }
    try {
      await passkeys.signEntry(doc.hash, meaning, { comment });
      forget(caseId);
      onChanged();
    } catch (e) {
      toast(e.message, "error");
    }
  }

  for (const offer of offers) {
    const title = isEn() ? offer.title_en : offer.title_zh;
    const latest = offer.records.at(-1);
    const made = offer.documents.at(-1);
    const stale = made && latest && made.renders !== latest.hash;
    const need = offer.records.length ? null : await Promise.all(offer.record_kinds.map(async (k) => titleOf(await cases.schema(k).catch(() => ({ title: "" }))))).then((ts) => ts.filter(Boolean).join(" / "));
    const row = h("div", { class: "card document", dataset: { document: offer.document_kind } },
      h("div", { class: "row" }, h("b", { class: "grow" }, title), h("span", { class: "muted" }, t(`stage.${offer.stage}`))),
      offer.approval_required ? h("div", { class: "muted" }, t("docs.approval_needed")) : null);
    if (made) {
      const decided = made.approval;
      row.append(...[
        h("div", { class: "row" },
          h("span", { class: "grow doc-number" }, t("docs.made", { number: made.number })),
          decided
            ? h("span", { class: `badge ${STATE[decided.decision]} doc-approval`, dataset: { decision: decided.decision } },
              `${t(`docs.${decided.decision}`)}${names.get(decided.by) ? `（${names.get(decided.by)}）` : ""}`)
            : offer.approval_required ? h("span", { class: "badge warn doc-approval", dataset: { decision: "waiting" } }, t("docs.waiting_approval")) : null),
        decided?.reason ? h("div", { class: "muted" }, decided.reason) : null,
        preview(made.preview),
        h("div", { class: "row" },
          h("a", { class: "button", href: `/api/cases/${encodeURIComponent(caseId)}/documents/${made.blob}`, download: `${title}.pdf` }, t("docs.open_pdf")),
          offer.approval_required && approver && !decided
            ? [h("button", { class: "primary doc-approve", onclick: () => decide(made, "approve") }, t("docs.approve")),
              h("button", { class: "doc-return", onclick: () => decide(made, "return") }, t("docs.return"))]
            : null,
          (!offer.approval_required || decided?.decision === "approved") && offer.stage !== "start"
            ? h("a", { class: "button", href: `#/cases/${encodeURIComponent(caseId)}/service` }, t("docs.serve"))
            : null),
      ].filter(Boolean));
    }
    if (latest && (!made || stale || made.approval?.decision === "returned")) {
      row.append(h("button", { class: made ? "doc-generate" : "primary doc-generate", onclick: () => make(offer, latest.hash) }, made ? t("docs.regenerate") : t("docs.generate")));
    } else if (!latest) {
      row.append(h("div", { class: "muted" }, t("docs.needs_record", { what: need })));
    }
    box.append(row);
  }
  return box;
}
