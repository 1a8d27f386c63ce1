// Entries waiting for a passkey approval: legal review, the head's approval, discussion minutes
// (each participant signs), emergency starts, disposal batches, copy and export requests.
// Nothing is approved blind: each item shows the record in words, its photos and recordings and
// where the case stands against the rules, beside the opinion field and the decision buttons.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { isEn, t, tOr } from "../../i18n.js";
import { entryLink, when } from "./format.js";
import { enforcementKindName, kindName, loadKindTitles, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";
import { SIGN_MEANINGS, signWithPasskey } from "./sign.js";
import { player, serverPhoto } from "../../media_view.js";
import { KIND as PARTY_REQUEST, offers, partyAsked } from "./party_copy_request.js";

// An approver approves, refuses (final for that record: the officer must submit a new one) or
// returns it for correction; a refusal or a return says why. Each is a passkey signature.
// Their words are review.decision.<meaning> (the button) and review.decision.done.<meaning> (the result).
const DECISIONS = { approve: { cls: "ok" }, refuse: { cls: "bad" }, return: { cls: "warn" } };
// Items opened at once; the rest open on a tap (each opening is logged on its case as a view).
const OPEN_AT_ONCE = 6;

async function decide(item, card, meaning) {
  const reasonBox = card.querySelector(".reason");
  const reason = reasonBox?.value.trim() || "";
  if (meaning === "refuse" || meaning === "return") {
    if (!reason) {
      reasonBox?.focus();
      return toast(t("review.approvals.give_reason_refusing_returning"), "error");
    }
  }
  const buttons = [...card.querySelectorAll(".decide button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await signWithPasskey(item.entry_hash, meaning, reason || undefined);
    const cls = DECISIONS[meaning]?.cls || "ok";
    card.querySelector(".state").replaceChildren(h("span", { class: `badge ${cls}` }, tOr(`review.decision.done.${meaning}`, t("review.decision.done.signed"))));
    card.querySelector(".decide").replaceChildren(reason ? h("p", { class: "muted" }, `${t("review.approvals.opinion")}${reason}`) : "");
    card.dataset.decided = meaning;
    toast(t("review.approvals.signed_your_passkey"));
  } catch (e) {
    buttons.forEach((b) => { b.disabled = false; });
    toast(e.message, "error");
  }
}

/** The opinion field and the decisions this kind allows (approve / refuse / return, or one signature). */
function decision(item, me, card) {
  // Nobody approves their own request: the server refuses it, so do not offer it.
  if (item.actor === me) return h("div", { class: "decide" }, h("span", { class: "muted" }, t("review.approvals.yours_another_approver_decides")));
  const meaning = SIGN_MEANINGS[item.kind] || "approve";
  const choices = meaning === "approve" ? Object.keys(DECISIONS).filter((m) => offers(item, m)) : [meaning];
  const label = meaning === "approve" ? t("review.approvals.opinion_needed_refuse_return") : t("review.approvals.opinion_optional");
  return h("div", { class: "decide" },
    h("label", {}, label, h("textarea", { class: "reason", rows: 3, name: "opinion" })),
    h("div", { class: "buttons" }, choices.map((m) => h("button", {
      class: { refuse: "danger", return: "" }[m] ?? "primary",
      dataset: { decision: m },
      onclick: () => decide(item, card, m),
    }, DECISIONS[m] ? t(`review.decision.${m}`) : t("review.approvals.sign_passkey")))));
}

/** What a copy or export request asks for, in words: which records, for whom, why. */
function asked(asks) {
  const what = asks.scope === "export" ? t("review.approvals.whole_dossier")
    : (asks.items || []).map((i) => `${kindName(i.kind)}（${when(i.received_at)}）`).join("、");
  return h("div", { class: "asks" },
    h("div", {}, `${asks.scope === "copy" ? t("review.approvals.copy") : t("review.approvals.export")}${what}`),
    asks.recipient ? h("div", {}, `${t("review.approvals.for")}${asks.recipient}`) : null,
    asks.purpose ? h("div", { class: "muted" }, `${t("review.approvals.purpose")}${asks.purpose}`) : null);
}

function mediaFigure(m) {
  const caption = m.caption || kindName(m.kind);
  let shown;
  if (m.kind === "media.photo") {
    shown = serverPhoto(m.sha256, caption, "");
  } else if (/^(audio|video)\//.test(m.media_type) || m.kind === "media.video" || m.kind === "media.audio" || m.kind === "recording.linked") {
    shown = player(m.sha256, m.media_type || (m.kind === "media.audio" ? "audio/" : "video/"));
  } else {
    shown = h("a", { href: `/api/blobs/${m.sha256}`, download: "" }, t("review.approvals.open_file"));
  }
  return h("figure", { dataset: { kind: m.kind } }, shown, h("figcaption", { class: "muted" }, `${caption} · ${when(m.received_at)}`));
}

function signersLine(signers) {
  if (!signers.length) return null;
  return h("p", { class: "signers" }, t("review.approvals.signed_spot"), signers.map((s) => {
    const role = tOr(`review.signer_role.${s.role}`, "");
    const how = tOr(`review.signer_method.${s.method}`, "");
    return `${s.name || role}（${[role, how].filter(Boolean).join("，")}${s.refusal_reason ? `：${s.refusal_reason}` : ""}）`;
  }).join("；"));
}

/** Where the case stands: counts of rules met, missing and late, and the problems in words. */
function caseState(c) {
  if (!c) return h("p", { class: "muted" }, t("review.approvals.agency_matter_not_case"));
  const bad = (c.counts.missing || 0) + (c.counts.late || 0) + (c.counts.refused || 0);
  return h("div", { class: `case-state ${bad ? "bad" : "ok"}` },
    h("div", {}, h("a", { href: `#/review/cases/${c.case_id}` }, c.title || t("review.approvals.untitled_case")),
      ` · ${stageName(c.stage)} · ${enforcementKindName(c.enforcement_kind)}`),
    h("div", {}, t("review.approvals.rules", { met: c.counts.met || 0, missing: c.counts.missing || 0, late: c.counts.late || 0 })),
    c.problems.length ? h("ul", { class: "problems" }, c.problems.map((p) => h("li", {}, isEn() ? p.message_en : p.message_zh))) : null);
}

/** The record in words, its media, and the case's state; then the opinion and the decision. */
async function openItem(item, card, me) {
  const slot = card.querySelector(".body");
  slot.replaceChildren(h("p", { class: "muted" }, t("review.approvals.reading_record")));
  try {
    const detail = await json(`/api/review/approvals/${item.entry_hash}`);
    await loadKindTitles(detail.media.map((m) => m.kind));
    const related = detail.media.filter((m) => m.related), others = detail.media.filter((m) => !m.related);
    slot.replaceChildren(
      h("div", { class: "record" },
        item.asks ? (item.kind === PARTY_REQUEST ? partyAsked(item.asks) : asked(item.asks)) : null,
        detail.fields.length ? h("dl", { class: "record" }, detail.fields.flatMap((f) => [
          h("dt", {}, isEn() ? f.title_en : f.title_zh), h("dd", {}, isEn() ? f.text_en : f.text_zh)])) : null,
        signersLine(detail.signers),
        related.length ? h("div", {}, h("h3", {}, t("review.approvals.photos_recordings_record")),
          h("div", { class: "media-strip" }, related.map(mediaFigure))) : null,
        others.length ? h("details", { open: !related.length }, h("summary", {}, t("review.approvals.other_media", { n: others.length })),
          h("div", { class: "media-strip" }, others.map(mediaFigure))) : null,
        !related.length && !others.length && !item.asks ? h("p", { class: "muted" }, t("review.approvals.no_photos_recordings_record")) : null),
      h("div", { class: "side" }, h("h3", {}, t("review.approvals.where_case_stands")), caseState(detail.case),
        detail.decided ? h("p", { class: "badge ok" }, t("review.approvals.already_decided")) : decision(item, me, card)));
  } catch (e) {
    slot.replaceChildren(h("p", { class: "badge bad" }, e.message));
  }
}

export async function render(_params, query) {
  const { current } = await import("../../session.js");
  const me = current()?.staff_id;
  const [items, dir, cases] = await Promise.all([
    json("/api/review/approvals"), directory(), json("/api/review/cases").catch(() => []),
  ]);
  await loadKindTitles([...items.map((i) => i.kind), ...items.flatMap((i) => (i.asks?.items || []).map((x) => x.kind))]);
  const titles = new Map(cases.map((c) => [c.case_id, c.title]));
  const where = (item) => {
    if (item.case_id.startsWith("agency:")) return item.kind === "retention.batch" ? h("a", { href: "#/review/retention" }, t("review.approvals.agency_disposal_batch")) : t("review.approvals.agency");
    return h("a", { href: entryLink(item.case_id, item.entry_hash) }, titles.get(item.case_id) || t("review.approvals.untitled_case"));
  };
  // A notification opens its own item first.
  const wanted = query?.get("entry");
  const ordered = wanted ? [...items.filter((i) => i.entry_hash === wanted), ...items.filter((i) => i.entry_hash !== wanted)] : items;
  const cards = ordered.map((item, n) => {
    const card = h("article", { class: "approval", dataset: { entry: item.entry_hash, kind: item.kind } },
      h("header", {},
        h("h2", {}, kindName(item.kind)),
        h("span", { class: "state" }, h("span", { class: "badge warn" }, t("review.approvals.waiting")))),
      h("p", { class: "muted meta" }, where(item), ` · ${t("review.approvals.by")} ${who(dir, item.actor)} · ${when(item.received_at)}`),
      h("div", { class: "body" }));
    if (n < OPEN_AT_ONCE) openItem(item, card, me);
    else card.querySelector(".body").append(h("button", { class: "open", onclick: () => openItem(item, card, me) }, t("review.approvals.read_decide")));
    return card;
  });
  return page(t("review.approvals.approvals_waiting"),
    items.length ? h("div", { id: "approvals" }, cards)
      : h("p", { class: "muted" }, t("review.approvals.nothing_waiting_approval")));
}
