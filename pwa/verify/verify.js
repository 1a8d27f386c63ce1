// The public verification page: a receipt (PDF or JSON) or a served PDF is checked in this browser.
// Files are read locally and hashed with WebCrypto; only a 64-hex digest is ever sent, to ask what
// paper it is. A receipt is checked offline: each entry's bytes against its hash, each inclusion
// proof against the signed checkpoint, and the checkpoint's Ed25519 signature (where supported).

const $ = (id) => document.getElementById(id);
const STRINGS = {
  zh: {
    title: "文书与送达回证查验", drop: "拖入文件，或点此选择",
    intro: "把送达回证（PDF 或 JSON）或收到的文书 PDF 拖到下面，或点击选择文件。文件只在本浏览器中核对，不会上传。",
    footer: "查验只读取文件的摘要（SHA-256），用它向本机关询问文书的名称与文号；文件本身不会离开您的设备。",
    receipt: "送达回证", paper: "文书", file: "文件", digest: "文件摘要（SHA-256）", agency: "机关",
    document: "送达文书", number: "文号", dated: "日期", served_at: "送达时间", record: "所依据的记录",
    entries_ok: "回证中的 {n} 条记录内容与其摘要一致", entry_bad: "有记录被改动：内容与摘要不一致",
    included: "每条记录都在机关签名的日志中（包含证明通过）", not_included: "包含证明未通过：记录不在签名日志中",
    signed: "签名检查点经机关公钥验证通过", bad_signature: "签名检查点的签名无效",
    no_ed25519: "本浏览器不支持 Ed25519 验签，签名未在此核验；可用 casetrail verify --receipt 核验",
    same_key: "签名公钥与本机关当前公开的公钥一致", other_key: "签名公钥与本机关当前公开的公钥不一致，请向机关核实",
    known: "本机关系统生成或送达过这份文书", unknown: "本系统没有生成或送达过这份文件",
    served_doc: "送达的就是这份文书：摘要与回证一致", other_doc: "这份文书与回证记载的摘要不一致",
    expect_document: "二维码指向的文书摘要：", expect_record: "二维码指向的记录摘要：",
    matches_qr: "与二维码一致", differs_qr: "与二维码不一致",
    valid: "查验通过", invalid: "查验未通过", not_receipt: "无法读取：这不是送达回证或 PDF 文书",
    online: "联网核对", working: "正在核对…",
  },
  en: {
    title: "Check a paper or a service receipt", drop: "Drop files here, or tap to choose",
    intro: "Drop the service receipt (PDF or JSON) or the PDF you were served. The files are checked in this browser and never uploaded.",
    footer: "Only the file's digest (SHA-256) is used to ask the agency for the paper's name and number; the file never leaves your device.",
    receipt: "Service receipt", paper: "Paper", file: "File", digest: "File digest (SHA-256)", agency: "Agency",
    document: "Document served", number: "Number", dated: "Date", served_at: "Served at", record: "Record it renders",
    entries_ok: "All {n} records in the receipt match their digests", entry_bad: "A record was altered: its bytes do not match its digest",
    included: "Every record is in the agency's signed log (inclusion proofs pass)", not_included: "An inclusion proof fails: a record is not in the signed log",
    signed: "The checkpoint's signature verifies with the agency's key", bad_signature: "The checkpoint's signature does not verify",
    no_ed25519: "This browser cannot check Ed25519 signatures; use casetrail verify --receipt",
    same_key: "The signing key is the agency's current published key", other_key: "The signing key differs from the agency's current key: ask the agency",
    known: "The agency's system made or served this paper", unknown: "This file is not a paper made or served here",
    served_doc: "This is the paper served: its digest matches the receipt", other_doc: "This paper's digest differs from the receipt's",
    expect_document: "Document digest from the QR code: ", expect_record: "Record digest from the QR code: ",
    matches_qr: "matches the QR code", differs_qr: "differs from the QR code",
    valid: "Verified", invalid: "Not verified", not_receipt: "Cannot read this: it is neither a service receipt nor a PDF paper",
    online: "Checked online", working: "Checking…",
  },
};
let lang = localStorage.getItem("verify-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key, n) => (STRINGS[lang][key] ?? key).replace("{n}", n);
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
  checks.push(entriesOk ? ["ok", t("entries_ok", (receipt.entries || []).length)] : ["bad", t("entry_bad")]);
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
  checks.push(included ? ["ok", t("included")] : ["bad", t("not_included")]);
  checks.push(signature === "ok" ? ["ok", t("signed")] : signature === "bad" ? ["bad", t("bad_signature")] : ["info", t("no_ed25519")]);
  try {
    const current = await (await fetch("/api/log/checkpoint", { credentials: "omit" })).json();
    checks.push(current.vkey === receipt.vkey ? ["ok", t("same_key")] : ["bad", t("other_key")]);
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
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false }) + (lang === "zh" ? "（北京时间）" : " (China time)");
}

function card(title, name, pairs, checks) {
  const bad = checks.some(([kind]) => kind === "bad");
  return el("article", { class: "result", "data-verdict": bad ? "bad" : "ok" },
    el("h2", {}, `${title}：${name}`),
    el("p", { class: `verdict ${bad ? "bad" : "ok"}` }, bad ? t("invalid") : t("valid")),
    facts(pairs),
    el("ul", { class: "checks" }, checks.map(([kind, text]) => el("li", { class: kind }, text))));
}

async function check(files) {
  lastFiles = files;
  const out = $("results");
  out.hidden = false;
  out.replaceChildren(el("p", { class: "note" }, t("working")));
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
    else cards.push(card(t("file"), file.name, [], [["bad", t("not_receipt")]]));
  }
  for (const { file, receipt } of receipts) {
    const checks = await checkReceipt(receipt);
    for (const paper of read.filter((f) => f.pdf)) {
      checks.push(paper.digest === receipt.document_sha256 ? ["ok", `${paper.name}：${t("served_doc")}`] : ["bad", `${paper.name}：${t("other_doc")}`]);
    }
    cards.push(card(t("receipt"), file.name, [
      [t("agency"), receipt.agency], [t("document"), receipt.document_name],
      [t("served_at"), when(receipt.served_at)], [t("digest"), receipt.document_sha256],
    ], checks));
  }
  for (const paper of read.filter((f) => f.pdf)) {
    const known = await lookup(paper.digest);
    const checks = [known ? ["ok", t("known")] : ["bad", t("unknown")]];
    if (expected.document) checks.push(paper.digest === expected.document ? ["ok", t("matches_qr")] : ["bad", t("differs_qr")]);
    if (expected.record && known) checks.push(known.renders === expected.record ? ["ok", t("matches_qr")] : ["bad", t("differs_qr")]);
    cards.push(card(t("paper"), paper.name, known ? [
      [t("agency"), known.agency], [t("paper"), known.title], [t("number"), known.number],
      [t("dated"), known.dated], [t("record"), known.renders], [t("digest"), paper.digest],
    ] : [[t("digest"), paper.digest]], checks));
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
  if (which) expect.textContent = t(`expect_${which}`) + expected[which];
  if (lastFiles.length) check(lastFiles);
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); check([...e.dataTransfer.files]); });
$("files").addEventListener("change", (e) => check([...e.target.files]));
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("verify-lang", lang); applyLang(); });
applyLang();
