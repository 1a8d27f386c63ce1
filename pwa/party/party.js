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
  },
};
let lang = localStorage.getItem("party-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key) => STRINGS[lang][key] ?? key;
let view = null;

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  if (view) render(view);
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
  const pdf = await objectUrl("/document");
  $("pdf").data = pdf;
  $("pdf-frame").src = pdf;
  $("download").href = pdf;
  show("doc");
  show("confirm", !view.confirmed_entry);
  show("statement");
  render(view);
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
$("statement-form").addEventListener("submit", submitStatement);
setupPad();
applyLang();
open();
