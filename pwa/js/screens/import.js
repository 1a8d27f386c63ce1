// Bulk import of body-worn recorder and fixed-camera files (wide screen): pick a folder or drop files;
// each file is hashed, checked against what the agency already holds, sent through the same tus upload
// path as phone captures, handed over (custody entry), and its proposed cases confirmed by the officer.
import { ApiError, json } from "../api.js";
import { schema } from "../cases.js";
import { h, toast } from "../dom.js";
import { isEn, t, titleOf } from "../i18n.js";
import { textHash } from "../hash.js";
import * as tus from "../tus.js";

const READ_CHUNK = 8 * 1024 * 1024;
const TYPES = {
  mp4: "video/mp4", m4v: "video/mp4", mov: "video/quicktime", webm: "video/webm", "3gp": "video/3gpp",
  avi: "video/x-msvideo", ts: "video/mp2t", mkv: "video/x-matroska",
  wav: "audio/wav", mp3: "audio/mpeg", m4a: "audio/mp4", aac: "audio/aac", ogg: "audio/ogg",
};


// Its styles live beside it: a <style> element would be inline style, which the pages' CSP refuses.
function addStyles() {
  if (document.querySelector("link[data-import]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./import.css", import.meta.url).href;
  link.dataset.import = "1";
  document.head.append(link);
}

function mediaTypeOf(file) {
  if (file.type && /^(video|audio)\//.test(file.type)) return file.type;
  const ext = file.name.split(".").pop().toLowerCase();
  return TYPES[ext] || file.type || "";
}

/** SHA-256 of a file, read in chunks so the officer sees progress. WebCrypto digests one buffer. */
async function hashFile(file, onProgress) {
  const buf = new Uint8Array(file.size);
  let at = 0;
  while (at < file.size) {
    const part = new Uint8Array(await file.slice(at, at + READ_CHUNK).arrayBuffer());
    buf.set(part, at);
    at += part.length;
    onProgress(at / file.size);
  }
  const digest = await crypto.subtle.digest("SHA-256", buf);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function fileRow(file) {
  const hashBar = h("progress", { max: 1, value: 0, class: "hash-progress" });
  const upBar = h("progress", { max: 1, value: 0, class: "upload-progress" });
  const status = h("div", { class: "status" }, t("import.waiting"));
  const cases = h("div", { class: "cases" });
  const tr = h(
    "tr",
    { class: "import-row", dataset: { name: file.name, state: "waiting" } },
    h("td", {}, h("div", {}, file.webkitRelativePath || file.name), h("div", { class: "muted" }, `${Math.round(file.size / 1024)} KB`)),
    h("td", {}, hashBar),
    h("td", {}, upBar),
    h("td", {}, status),
    h("td", {}, cases),
  );
  return { file, tr, hashBar, upBar, status, cases, clientId: null, url: null, sha: null };
}

function setState(row, state, text, kind = "") {
  row.tr.dataset.state = state;
  row.status.replaceChildren(h("span", { class: `badge ${kind}` }, text));
}

function addNote(row, text, kind = "") {
  row.status.append(" ", h("span", { class: `badge ${kind}`, dataset: { note: kind } }, text));
}

/** A record kind as officers know it (its schema's title); the kind itself if the schema is unreachable. */
async function stepTitle(kind) {
  try {
    return titleOf(await schema(kind)) || kind;
  } catch {
    return kind;
  }
}

async function proposals(row, answer) {
  const seen = new Set();
  const list = answer.proposals.filter((p) => !seen.has(`${p.case_id}|${p.for_entry}`) && seen.add(`${p.case_id}|${p.for_entry}`));
  if (!list.length) {
    row.cases.replaceChildren(h("span", { class: "muted unassigned" }, t("import.unassigned")));
    return;
  }
  const titles = await Promise.all(list.map((p) => stepTitle(p.kind)));
  row.cases.replaceChildren(
    ...list.map((p, i) => {
      const label = `${p.case_number || p.case_title || p.case_id} · ${titles[i]}`;
      const button = h("button", {
        class: "confirm",
        disabled: p.linked,
        onclick: async () => {
          button.disabled = true;
          try {
            await json(`/api/recordings/${row.sha}/links`, {
              method: "POST",
              body: { case_id: p.case_id, for_entry: p.for_entry, client_id: (p.client_id ||= crypto.randomUUID()) },
            });
            button.textContent = t("import.confirmed");
            button.classList.add("done");
          } catch (e) {
            if (e.code === "already_linked") {
              button.textContent = t("import.confirmed");
              return;
            }
            button.disabled = false;
            toast(e.message, "error");
          }
        },
      }, p.linked ? t("import.confirmed") : t("import.confirm"));
      return h("div", { class: "proposal", dataset: { caseId: p.case_id } }, h("span", { class: "grow" }, label), button);
    }),
  );
}

async function importId(ctx, sha) {
  const hex = await textHash(`${ctx.agency}\n${ctx.staff}\n${ctx.computer || "browser"}\n${sha}`);
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

async function handIn(row, ctx) {
  const type = mediaTypeOf(row.file);
  if (!/^(video|audio)\//.test(type)) {
    setState(row, "skipped", t("import.skipped"), "bad");
    return "bad";
  }
  try {
    if (!row.sha) {
      setState(row, "hashing", t("import.hashing"));
      row.sha = await hashFile(row.file, (f) => (row.hashBar.value = f));
    }
    row.hashBar.value = 1;
    // The same officer handing in the same file from the same computer gets the same id, so a
    // page reloaded midway resumes (the server answers "imported") instead of recording a second
    // hand-over; another officer or computer makes another id, and a duplicate is recorded.
    row.clientId ||= await importId(ctx, row.sha);
    setState(row, "checking", t("import.checking"));
    const known = await json("/api/recordings/check", { method: "POST", body: { sha256: [row.sha] } });
    const clientId = row.clientId;
    if (!known[row.sha]?.imported) {
      setState(row, "uploading", t("import.uploading"));
      const meta = { sha256: row.sha, media_type: type, case_id: `agency:${ctx.agency}`, client_id: row.clientId, filename: row.file.name };
      let at = row.url ? await tus.offset(row.url) : null;
      if (at === null) {
        ({ url: row.url, offset: at } = await tus.create(row.file.size, meta, tus.firstChunk(row.file)));
      }
      await tus.send(row.url, row.file, at, (sent) => (row.upBar.value = sent / row.file.size));
    }
    row.upBar.value = 1;
    setState(row, "importing", t("import.importing"));
    const answer = await json("/api/recordings", {
      method: "POST",
      body: {
        client_id: clientId,
        sha256: row.sha,
        filename: row.file.name,
        media_type: type,
        size: row.file.size,
        device: ctx.device,
        computer: ctx.computer || null,
        via: "browser",
        file_modified_at: row.file.lastModified ? new Date(row.file.lastModified).toISOString() : null,
        late_reason: ctx.lateReason || null,
        late_reason_text: ctx.lateText || null,
        remote_area_return_at: ctx.remoteReturn ? new Date(ctx.remoteReturn).toISOString() : null,
      },
    });
    const rec = answer.recording;
    if (answer.status === "duplicate") {
      setState(row, "duplicate", t("import.duplicate"), "warn");
    } else {
      setState(row, "imported", t("import.imported"), "ok");
    }
    const d = rec.deadline;
    if (d) addNote(row, d.late ? t("import.late", { h: d.late_by_h }) : t("import.on_time"), d.late ? "bad" : "ok");
    row.tr.dataset.entry = rec.entry_hash;
    await proposals(row, answer);
    return answer.status === "duplicate" ? "dup" : "ok";
  } catch (e) {
    // Refusals of the file itself carry the reason in both languages; show the officer's one.
    const said = isEn() ? e.detail?.message_en : e.detail?.message_zh;
    const message = e instanceof ApiError ? `${said || e.message} (${e.code})` : e.message;
    setState(row, "failed", `${t("import.corrupt")}: ${message}`, "bad");
    if (!(e instanceof ApiError) || e.transient) {
      row.status.append(" ", h("button", { class: "retry", onclick: () => handIn(row, ctx) }, t("import.retry")));
    }
    return "bad";
  }
}

export async function render() {
  addStyles();
  let me = null;
  try {
    me = await json("/api/recordings/me");
  } catch (e) {
    toast(e.message, "error");
  }
  const rows = [];
  const body = h("tbody", { id: "import-rows" });
  const summary = h("p", { class: "muted", id: "import-summary" });
  const field = (key, input) => h("div", {}, h("label", {}, t(`import.${key}`)), input);
  const device = h("input", { name: "device", id: "import-device", autocomplete: "off", required: true });
  const computer = h("input", { name: "computer", id: "import-computer", value: localStorage.getItem("casetrail.computer") || "" });
  const reason = h(
    "select",
    { name: "late_reason", id: "import-late-reason" },
    ["", "remote_area", "continuous_duty", "device_fault", "other"].map((v) => h("option", { value: v }, t(`import.${v || "none"}`))),
  );
  const reasonText = h("input", { name: "late_reason_text", id: "import-late-text" });
  const remoteReturn = h("input", { type: "datetime-local", name: "remote_return", id: "import-remote-return" });

  const add = (files) => {
    for (const file of files) {
      if (file.name.startsWith(".")) continue;
      const row = fileRow(file);
      rows.push(row);
      body.append(row.tr);
    }
  };
  const folder = h("input", { type: "file", webkitdirectory: true, multiple: true, id: "import-folder", onchange: (e) => add(e.target.files) });
  const picker = h("input", { type: "file", multiple: true, id: "import-files", accept: "video/*,audio/*", onchange: (e) => add(e.target.files) });
  const drop = h("div", { class: "drop", id: "import-drop" }, t("import.drop"));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); add(e.dataTransfer.files); });

  const start = h("button", {
    class: "primary",
    id: "import-start",
    onclick: async () => {
      if (!device.value.trim()) {
        toast(t("import.need_device"), "error");
        device.focus();
        return;
      }
      localStorage.setItem("casetrail.computer", computer.value.trim());
      const ctx = {
        agency: me?.agency_id,
        staff: me?.staff_id,
        device: device.value.trim(),
        computer: computer.value.trim(),
        lateReason: reason.value,
        lateText: reasonText.value.trim(),
        remoteReturn: remoteReturn.value,
      };
      start.disabled = true;
      const counts = { ok: 0, dup: 0, bad: 0 };
      for (const row of rows.filter((r) => r.tr.dataset.state === "waiting")) counts[await handIn(row, ctx)] += 1;
      summary.textContent = t("import.summary", { n: rows.length, ...counts });
      document.getElementById("import-screen")?.setAttribute("data-done", "1");
      start.disabled = false;
    },
  }, t("import.start"));

  return h(
    "section",
    { id: "import-screen" },
    h("h1", {}, t("import.title")),
    h("p", { class: "muted" }, t("import.intro")),
    h("div", { class: "fields" },
      field("device", device),
      field("computer", computer),
      field("late_reason", reason),
      field("late_text", reasonText),
      field("remote_return", remoteReturn),
    ),
    h("div", { class: "row" }, h("label", {}, t("import.pick"), folder), h("label", {}, t("import.pick_files"), picker)),
    drop,
    h("div", { class: "row" }, start),
    summary,
    h("table", {},
      h("thead", {}, h("tr", {}, ["file", "hash", "upload", "status", "cases"].map((k) => h("th", {}, t(`import.${k}`))))),
      body,
    ),
  );
}
