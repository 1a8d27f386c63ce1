// Agency administration: the staff list, inviting a colleague (one-time link), pending invitations
// (cancel one sent to the wrong person), changing roles, deactivating.
import { json } from "../api.js";
import { ask, h, toast } from "../dom.js";
import { isEn, t } from "../i18n.js";
import * as session from "../session.js";

export const ROLES = ["officer", "legal_reviewer", "approver", "supervisor", "archivist", "admin"];

const today = () => new Date().toISOString().slice(0, 10);
const when = (iso) => new Date(iso).toLocaleString(isEn() ? "en-GB" : "zh-CN");

function roleChecks(name, checked = []) {
  return h("fieldset", { class: "roles" },
    h("legend", {}, t("admin.roles")),
    ROLES.map((r) => h("label", { class: "check" },
      h("input", { type: "checkbox", name, value: r, checked: checked.includes(r), dataset: { role: r } }),
      t(`role.${r}`))));
}

const checkedRoles = (form, name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);

// The server judges expiry on China's calendar date (cert_status); an expired officer cannot write records.
const CERT_BADGE = { expired: ["bad", "admin.cert_expired"], expiring: ["warn", "admin.cert_expiring"], valid: ["ok", "admin.cert_valid_until"] };

function certText(s) {
  if (!s.cert_number) return h("span", { class: "muted" }, t("admin.no_cert"));
  const status = s.cert_status || (s.cert_valid_until && s.cert_valid_until < today() ? "expired" : "valid");
  const [cls, key] = CERT_BADGE[status] || CERT_BADGE.valid;
  return h("span", { class: "cert" },
    s.cert_number,
    s.cert_valid_until ? h("span", { class: `badge ${cls}`, dataset: { certStatus: status } },
      t(key, { date: s.cert_valid_until })) : null);
}

function staffCard(s, me, reload) {
  const editor = h("form", { class: "card staff-edit", hidden: true, onsubmit: save },
    roleChecks("edit-role", s.roles),
    h("label", {}, t("admin.cert_number"), h("input", { name: "cert_number", value: s.cert_number || "" })),
    h("label", {}, t("admin.cert_until"), h("input", { name: "cert_valid_until", type: "date", value: s.cert_valid_until || "" })),
    h("div", { class: "row" },
      h("button", { type: "button", onclick: () => (editor.hidden = true) }, t("cancel")),
      h("button", { class: "primary save-staff", type: "submit" }, t("admin.save"))));
  async function save(e) {
    e.preventDefault();
    const roles = checkedRoles(editor, "edit-role");
    if (!roles.length) return toast(t("admin.pick_role"), "error");
    const body = { client_id: crypto.randomUUID(), roles };
    const cert = editor.elements.cert_number.value.trim();
    const until = editor.elements.cert_valid_until.value;
    if (cert && cert !== (s.cert_number || "")) body.cert_number = cert;
    if (until && until !== (s.cert_valid_until || "")) body.cert_valid_until = until;
    try {
      await json(`/api/staff/${encodeURIComponent(s.staff_id)}`, { method: "PATCH", body });
      toast(t("admin.saved"));
      reload();
    } catch (err) {
      toast(err.message, "error");
    }
  }
  async function deactivate() {
    const reason = await ask(t("admin.deactivate_confirm", { name: s.name }), {
      label: t("admin.deactivate_reason"), required: false, okText: t("admin.deactivate"),
    });
    if (reason === null) return;
    const body = { client_id: crypto.randomUUID() };
    if (reason) body.reason = reason;
    try {
      await json(`/api/staff/${encodeURIComponent(s.staff_id)}/deactivate`, { method: "POST", body });
      toast(t("admin.deactivated_done", { name: s.name }));
      reload();
    } catch (err) {
      toast(err.message, "error");
    }
  }
  const self = s.staff_id === me.staff_id;
  return h("div", { class: "card staff", dataset: { staffId: s.staff_id, active: String(s.active) } },
    h("div", { class: "row" },
      h("b", { class: "grow staff-name" }, s.name),
      h("span", { class: `badge ${s.active ? "ok" : "bad"} staff-state` }, t(s.active ? "admin.active" : "admin.inactive"))),
    h("div", { class: "muted" }, `${t("admin.unit")}: ${s.unit_id || "—"} · ${t("admin.passkeys_count", { n: s.passkeys ?? 0 })}`),
    h("div", {}, `${t("admin.cert_number")}: `, certText(s)),
    h("div", { class: "staff-roles" }, s.roles.map((r) => h("span", { class: "badge", dataset: { role: r } }, t(`role.${r}`))), " "),
    s.active ? h("div", { class: "row" },
      h("button", { class: "change-staff", onclick: () => (editor.hidden = !editor.hidden) }, t("admin.change")),
      self ? null : h("button", { class: "danger deactivate-staff", onclick: deactivate }, t("admin.deactivate"))) : null,
    s.active ? editor : null);
}

function copyButton(text) {
  return h("button", { id: "copy-invite", type: "button", onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard permission refused: select the text so a long press copies it.
      const field = document.getElementById("invite-link");
      field?.focus();
      field?.select();
      return toast(t("admin.copy_manually"));
    }
    toast(t("admin.copied"));
  } }, t("admin.copy"));
}

function inviteResult(made, name) {
  // The invite API may add a QR code later; until then the link is shown as text only.
  let qr = null;
  if (made.qr_svg) {
    qr = h("div", { class: "qr" });
    qr.innerHTML = made.qr_svg; // the server's own SVG, not user input
  } else qr = made.qr_png_base64 ? h("img", { class: "qr", alt: "QR", src: `data:image/png;base64,${made.qr_png_base64}` }) : null;
  return h("div", { class: "card invite-result", dataset: { staffId: made.staff_id } },
    h("b", {}, t("admin.invite_made", { name })),
    h("p", { class: "muted" }, t("admin.invite_once", { time: when(made.expires_at) })),
    h("textarea", { id: "invite-link", class: "mono", readOnly: true, rows: 3, onfocus: (e) => e.target.select() }, made.link),
    h("div", { class: "row" }, copyButton(made.link)),
    qr);
}

function pendingCard(inv, reload) {
  async function cancel() {
    const reason = await ask(t("admin.invite_cancel_confirm", { name: inv.name }), {
      label: t("admin.invite_cancel_reason"), required: false, okText: t("admin.invite_cancel"),
    });
    if (reason === null) return;
    try {
      await json(`/api/invites/${encodeURIComponent(inv.staff_id)}/cancel`, { method: "POST", body: reason ? { reason } : {} });
      toast(t("admin.invite_cancelled_done", { name: inv.name }));
      // The link may still be on screen from when it was made; it no longer works, so hide it.
      document.querySelector(`#invite-result .invite-result[data-staff-id="${CSS.escape(inv.staff_id)}"]`)?.remove();
      reload();
    } catch (err) {
      toast(err.message, "error");
      reload();
    }
  }
  const by = inv.invited_by ? t("admin.invite_by", { name: inv.invited_by_name || inv.invited_by }) : t("admin.invite_by_cli");
  return h("div", { class: "card invite-pending", dataset: { staffId: inv.staff_id } },
    h("div", { class: "row" },
      h("b", { class: "grow invite-name" }, inv.name),
      h("button", { class: "danger cancel-invite", onclick: cancel }, t("admin.invite_cancel"))),
    h("div", { class: "invite-roles" }, inv.roles.map((r) => h("span", { class: "badge", dataset: { role: r } }, t(`role.${r}`))), " "),
    h("div", { class: "muted" }, `${t("admin.unit")}: ${inv.unit_id || "—"} · ${by}`),
    h("div", { class: "muted invite-times" }, t("admin.invite_times", { created: when(inv.created_at), expires: when(inv.expires_at) })));
}

function inviteForm(onInvited) {
  const result = h("div", { id: "invite-result" });
  const form = h("form", { class: "card", id: "invite-form", onsubmit: submit },
    h("label", {}, t("admin.name"), h("input", { name: "name", required: true, autocomplete: "off" })),
    roleChecks("invite-role"),
    h("label", {}, t("admin.unit"), h("input", { name: "unit_id", autocomplete: "off" })),
    h("label", {}, t("admin.cert_number"), h("input", { name: "cert_number", autocomplete: "off" })),
    h("label", {}, t("admin.cert_until"), h("input", { name: "cert_valid_until", type: "date" })),
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit", id: "send-invite" }, t("admin.invite"))));
  async function submit(e) {
    e.preventDefault();
    const roles = checkedRoles(form, "invite-role");
    if (!roles.length) return toast(t("admin.pick_role"), "error");
    const name = form.elements.name.value.trim();
    const body = { roles, name };
    const unit = form.elements.unit_id.value.trim();
    if (unit) body.unit_id = unit;
    const cert = form.elements.cert_number.value.trim();
    const until = form.elements.cert_valid_until.value;
    if (cert) body.cert_number = cert;
    if (until) body.cert_valid_until = until;
    const button = form.querySelector("#send-invite");
    button.disabled = true;
    try {
      const made = await json("/api/invites", { method: "POST", body });
      result.replaceChildren(inviteResult(made, name));
      form.reset();
      onInvited?.();
    } catch (err) {
      toast(err.message, "error");
    } finally {
      button.disabled = false;
    }
  }
  return h("div", {}, form, result);
}

export async function render() {
  const me = session.current();
  if (!me?.roles?.includes("admin")) {
    return h("section", {}, h("h1", {}, t("admin.title")), h("p", { class: "card", id: "admin-forbidden" }, t("admin.forbidden")));
  }
  const list = h("div", { id: "staff-list" });
  async function reload() {
    try {
      const staff = await json("/api/staff");
      list.replaceChildren(...staff.map((s) => staffCard(s, me, reload)));
    } catch (e) {
      list.replaceChildren(h("p", { class: "card screen-error" }, e.message));
    }
  }
  const pending = h("div", { id: "pending-invites" });
  async function reloadPending() {
    try {
      const invites = await json("/api/invites");
      pending.replaceChildren(...(invites.length
        ? invites.map((inv) => pendingCard(inv, reloadPending))
        : [h("p", { class: "muted", id: "no-pending-invites" }, t("admin.pending_none"))]));
    } catch (e) {
      pending.replaceChildren(h("p", { class: "card screen-error" }, e.message));
    }
  }
  await Promise.all([reload(), reloadPending()]);
  return h("section", { class: "admin" },
    h("h1", {}, t("admin.title")),
    h("h2", {}, t("admin.invite_title")),
    inviteForm(reloadPending),
    h("h2", {}, t("admin.pending_title")),
    pending,
    h("h2", {}, t("admin.staff")),
    list);
}
