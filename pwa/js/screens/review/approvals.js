// Entries waiting for a passkey approval: legal review, the head's approval, discussion minutes
// (each participant signs), emergency starts, disposal batches, copy and export requests.
// Nothing is approved blind: each item shows the record in words, its photos and recordings and
// where the case stands against the rules, beside the opinion field and the decision buttons.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { isEn } from "../../i18n.js";
import { L, directory, enforcementKindName, entryLink, kindName, loadKindTitles, page, signWithPasskey, stageName, when, who } from "./common.js";
import { serverPhoto } from "../../media_view.js";
import { SIGN_MEANINGS, player } from "./timeline.js";
import { KIND as PARTY_REQUEST, offers, partyAsked } from "./party_copy_request.js";

// An approver approves, refuses (final for that record: the officer must submit a new one) or
// returns it for correction; a refusal or a return says why. Each is a passkey signature.
const DECISIONS = {
  approve: { label: ["批准", "Approve"], done: ["已批准", "Approved"], cls: "ok" },
  refuse: { label: ["不予批准", "Refuse"], done: ["不予批准", "Refused"], cls: "bad" },
  return: { label: ["退回补正", "Return for correction"], done: ["已退回补正", "Returned for correction"], cls: "warn" },
};
// Items opened at once; the rest open on a tap (each opening is logged on its case as a view).
const OPEN_AT_ONCE = 6;
const SIGNER_METHODS = { drawn: ["手写签名", "signed by hand"], fingerprint: ["指纹", "fingerprint"], passkey: ["通行密钥", "passkey"], refused: ["拒绝签名", "refused to sign"] };
const ROLES = { officer: ["执法人员", "officer"], party: ["当事人", "party"], recipient: ["受送达人", "recipient"], witness: ["见证人", "witness"] };

async function decide(item, card, meaning) {
  const reasonBox = card.querySelector(".reason");
  const reason = reasonBox?.value.trim() || "";
  if (meaning === "refuse" || meaning === "return") {
    if (!reason) {
      reasonBox?.focus();
      return toast(L("请填写不予批准或退回的理由", "Give the reason for refusing or returning"), "error");
    }
  }
  const buttons = [...card.querySelectorAll(".decide button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await signWithPasskey(item.case_id, item.entry_hash, meaning, reason || undefined);
    const d = DECISIONS[meaning] || { done: ["已签名", "Signed"], cls: "ok" };
    card.querySelector(".state").replaceChildren(h("span", { class: `badge ${d.cls}` }, L(...d.done)));
    card.querySelector(".decide").replaceChildren(reason ? h("p", { class: "muted" }, `${L("意见：", "Opinion: ")}${reason}`) : "");
    card.dataset.decided = meaning;
    toast(L("已用通行密钥签名", "Signed with your passkey"));
  } catch (e) {
    buttons.forEach((b) => { b.disabled = false; });
    toast(e.message, "error");
  }
}

/** The opinion field and the decisions this kind allows (approve / refuse / return, or one signature). */
function decision(item, me, card) {
  // Nobody approves their own request: the server refuses it, so do not offer it.
  if (item.actor === me) return h("div", { class: "decide" }, h("span", { class: "muted" }, L("本人提交，由其他审批人决定", "Yours: another approver decides")));
  const meaning = SIGN_MEANINGS[item.kind] || "approve";
  const choices = meaning === "approve" ? Object.keys(DECISIONS).filter((m) => offers(item, m)) : [meaning];
  const label = meaning === "approve" ? L("审批意见（不予批准或退回时必填）", "Opinion (needed to refuse or return)") : L("意见（可选）", "Opinion (optional)");
  return h("div", { class: "decide" },
    h("label", {}, label, h("textarea", { class: "reason", rows: 3, name: "opinion" })),
    h("div", { class: "buttons" }, choices.map((m) => h("button", {
      class: { refuse: "danger", return: "" }[m] ?? "primary",
      dataset: { decision: m },
      onclick: () => decide(item, card, m),
    }, DECISIONS[m] ? L(...DECISIONS[m].label) : L("通行密钥签名", "Sign with passkey")))));
}

/** What a copy or export request asks for, in words: which records, for whom, why. */
function asked(asks) {
  const what = asks.scope === "export" ? L("整个案卷导出", "The whole dossier")
    : (asks.items || []).map((i) => `${kindName(i.kind)}（${when(i.received_at)}）`).join("、");
  return h("div", { class: "asks" },
    h("div", {}, `${asks.scope === "copy" ? L("申请复制：", "Copy of: ") : L("申请导出：", "Export: ")}${what}`),
    asks.recipient ? h("div", {}, `${L("交给：", "For: ")}${asks.recipient}`) : null,
    asks.purpose ? h("div", { class: "muted" }, `${L("用途：", "Purpose: ")}${asks.purpose}`) : null);
}

function mediaFigure(m) {
  const caption = m.caption || kindName(m.kind);
  let shown;
  if (m.kind === "media.photo") {
    shown = serverPhoto(m.sha256, caption, "");
  } else if (/^(audio|video)\//.test(m.media_type) || m.kind === "media.video" || m.kind === "media.audio" || m.kind === "recording.linked") {
    shown = player(m.sha256, m.media_type || (m.kind === "media.audio" ? "audio/" : "video/"));
  } else {
    shown = h("a", { href: `/api/blobs/${m.sha256}`, download: "" }, L("打开文件", "Open the file"));
  }
  return h("figure", { dataset: { kind: m.kind } }, shown, h("figcaption", { class: "muted" }, `${caption} · ${when(m.received_at)}`));
}

function signersLine(signers) {
  if (!signers.length) return null;
  return h("p", { class: "signers" }, L("现场签名：", "Signed on the spot: "), signers.map((s) => {
    const role = ROLES[s.role] ? L(...ROLES[s.role]) : "";
    const how = SIGNER_METHODS[s.method] ? L(...SIGNER_METHODS[s.method]) : "";
    return `${s.name || role}（${[role, how].filter(Boolean).join("，")}${s.refusal_reason ? `：${s.refusal_reason}` : ""}）`;
  }).join("；"));
}

/** Where the case stands: counts of rules met, missing and late, and the problems in words. */
function caseState(c) {
  if (!c) return h("p", { class: "muted" }, L("本机关事项，不属于某一案件。", "An agency matter, not a case."));
  const bad = (c.counts.missing || 0) + (c.counts.late || 0) + (c.counts.refused || 0);
  return h("div", { class: `case-state ${bad ? "bad" : "ok"}` },
    h("div", {}, h("a", { href: `#/review/cases/${c.case_id}` }, c.title || L("（未命名案件）", "(untitled case)")),
      ` · ${stageName(c.stage)} · ${enforcementKindName(c.enforcement_kind)}`),
    h("div", {}, L(`合规：${c.counts.met || 0} 项符合，${c.counts.missing || 0} 项缺失，${c.counts.late || 0} 项逾期`,
      `Rules: ${c.counts.met || 0} met, ${c.counts.missing || 0} missing, ${c.counts.late || 0} late`)),
    c.problems.length ? h("ul", { class: "problems" }, c.problems.map((p) => h("li", {}, isEn() ? p.message_en : p.message_zh))) : null);
}

/** The record in words, its media, and the case's state; then the opinion and the decision. */
async function openItem(item, card, me) {
  const slot = card.querySelector(".body");
  slot.replaceChildren(h("p", { class: "muted" }, L("正在读取记录…", "Reading the record…")));
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
        related.length ? h("div", {}, h("h3", {}, L("本记录的照片与录音录像", "Photos and recordings of this record")),
          h("div", { class: "media-strip" }, related.map(mediaFigure))) : null,
        others.length ? h("details", { open: !related.length }, h("summary", {}, L(`案件中的其他照片与录音录像（${others.length}）`, `Other photos and recordings of the case (${others.length})`)),
          h("div", { class: "media-strip" }, others.map(mediaFigure))) : null,
        !related.length && !others.length && !item.asks ? h("p", { class: "muted" }, L("本记录没有照片或录音录像。", "No photos or recordings with this record.")) : null),
      h("div", { class: "side" }, h("h3", {}, L("案件合规情况", "Where the case stands")), caseState(detail.case),
        detail.decided ? h("p", { class: "badge ok" }, L("已有审批决定", "Already decided")) : decision(item, me, card)));
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
    if (item.case_id.startsWith("agency:")) return item.kind === "retention.batch" ? h("a", { href: "#/review/retention" }, L("本机关（销毁清单）", "Agency (disposal batch)")) : L("本机关", "Agency");
    return h("a", { href: entryLink(item.case_id, item.entry_hash) }, titles.get(item.case_id) || L("（未命名案件）", "(untitled case)"));
  };
  // A notification opens its own item first.
  const wanted = query?.get("entry");
  const ordered = wanted ? [...items.filter((i) => i.entry_hash === wanted), ...items.filter((i) => i.entry_hash !== wanted)] : items;
  const cards = ordered.map((item, n) => {
    const card = h("article", { class: "approval", dataset: { entry: item.entry_hash, kind: item.kind } },
      h("header", {},
        h("h2", {}, kindName(item.kind)),
        h("span", { class: "state" }, h("span", { class: "badge warn" }, L("待审批", "Waiting")))),
      h("p", { class: "muted meta" }, where(item), ` · ${L("提交人", "by")} ${who(dir, item.actor)} · ${when(item.received_at)}`),
      h("div", { class: "body" }));
    if (n < OPEN_AT_ONCE) openItem(item, card, me);
    else card.querySelector(".body").append(h("button", { class: "open", onclick: () => openItem(item, card, me) }, L("查看记录并审批", "Read and decide")));
    return card;
  });
  return page(L("待审批", "Approvals waiting"),
    items.length ? h("div", { id: "approvals" }, cards)
      : h("p", { class: "muted" }, L("没有待审批事项。", "Nothing is waiting for approval.")));
}
