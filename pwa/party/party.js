// The party's page: open the served document, confirm receipt, keep the receipt, answer in time.
// The token lives in the URL fragment and travels in a header, so it never reaches a server or proxy
// log, a Referer header or the browser history of the API.

const token = decodeURIComponent(location.hash.slice(1));
// Everything on the page belongs to one token: another link opened in this tab starts the page afresh.
addEventListener("hashchange", () => location.reload());
const api = "/api/party";
const auth = { "X-Party-Token": token };
const $ = (id) => document.getElementById(id);

const STRINGS = {
  en: {
    title: "Document served to you", loading: "Opening…", recipient: "Recipient", served_at: "Served at",
    deadline: "Statements due by", download: "Download the document (PDF)",
    proof: "Document fingerprint and the agency's signed checkpoint", hash: "Document SHA-256: ",
    proof_help: "Every opening of this page is recorded. The first opening is the moment of service.",
    vkey: "Verifier key: ", confirm_title: "Confirm receipt",
    confirm_help: "Confirm with your phone's fingerprint or face, or sign by hand below.",
    passkey: "Confirm with fingerprint / face", clear: "Clear", sign: "Submit handwritten signature",
    receipt_title: "Receipt", receipt_help: "Download and keep the receipt; it verifies offline (casetrail verify --receipt).",
    entry: "Entry: ", receipt_download: "Download receipt", statement_title: "Statement and defence",
    type: "Type", statement: "Statement", defence: "Defence", text: "Text", files: "Attachments (optional)",
    submit: "Submit", footer: "This page shows only the document served to you, nothing else about the case.",
    invalid: "This link is invalid or no longer valid.", confirmed: "Receipt confirmed.",
    submitted: "Submitted. It is on the record.", closed: "The deadline has passed; statements are no longer accepted here.",
    open_until: "You may submit until ", not_yet: "Not yet", none: "—", sign_first: "Please sign first.",
    working: "Working…",
    receipt_title: "Service receipt", receipt_help: "Download and keep the service receipt: print it or forward it; anyone can check it on the verification page.",
    receipt_pdf: "Download the service receipt (PDF)", verify_link: "Open the verification page",
    receipt_machine: "Receipt for computers", receipt_machine_help: "JSON, for computers: casetrail verify --receipt checks it offline.",
    receipt_download: "Download receipt (JSON)",
    no_viewer: "This browser cannot show the PDF here: download it below to read it.",
    in_app: "You opened this link inside an app (such as WeChat): fingerprint confirmation and the document preview may not work here. Tap ··· at the top right and choose \"Open in browser\", or sign by hand below.",
    confirm_drawn: "Sign by hand below to confirm receipt.",
    copies_title: "View or copy the case records",
    copies_help: "You may ask to view or copy the records of this case; the head of the agency decides. Records kept confidential by law are excluded. Once approved, download them through this link before the time runs out.",
    copies_pick: "Choose records", copies_purpose: "You ask to", purpose_copy: "Copy (download copies)", purpose_view: "View",
    copies_note: "What for (optional)", copies_submit: "Send the request", confidential: "Confidential by law: cannot be requested",
    pick_first: "Choose at least one record.", asked: "Request sent. The agency will answer here.",
    state_waiting: "Waiting for the head's decision", state_approved: "Approved", state_refused: "Refused",
    reason: "Reason: ", valid_until: "Download by ", expired: "The time to download has passed; ask again.",
    get_copy: "Download", requested_on: "Asked on ",
  },
  zh: {
    title: "电子送达文书", loading: "正在打开…", recipient: "受送达人", served_at: "送达时间",
    deadline: "陈述申辩期限", download: "下载文书（PDF）", proof: "文书指纹与机关签名检查点",
    hash: "文书SHA-256：", proof_help: "本页面每次打开都会被记录。首次打开即为送达时间。",
    vkey: "验证公钥：", confirm_title: "确认收到", confirm_help: "请用手机指纹或面容确认，或在下方手写签名。",
    passkey: "用指纹/面容确认", clear: "清除", sign: "提交手写签名", receipt_title: "回执",
    receipt_help: "请下载并保存回执，可离线核验（casetrail verify --receipt）。", entry: "记录编号：",
    receipt_download: "下载回执", statement_title: "陈述申辩", type: "类型", statement: "陈述", defence: "申辩",
    text: "内容", files: "附件（可选）", submit: "提交", footer: "本页面仅显示送达给您的文书，不含其他案件信息。",
    invalid: "链接无效或已失效。", confirmed: "已确认收到。", submitted: "已提交，已记录在案。",
    closed: "陈述申辩期限已届满，本链接不再接收。", open_until: "可在以下时间前提交：", not_yet: "尚未",
    none: "—", sign_first: "请先签名。", working: "处理中…",
    receipt_title: "送达回证", receipt_help: "请下载并保存送达回证，可以打印或转发；任何人都可以在查验页面核对它。",
    receipt_pdf: "下载送达回证（PDF）", verify_link: "打开查验页面",
    receipt_machine: "供计算机核验的回执", receipt_machine_help: "JSON 格式，供计算机核验，可用 casetrail verify --receipt 离线核验。",
    receipt_download: "下载回执（JSON）",
    no_viewer: "本浏览器不能直接显示 PDF，请点下方按钮下载后查看。",
    in_app: "您正在微信等应用内打开本链接，指纹确认和文书预览可能无法使用。可点右上角“···”，选择“在浏览器打开”；也可以在下方手写签名。",
    confirm_drawn: "请在下方手写签名，确认收到。",
    copies_title: "查阅、复制执法记录",
    copies_help: "您可以申请查阅或复制本案的执法记录，由本机关负责人审批；依法应当保密的记录除外。批准后可在有效期内通过本链接下载。",
    copies_pick: "选择记录", copies_purpose: "申请事项", purpose_copy: "复制（下载复制件）", purpose_view: "查阅",
    copies_note: "用途说明（可选）", copies_submit: "提交申请", confidential: "依法保密，不能申请",
    pick_first: "请至少选择一份记录。", asked: "申请已提交，审批结果会显示在这里。",
    state_waiting: "等待负责人审批", state_approved: "已批准", state_refused: "不予批准",
    reason: "理由：", valid_until: "下载截止：", expired: "下载期限已过，请重新申请。",
    get_copy: "下载", requested_on: "申请时间：",
  },
};
let lang = localStorage.getItem("party-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key) => STRINGS[lang][key] ?? key;
let view = null;
let copies = null;

// In-app browsers (WeChat, QQ, Weibo, Alipay, DingTalk ...) often expose WebAuthn and PDF objects
// that then fail: offer what works there (a drawn signature, a download) and say how to get out.
const ua = navigator.userAgent;
const inApp = /MicroMessenger|\bQQ\/|Weibo|AlipayClient|DingTalk|Lark|baiduboxapp|ToutiaoMicroApp/i.test(ua);
const capable = {
  passkey: !inApp && typeof window.PublicKeyCredential === "function",
  // Android browsers show no PDF inside a page: a download opens it in the system viewer.
  pdf: !inApp && navigator.pdfViewerEnabled !== false && !/Android/i.test(ua),
};

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  $("lang").setAttribute("aria-label", $("lang").textContent);
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("in-app").textContent = t("in_app");
  if (!capable.passkey) $("confirm-help").textContent = t("confirm_drawn");
  if (view) render(view);
  if (copies) renderCopies(copies);
}

function when(iso) {
  if (!iso) return t("not_yet");
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false }) + (lang === "zh" ? "（北京时间）" : " (China time)");
}

function show(id, on = true) { $(id).hidden = !on; }

function message(el, text, kind = "note") { el.textContent = text; el.className = kind; }

async function request(path, options = {}) {
  const res = await fetch(api + path, { credentials: "omit", ...options, headers: { ...auth, ...options.headers } });
  if (res.ok) return res;
  const body = await res.json().catch(() => ({}));
  throw Object.assign(new Error(body.message || res.statusText), { status: res.status, body });
}

async function call(path, options = {}) {
  return (await request(path, options)).json();
}

/** A file from the API as a local object URL (links and frames cannot send the token header). */
async function objectUrl(path) {
  return URL.createObjectURL(await (await request(path)).blob());
}

async function saveAs(path, filename) {
  const a = Object.assign(document.createElement("a"), { href: await objectUrl(path), download: filename });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

function render(v) {
  $("agency").textContent = lang === "zh" ? v.agency.name_zh : v.agency.name_en;
  $("doc-name").textContent = v.document.name;
  $("recipient").textContent = v.recipient;
  $("served-at").textContent = when(v.served_at);
  $("deadline").textContent = v.statement_deadline ? when(v.statement_deadline) : t("none");
  $("doc-hash").textContent = v.document.sha256;
  $("checkpoint").textContent = v.checkpoint.note;
  $("vkey").textContent = v.checkpoint.vkey;
  const deadline = $("statement-deadline");
  if (v.statement_open) message(deadline, t("open_until") + when(v.statement_deadline));
  else message(deadline, t("closed"), "error");
  $("statement-form").hidden = !v.statement_open;
  const list = $("statements");
  list.replaceChildren(...v.statements.map((s) => {
    const li = document.createElement("li");
    li.textContent = `${t(s.type)} · ${when(s.at)} · ${s.entry_hash.slice(0, 16)}…`;
    return li;
  }));
  if (v.confirmed_entry) showReceipt(v.confirmed_entry);
}

function showReceipt(entryHash) {
  $("receipt-entry").textContent = entryHash;
  show("receipt");
  show("confirm", false);
}

async function open() {
  if (!token) { message($("status"), t("invalid"), "error"); return; }
  try {
    view = await call("");
  } catch (err) {
    message($("status"), err.status === 404 ? t("invalid") : err.message, "error");
    return;
  }
  show("status", false);
  show("in-app", inApp);
  const pdf = await objectUrl("/document");
  if (capable.pdf) {
    $("pdf").data = pdf;
    $("pdf-frame").src = pdf;
  } else {
    $("viewer").remove();
    show("no-viewer");
  }
  $("download").href = pdf;
  $("passkey").hidden = !capable.passkey;
  $("verify-link").href = `/verify/#document=${view.document.sha256}`;
  show("doc");
  show("confirm", !view.confirmed_entry);
  show("statement");
  render(view);
  await loadCopies();
  show("copies");
}

// -- the right to view and copy records (hebei §17, mingshan §34, zhengxiang §32)
function node(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [event, fn] of Object.entries(v)) el.addEventListener(event, fn);
    else if (v !== false && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

async function loadCopies() {
  copies = await call("/records");
  renderCopies(copies);
}

function recordName(r) { return r.number ? `${r.title}（${r.number}）` : r.title; }

function renderCopies(data) {
  const checked = new Set([...document.querySelectorAll("#records input:checked")].map((i) => i.value));
  $("records").replaceChildren(...data.records.map((r) => node("label", { class: "record" },
    node("input", { type: "checkbox", name: "items", value: r.entry_hash, disabled: r.confidential, checked: checked.has(r.entry_hash) }),
    node("span", {}, recordName(r), node("span", { class: "when" }, when(r.at)),
      r.confidential ? node("span", { class: "why" }, t("confidential")) : null))));
  $("copy-requests").replaceChildren(...data.requests.slice().reverse().map((q) => {
    const expired = q.valid_until && new Date(q.valid_until) < new Date();
    return node("li", { "data-state": q.state },
      node("div", { class: `state ${q.state}` }, t(`state_${q.state}`)),
      node("div", { class: "note" }, `${t(q.purpose === "view" ? "purpose_view" : "purpose_copy")} · ${t("requested_on")}${when(q.at)}`),
      q.reason ? node("div", {}, t("reason") + q.reason) : null,
      q.state === "approved" && !expired ? node("div", { class: "note" }, t("valid_until") + when(q.valid_until)) : null,
      q.state === "approved" && expired ? node("div", { class: "error" }, t("expired")) : null,
      node("ul", {}, q.items.map((item) => node("li", {}, recordName(item),
        q.state === "approved" && item.granted && !expired
          ? node("button", { type: "button", class: "button secondary", "data-item": item.entry_hash,
            on: { click: () => saveAs(`/copies/${q.request}/${item.entry_hash}`, copyName(item)).catch((err) => message($("copy-result"), err.message, "error")) } },
          `${t("get_copy")}：${item.title}`)
          : null))));
  }));
}

function copyName(item) {
  const ext = item.kind.startsWith("media.photo") ? "jpg" : item.kind.startsWith("media.") ? "bin" : "pdf";
  return `${item.title}-${item.entry_hash.slice(0, 8)}.${ext}`;
}

async function askForCopies(event) {
  event.preventDefault();
  const form = event.target;
  const items = [...form.querySelectorAll("input[name=items]:checked")].map((i) => i.value);
  const out = $("copy-result");
  if (!items.length) { message(out, t("pick_first"), "error"); return; }
  try {
    const body = await call("/copy-requests", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ purpose: form.purpose.value, items, note: form.note.value }),
    });
    copies.requests = body.requests;
    form.reset();
    renderCopies(copies);
    message(out, t("asked"), "ok");
  } catch (err) { message(out, err.message, "error"); }
}

// -- WebAuthn helpers (base64url <-> bytes)
const b64u = {
  decode: (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=")), (c) => c.charCodeAt(0)),
  encode: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
};

async function confirmWithPasskey() {
  const button = $("passkey");
  const status = $("statement-result");
  button.disabled = true;
  try {
    const o = await call("/passkey-options");
    const publicKey = {
      ...o,
      challenge: b64u.decode(o.challenge),
      user: { ...o.user, id: b64u.decode(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
    };
    const cred = await navigator.credentials.create({ publicKey });
    const credential = {
      id: cred.id, rawId: b64u.encode(cred.rawId), type: cred.type,
      response: {
        clientDataJSON: b64u.encode(cred.response.clientDataJSON),
        attestationObject: b64u.encode(cred.response.attestationObject),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
      authenticatorAttachment: cred.authenticatorAttachment,
    };
    const receipt = await call("/confirm", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ method: "passkey", credential }),
    });
    done(receipt);
  } catch (err) {
    message(status, err.message, "error");
  } finally {
    button.disabled = false;
  }
}

function done(receipt) {
  const confirmed = receipt.entries.find((e) => JSON.parse(e.body).kind === "party.confirmed");
  view.confirmed_entry = confirmed.hash;
  showReceipt(confirmed.hash);
  message($("statement-result"), t("confirmed"), "ok");
}

// -- drawn signature: strokes of [x, y, t_ms, pressure], plus the PNG
const strokes = [];
function setupPad() {
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  let current = null;
  const start = performance.now();
  const point = (e) => {
    const r = pad.getBoundingClientRect();
    return [Math.round((e.clientX - r.left) * pad.width / r.width), Math.round((e.clientY - r.top) * pad.height / r.height), Math.round(performance.now() - start), e.pressure || 0.5];
  };
  pad.addEventListener("pointerdown", (e) => { pad.setPointerCapture(e.pointerId); current = [point(e)]; strokes.push(current); });
  pad.addEventListener("pointermove", (e) => {
    if (!current) return;
    const p = point(e); const q = current[current.length - 1];
    current.push(p);
    ctx.beginPath(); ctx.moveTo(q[0], q[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
  });
  const end = () => { current = null; };
  pad.addEventListener("pointerup", end); pad.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => { strokes.length = 0; ctx.clearRect(0, 0, pad.width, pad.height); });
  $("sign").addEventListener("click", async () => {
    if (!strokes.some((s) => s.length >= 2)) { message($("statement-result"), t("sign_first"), "error"); return; }
    try {
      const receipt = await call("/confirm", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ method: "drawn", png_base64: pad.toDataURL("image/png"), strokes }),
      });
      done(receipt);
    } catch (err) { message($("statement-result"), err.message, "error"); }
  });
}

async function submitStatement(event) {
  event.preventDefault();
  const form = event.target;
  const out = $("statement-result");
  message(out, t("working"));
  try {
    const body = await call("/statements", { method: "POST", body: new FormData(form) });
    message(out, t("submitted"), "ok");
    form.reset();
    view.statements.push({ type: JSON.parse(body.entries[0].body).payload.type, at: JSON.parse(body.entries[0].body).received_at, entry_hash: body.entries[0].hash });
    render(view);
  } catch (err) { message(out, err.message, "error"); }
}

$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("party-lang", lang); applyLang(); });
$("passkey").addEventListener("click", confirmWithPasskey);
$("receipt-download").addEventListener("click", (event) => {
  event.preventDefault();
  saveAs("/receipt", "casetrail-receipt.json").catch((err) => message($("statement-result"), err.message, "error"));
});
$("receipt-pdf").addEventListener("click", () => {
  saveAs("/receipt.pdf", "送达回证.pdf").catch((err) => message($("statement-result"), err.message, "error"));
});
$("statement-form").addEventListener("submit", submitStatement);
$("copy-form").addEventListener("submit", askForCopies);
setupPad();
applyLang();
open();
