// Names for staff ids: supervisors read people, never the raw `s-…` ids.
import { json } from "../../api.js";
import { t } from "../../i18n.js";

let directoryLoad = null;
/** The agency's staff names and units (GET /api/staff/names), fetched once per page load. */
export function directory() {
  directoryLoad ||= json("/api/staff/names")
    .then((d) => ({ byId: new Map(d.staff.map((s) => [s.staff_id, s])), units: d.units }))
    .catch(() => { directoryLoad = null; return { byId: new Map(), units: [] }; });
  return directoryLoad;
}

/** A person's name for a staff id (or a party marker); never the raw `s-…` id when the name is known. */
export function who(dir, id) {
  if (!id) return "—";
  if (id.startsWith("party:")) return t("role.party");
  const s = dir?.byId.get(id);
  if (!s) return t("review.people.unknown_person");
  // Staff invited without a name carry their id as name: say so rather than show the id.
  return s.name && s.name !== id ? s.name : t("review.people.no_name_file");
}

/** A staff member's name with their unit, for lists where the unit matters. */
export const whoWithUnit = (dir, id) => {
  const s = dir?.byId.get(id);
  return s?.unit ? `${who(dir, id)}（${s.unit}）` : who(dir, id);
};
