// The party's page: open the served document, confirm receipt, keep the receipt, answer in time.
// The token lives in the URL fragment and travels in a header, so it never reaches a server or proxy
// log, a Referer header or the browser history of the API.
import { loadStrings, startLang, tr } from "/public-strings.js";

const token = decodeURIComponent(location.hash.slice(1));
// Everything on the page belongs to one token: another link opened in this tab starts the page afresh.
addEventListener("hashchange", () => location.reload());
const api = "/api/party";
const auth = { "X-Party-Token": token };
const $ = (id) => document.getElementById(id);

let lang = startLang("party-lang");
await loadStrings(lang);
const t = (key, vars) => tr(lang, key, vars);
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
  $("in-app").textContent = t("party.in_app");
  if (!capable.passkey) $("confirm-help").textContent = t("party.confirm_drawn");
  if (view) render(view);
  if (copies) renderCopies(copies);
}

function when(iso) {
  if (!iso) return t("party.not_yet");
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false }) + t("public.china_time");
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
  $("deadline").textContent = v.statement_deadline ? when(v.statement_deadline) : t("party.none");
  $("doc-hash").textContent = v.document.sha256;
  $("checkpoint").textContent = v.checkpoint.note;
  $("vkey").textContent = v.checkpoint.vkey;
  const deadline = $("statement-deadline");
  if (v.statement_open) message(deadline, t("party.open_until") + when(v.statement_deadline));
  else message(deadline, t("party.closed"), "error");
  $("statement-form").hidden = !v.statement_open;
  const list = $("statements");
  list.replaceChildren(...v.statements.map((s) => {
    const li = document.createElement("li");
    li.textContent = `${t(`party.${s.type}`)} · ${when(s.at)} · ${s.entry_hash.slice(0, 16)}…`;
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
  if (!token) { message($("status"), t("party.invalid"), "error"); return; }
  try {
    view = await call("");
  } catch (err) {
    message($("status"), err.status === 404 ? t("party.invalid") : err.message, "error");
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
      r.confidential ? node("span", { class: "why" }, t("party.confidential")) : null))));
  $("copy-requests").replaceChildren(...data.requests.slice().reverse().map((q) => {
    const expired = q.valid_until && new Date(q.valid_until) < new Date();
    return node("li", { "data-state": q.state },
      node("div", { class: `state ${q.state}` }, t(`party.state_${q.state}`)),
      node("div", { class: "note" }, `${t(q.purpose === "view" ? "party.purpose_view" : "party.purpose_copy")} · ${t("party.requested_on")}${when(q.at)}`),
      q.reason ? node("div", {}, t("party.reason") + q.reason) : null,
      q.state === "approved" && !expired ? node("div", { class: "note" }, t("party.valid_until") + when(q.valid_until)) : null,
      q.state === "approved" && expired ? node("div", { class: "error" }, t("party.expired")) : null,
      node("ul", {}, q.items.map((item) => node("li", {}, recordName(item),
        q.state === "approved" && item.granted && !expired
          ? node("button", { type: "button", class: "button secondary", "data-item": item.entry_hash,
            on: { click: () => saveAs(`/copies/${q.request}/${item.entry_hash}`, copyName(item)).catch((err) => message($("copy-result"), err.message, "error")) } },
          `${t("party.get_copy")}：${item.title}`)
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
  if (!items.length) { message(out, t("party.pick_first"), "error"); return; }
  try {
    const body = await call("/copy-requests", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ purpose: form.purpose.value, items, note: form.note.value }),
    });
    copies.requests = body.requests;
    form.reset();
    renderCopies(copies);
    message(out, t("party.asked"), "ok");
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
  message($("statement-result"), t("party.confirmed"), "ok");
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
    if (!strokes.some((s) => s.length >= 2)) { message($("statement-result"), t("party.sign_first"), "error"); return; }
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
  message(out, t("party.working"));
  try {
    const body = await call("/statements", { method: "POST", body: new FormData(form) });
    message(out, t("party.submitted"), "ok");
    form.reset();
    view.statements.push({ type: JSON.parse(body.entries[0].body).payload.type, at: JSON.parse(body.entries[0].body).received_at, entry_hash: body.entries[0].hash });
    render(view);
  } catch (err) { message(out, err.message, "error"); }
}

$("lang").addEventListener("click", async () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("party-lang", lang); await loadStrings(lang); applyLang(); });
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
