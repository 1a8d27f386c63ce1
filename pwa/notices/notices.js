// The public-notice board: current notices by agency, masked, with period and deemed-service date.
import { loadStrings, startLang, tr } from "/public-strings.js";

let lang = startLang("board-lang");
await loadStrings(lang);
const t = (key, vars) => tr(lang, key, vars);
let data = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function fact(dl, label, value) { if (value) dl.append(el("dt", {}, label), el("dd", {}, value)); }

function render() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const button = document.getElementById("lang");
  button.textContent = lang === "zh" ? "English" : "中文";
  button.setAttribute("aria-label", button.textContent);
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  const board = document.getElementById("board");
  if (!data) return;
  if (!data.length) { board.replaceChildren(el("p", { class: "note" }, t("notices.empty"))); return; }
  const until = (iso) => new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false });
  board.replaceChildren(...data.flatMap((agency) => [
    el("h2", {}, lang === "zh" ? agency.name_zh : agency.name_en),
    ...agency.notices.map((n) => {
      const dl = el("dl", { class: "facts" });
      fact(dl, t("notices.recipient"), n.recipient);
      fact(dl, t("notices.start"), n.start_date);
      fact(dl, t("notices.period"), `${n.period_days}${t(`notices.${n.period_unit}`)}`);
      fact(dl, t("notices.deemed"), n.deemed_served_on);
      fact(dl, t("notices.until"), until(n.ends_at));
      const photos = n.photo_urls.length ? el("div", { class: "photos", "aria-label": t("notices.photos") }, ...n.photo_urls.map((u) => el("img", { src: u, alt: t("notices.photos"), loading: "lazy" }))) : null;
      return el("article", { "data-notice": n.notice_id },
        el("h3", {}, n.title), el("p", { class: "note" }, t(`notices.${n.purpose}`)), dl,
        el("p", { class: "text" }, n.text),
        n.document_url ? el("a", { class: "pdf", href: n.document_url, target: "_blank", rel: "noopener" }, t("notices.pdf")) : null,
        photos);
    }),
  ]));
}

document.getElementById("lang").addEventListener("click", async () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("board-lang", lang); await loadStrings(lang); render(); });
render();
fetch("/api/notices").then((r) => r.json()).then((body) => { data = body; render(); });
