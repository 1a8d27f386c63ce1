// The public-notice board: current notices by agency, masked, with period and deemed-service date.

const STRINGS = {
  zh: { title: "行政执法公告栏", loading: "正在加载…", footer: "公告中的个人信息已按规定脱敏。公告期满后自动撤下。",
    empty: "目前没有公告。", service: "公告送达", decision: "决定公开", recipient: "受送达人", start: "公告日期",
    period: "公告期", days: "日", working_days: "个工作日", deemed: "视为送达日", until: "公告截止", pdf: "查看公告文书（PDF）", photos: "张贴情况" },
  en: { title: "Public notice board", loading: "Loading…", footer: "Personal data in notices is masked. Notices come down when their period ends.",
    empty: "No notices at present.", service: "Service by public notice", decision: "Published decision", recipient: "Recipient",
    start: "First day", period: "Period", days: " days", working_days: " working days", deemed: "Deemed served on", until: "On the board until", pdf: "Notice document (PDF)", photos: "Where it was posted" },
};
let lang = localStorage.getItem("board-lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (k) => STRINGS[lang][k] ?? k;
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
  if (!data.length) { board.replaceChildren(el("p", { class: "note" }, t("empty"))); return; }
  const until = (iso) => new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai", hour12: false });
  board.replaceChildren(...data.flatMap((agency) => [
    el("h2", {}, lang === "zh" ? agency.name_zh : agency.name_en),
    ...agency.notices.map((n) => {
      const dl = el("dl", { class: "facts" });
      fact(dl, t("recipient"), n.recipient);
      fact(dl, t("start"), n.start_date);
      fact(dl, t("period"), `${n.period_days}${t(n.period_unit)}`);
      fact(dl, t("deemed"), n.deemed_served_on);
      fact(dl, t("until"), until(n.ends_at));
      const photos = n.photo_urls.length ? el("div", { class: "photos", "aria-label": t("photos") }, ...n.photo_urls.map((u) => el("img", { src: u, alt: t("photos"), loading: "lazy" }))) : null;
      return el("article", { "data-notice": n.notice_id },
        el("h3", {}, n.title), el("p", { class: "note" }, t(n.purpose)), dl,
        el("p", { class: "text" }, n.text),
        n.document_url ? el("a", { class: "pdf", href: n.document_url, target: "_blank", rel: "noopener" }, t("pdf")) : null,
        photos);
    }),
  ]));
}

document.getElementById("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("board-lang", lang); render(); });
render();
fetch("/api/notices").then((r) => r.json()).then((body) => { data = body; render(); });
