// A case's places: where each record, photo and recording was made, numbered in time order.
// Without a map service it is a clean plot with a scale bar and north; with the agency's map
// service (CASETRAIL_MAP_TILE_URL) the same points lie on its base map. Either way it lists times.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { when } from "./format.js";
import { kindName, loadKindTitles } from "./names.js";
import { t } from "../../i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 600, H = 380, PAD = 36, TILE = 256;
const svg = (tag, attrs = {}, ...kids) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids);
  return el;
};
const NICE = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
const distance = (m) => (m >= 1000 ? `${m / 1000} ${t("review.map.km")}` : `${m} ${t("forms.metres")}`);

/** The longest round distance that fits in a quarter of the width, and its length in pixels. */
function scaleBar(metresPerPixel) {
  const metres = NICE.filter((m) => m / metresPerPixel <= W / 4).pop() || NICE[0];
  const px = metres / metresPerPixel;
  const y = H - 14;
  return svg("g", { class: "scale" },
    svg("rect", { x: 10, y: y - 16, width: px + 16, height: 26, fill: "#fff", opacity: 0.85, rx: 4 }),
    svg("line", { x1: 18, y1: y, x2: 18 + px, y2: y, stroke: "#17202a", "stroke-width": 3 }),
    svg("line", { x1: 18, y1: y - 5, x2: 18, y2: y + 3, stroke: "#17202a", "stroke-width": 2 }),
    svg("line", { x1: 18 + px, y1: y - 5, x2: 18 + px, y2: y + 3, stroke: "#17202a", "stroke-width": 2 }),
    svg("text", { x: 18 + px / 2, y: y - 5, "text-anchor": "middle", "font-size": 12 }, distance(metres)));
}

const north = () => svg("g", { class: "north" },
  svg("path", { d: `M ${W - 24} 12 L ${W - 31} 32 L ${W - 24} 27 L ${W - 17} 32 Z`, fill: "#17202a" }),
  svg("text", { x: W - 24, y: 46, "text-anchor": "middle", "font-size": 12 }, t("review.map.n")));

// Web Mercator, in pixels at zoom z (the scheme every {z}/{x}/{y} tile service uses).
const mercX = (lon, z) => ((lon + 180) / 360) * TILE * 2 ** z;
const mercY = (lat, z) => {
  const s = Math.sin((lat * Math.PI) / 180);
  return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * TILE * 2 ** z;
};

/** Project the places: on the map service's tiles, or on a local metric plane. */
function projection(places, tiles) {
  const lats = places.map((p) => p.lat), lons = places.map((p) => p.lon);
  const mid = { lat: (Math.min(...lats) + Math.max(...lats)) / 2, lon: (Math.min(...lons) + Math.max(...lons)) / 2 };
  if (tiles) {
    let z = 18;
    while (z > 2 && (mercX(Math.max(...lons), z) - mercX(Math.min(...lons), z) > W - 2 * PAD
      || mercY(Math.min(...lats), z) - mercY(Math.max(...lats), z) > H - 2 * PAD)) z -= 1;
    const ox = mercX(mid.lon, z) - W / 2, oy = mercY(mid.lat, z) - H / 2;
    return { z, ox, oy, x: (p) => mercX(p.lon, z) - ox, y: (p) => mercY(p.lat, z) - oy,
      metresPerPixel: (156543.03 * Math.cos((mid.lat * Math.PI) / 180)) / 2 ** z };
  }
  const kx = 111320 * Math.cos((mid.lat * Math.PI) / 180), ky = 110540;
  const spanX = Math.max(50, (Math.max(...lons) - Math.min(...lons)) * kx);
  const spanY = Math.max(50, (Math.max(...lats) - Math.min(...lats)) * ky);
  const metresPerPixel = Math.max(spanX / (W - 2 * PAD), spanY / (H - 2 * PAD));
  return { metresPerPixel, x: (p) => W / 2 + ((p.lon - mid.lon) * kx) / metresPerPixel, y: (p) => H / 2 - ((p.lat - mid.lat) * ky) / metresPerPixel };
}

function baseMap(template, proj) {
  const group = svg("g", { class: "tiles" });
  const n = 2 ** proj.z;
  for (let tx = Math.floor(proj.ox / TILE); tx * TILE < proj.ox + W; tx++) {
    for (let ty = Math.floor(proj.oy / TILE); ty * TILE < proj.oy + H; ty++) {
      if (ty < 0 || ty >= n) continue;
      const url = template.replace("{z}", proj.z).replace("{x}", ((tx % n) + n) % n).replace("{y}", ty);
      group.append(svg("image", { href: url, x: tx * TILE - proj.ox, y: ty * TILE - proj.oy, width: TILE, height: TILE }));
    }
  }
  return group;
}

/** The map of a case's places and, beneath it, each place with its time and what was made there. */
export function caseMap(caseId) {
  const box = h("figure", { class: "case-map", id: "case-map" }, h("p", { class: "muted" }, t("review.map.reading_places")));
  json(`/api/cases/${caseId}/places`).then(async ({ places, tiles }) => {
    if (!places.length) return box.replaceChildren(h("p", { class: "muted" }, t("review.map.no_places_were_recorded")));
    await loadKindTitles(places.map((p) => p.kind));
    const proj = projection(places, tiles);
    const plot = svg("svg", { class: `plot ${tiles ? "on-map" : "plain"}`, viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": t("review.map.map_case_s_places") });
    if (tiles) plot.append(baseMap(tiles, proj));
    else plot.append(svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#f7f9fb" }));
    plot.append(svg("polyline", { points: places.map((p) => `${proj.x(p)},${proj.y(p)}`).join(" "), fill: "none", stroke: "#0b4f8a", "stroke-width": 2, "stroke-dasharray": "5 4", opacity: 0.7 }));
    places.forEach((p, i) => {
      const r = Math.max(4, Math.min(60, (p.accuracy_m || 0) / proj.metresPerPixel));
      plot.append(svg("circle", { cx: proj.x(p), cy: proj.y(p), r, fill: "rgba(21,101,192,.12)" }));
      plot.append(svg("g", { class: "place" },
        svg("title", {}, `${i + 1}. ${when(p.time)} ${kindName(p.kind)}`),
        svg("circle", { cx: proj.x(p), cy: proj.y(p), r: 9, fill: "#1565c0", stroke: "#fff", "stroke-width": 2 }),
        svg("text", { x: proj.x(p), y: proj.y(p) + 4, "text-anchor": "middle", "font-size": 11, fill: "#fff" }, String(i + 1))));
    });
    plot.append(scaleBar(proj.metresPerPixel), north());
    const first = places[0].time, last = places[places.length - 1].time;
    box.replaceChildren(plot,
      h("figcaption", {}, `${t("review.map.count_before")} ${places.length} ${t("review.map.places")}${when(first)} — ${when(last)}${tiles ? "" : t("review.map.no_map_service_set")}`),
      h("ol", { class: "places" }, places.map((p) => h("li", {}, `${when(p.time)} · ${kindName(p.kind)}${p.accuracy_m ? ` · ±${Math.round(p.accuracy_m)} ${t("forms.metres")}` : ""}`))));
  }).catch((e) => box.replaceChildren(h("p", { class: "badge bad" }, e.message)));
  return box;
}
