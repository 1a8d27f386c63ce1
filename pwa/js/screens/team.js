// The case team: who is on the case (name, unit, 执法证号) and adding colleagues from the agency's staff.
import { json } from "../api.js";
import * as colleagues from "../colleagues.js";
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";
import * as router from "../router.js";
import * as cases from "../cases.js";

export async function render({ id }) {
  const c = await cases.getCase(id);
  const [team, dir] = await Promise.all([colleagues.team(id), colleagues.directory()]);
  const byId = new Map(dir.rows.map((r) => [r.staff_id, r]));
  const on = new Set(team.rows.map((m) => m.staff_id));
  let picked = [];
  const pick = colleagues.picker(dir.rows, { id: "team-picker", exclude: on, onChange: (ids) => { picked = ids; add.disabled = !ids.length; } });
  const add = h("button", { class: "primary", id: "team-add", disabled: true, onclick: () => addPicked() }, t("docs.team.add"));

  async function addPicked() {
    add.disabled = true;
    try {
      for (const staffId of picked) {
        await json(`/api/cases/${encodeURIComponent(id)}/members`, {
          method: "POST",
          body: { staff_id: staffId, role: "officer", client_id: crypto.randomUUID() },
        });
        toast(t("docs.team.added", { name: byId.get(staffId)?.name || "" }));
      }
    } catch (e) {
      toast(e.status === 0 ? t("docs.online_only") : e.message, "error");
    }
    router.render();
  }

  return h(
    "section",
    { class: "team" },
    h("h1", {}, t("docs.team.title")),
    h("p", { class: "muted" }, c.title),
    h("ul", { class: "team-members", id: "team-members" },
      team.rows.map((m) => {
        const who = byId.get(m.staff_id) || m;
        return h("li", { class: "card row", dataset: { member: m.staff_id } },
          h("span", { class: "grow" }, h("b", {}, who.name || m.name), h("div", { class: "muted" }, colleagues.detailOf({ ...m, ...who }))),
          h("span", { class: "badge" }, t(`docs.team.role.${m.role}`)));
      })),
    h("h2", {}, t("docs.team.pick")),
    dir.offline ? h("p", { class: "muted" }, t("docs.team.offline")) : null,
    pick.node,
    h("div", { class: "actions" }, add),
  );
}
