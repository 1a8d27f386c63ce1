// The public verification page: a receipt (PDF or JSON) or a served PDF is checked in this browser.
// Files are read locally and hashed with WebCrypto; only a 64-hex digest is ever sent, to ask what
// paper it is. A receipt is checked offline: each entry's bytes against its hash, each inclusion
// proof against the signed checkpoint, and the checkpoint's Ed25519 signature (where supported).
import { loadStrings, startLang, tr } from "/public-strings.js";

const $ = (id) => document.getElementById(id);
let lang = startLang("verify-lang");
await loadStrings(lang);
const t = (key, vars) => tr(lang, key, vars);
const fragment = new URLSearchParams(location.hash.slice(1));
const expected = { document: fragment.get("document"), record: fragment.get("record") };
let lastFiles = [];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// -- bytes and hashes
const enc = new TextEncoder();
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from((text.match(/../g) || []).map((x) => parseInt(x, 16)));
const fromB64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// RFC 6962 / 9162 audit path, as backend/ledger/merkle.py verify_inclusion.
async function verifyInclusion(entryHash, index, size, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index, sn = size - 1;
  let r = await sha256(concat(Uint8Array.of(0), entryHash));
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn & 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if (!(fn & 1)) while (fn && !(fn & 1)) { fn >>= 1; sn >>= 1; }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && same(r, root);
}

// C2SP signed note: "origin\nsize\nroot\n\n— name base64(keyid || sig)\n".
async function verifyNote(note, vkey) {
  const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
  const name = vkey.slice(0, first), keyId = vkey.slice(first + 1, second);
  const raw = fromB64(vkey.slice(second + 1));
  const split = note.lastIndexOf("\n\n");
  const text = note.slice(0, split + 1);
  const [origin, size, rootB64] = text.split("\n");
  const checkpoint = { origin, size: Number(size), root: fromB64(rootB64) };
  const kid = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
  if (hex(kid) !== keyId || raw[0] !== 1) return { ...checkpoint, signature: "bad" };
  const line = note.slice(split + 2).split("\n").find((l) => l.startsWith(`\u2014 ${name} `));
  if (!line) return { ...checkpoint, signature: "bad" };
  const sig = fromB64(line.split(" ")[2]);
  if (hex(sig.slice(0, 4)) !== keyId) return { ...checkpoint, signature: "bad" };
  try {
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), enc.encode(text));
    return { ...checkpoint, signature: ok ? "ok" : "bad" };
  } catch {
    return { ...checkpoint, signature: "unsupported" };
  }
}

async function checkReceipt(receipt) {
  const checks = [];
  let entriesOk = true;
  for (const entry of receipt.entries || []) {
    if (hex(await sha256(enc.encode(entry.body))) !== entry.hash) entriesOk = false;
  }
  checks.push(entriesOk ? ["ok", t("verify.entries_ok", { n: (receipt.entries || []).length })] : ["bad", t("verify.entry_bad")]);
  const proofs = new Map((receipt.proofs || []).map((p) => [p.entry_hash, p]));
  let included = entriesOk, signature = "ok";
  for (const entry of receipt.entries || []) {
    const proof = proofs.get(entry.hash);
    if (!proof) { included = false; continue; }
    const cp = await verifyNote(proof.checkpoint, receipt.vkey);
    if (cp.signature !== "ok") signature = signature === "bad" ? "bad" : cp.signature;
    if (!(await verifyInclusion(fromHex(entry.hash), entry.log_index, cp.size, proof.proof.map(fromHex), cp.root))) included = false;
  }
  const top = await verifyNote(receipt.checkpoint, receipt.vkey);
  if (top.signature !== "ok" && signature !== "bad") signature = top.signature;
  checks.push(included ? ["ok", t("verify.included")] : ["bad", t("verify.not_included")]);
  checks.push(signature === "ok" ? ["ok", t("verify.signed")] : signature === "bad" ? ["bad", t("verify.bad_signature")] : ["info", t("verify.no_ed25519")]);
  try {
    const current = await (await fetch("/api/log/checkpoint", { credentials: "omit" })).json();
    checks.push(current.vkey === receipt.vkey ? ["ok", t("verify.same_key")] : ["bad", t("verify.other_key")]);
  } catch { /* offline: the receipt still verifies on its own */ }
  return checks;
}

/** The JSON receipt inside a 送达回证 PDF (an uncompressed attachment), or null. */
function receiptInPdf(bytes) {
  const text = new TextDecoder("latin1").decode(bytes);
  const start = text.indexOf('{"format":"casetrail-receipt/1"');
  if (start < 0) return null;
  const end = text.indexOf("endstream", start);
  try { return JSON.parse(text.slice(start, end).trim()); } catch { return null; }
}

async function lookup(digest) {
  const res = await fetch(`/api/verify/documents/${digest}`, { credentials: "omit" });
  return res.ok ? res.json() : null;
}

function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [label, value] of pairs) if (value) dl.append(el("dt", {}, label), el("dd", {}, value));
  return dl;
}

function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false }) + t("public.china_time");
}

/** Digests are for whoever re-checks by hand: they sit in a closed "verification details" fold. */
function proof(pairs) {
  return pairs.some(([, value]) => value) ? el("details", { class: "verify" }, el("summary", {}, t("verify.proof")), facts(pairs)) : null;
}

function card(title, name, pairs, checks, digests = []) {
  const bad = checks.some(([kind]) => kind === "bad");
  return el("article", { class: "result", "data-verdict": bad ? "bad" : "ok" },
    el("h2", {}, `${title}：${name}`),
    el("p", { class: `verdict ${bad ? "bad" : "ok"}` }, bad ? t("verify.invalid") : t("verify.valid")),
    facts(pairs),
    el("ul", { class: "checks" }, checks.map(([kind, text]) => el("li", { class: kind }, text))),
    proof(digests));
}

async function check(files) {
  lastFiles = files;
  const out = $("results");
  out.hidden = false;
  out.replaceChildren(el("p", { class: "note" }, t("verify.working")));
  const read = await Promise.all(files.map(async (f) => {
    const bytes = new Uint8Array(await f.arrayBuffer());
    return { name: f.name, bytes, digest: hex(await sha256(bytes)) };
  }));
  const cards = [];
  const receipts = [];
  for (const file of read) {
    const head = new TextDecoder().decode(file.bytes.slice(0, 5));
    let receipt = null;
    if (head.startsWith("{")) { try { receipt = JSON.parse(new TextDecoder().decode(file.bytes)); } catch { receipt = null; } }
    else if (head === "%PDF-") receipt = receiptInPdf(file.bytes);
    if (receipt && receipt.format === "casetrail-receipt/1") receipts.push({ file, receipt });
    else if (head === "%PDF-") file.pdf = true;
    else cards.push(card(t("verify.file"), file.name, [], [["bad", t("verify.not_receipt")]]));
  }
  for (const { file, receipt } of receipts) {
    const checks = await checkReceipt(receipt);
    for (const paper of read.filter((f) => f.pdf)) {
      checks.push(paper.digest === receipt.document_sha256 ? ["ok", `${paper.name}：${t("verify.served_doc")}`] : ["bad", `${paper.name}：${t("verify.other_doc")}`]);
    }
    cards.push(card(t("verify.receipt"), file.name, [
      [t("verify.agency"), receipt.agency], [t("verify.document"), receipt.document_name],
      [t("verify.served_at"), when(receipt.served_at)],
    ], checks, [[t("verify.digest"), receipt.document_sha256]]));
  }
  for (const paper of read.filter((f) => f.pdf)) {
    const known = await lookup(paper.digest);
    const checks = [known ? ["ok", t("verify.known")] : ["bad", t("verify.unknown")]];
    if (expected.document) checks.push(paper.digest === expected.document ? ["ok", t("verify.matches_qr")] : ["bad", t("verify.differs_qr")]);
    if (expected.record && known) checks.push(known.renders === expected.record ? ["ok", t("verify.matches_qr")] : ["bad", t("verify.differs_qr")]);
    cards.push(card(t("verify.paper"), paper.name, known ? [
      [t("verify.agency"), known.agency], [t("verify.paper"), known.title], [t("verify.number"), known.number],
      [t("verify.dated"), known.dated],
    ] : [], checks, [[t("verify.record"), known?.renders], [t("verify.digest"), paper.digest]]));
  }
  out.replaceChildren(...cards);
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const button = $("lang");
  button.textContent = lang === "zh" ? "English" : "中文";
  button.setAttribute("aria-label", button.textContent);
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  const expect = $("expect");
  const which = expected.document ? "document" : expected.record ? "record" : null;
  expect.hidden = !which;
  if (which) expect.replaceChildren(el("p", {}, t(`verify.expect_${which}`)), proof([[t(which === "document" ? "verify.digest" : "verify.record"), expected[which]]]));
  if (lastFiles.length) check(lastFiles);
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); check([...e.dataTransfer.files]); });
$("files").addEventListener("change", (e) => check([...e.target.files]));
$("lang").addEventListener("click", async () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("verify-lang", lang); await loadStrings(lang); applyLang(); });
applyLang();
