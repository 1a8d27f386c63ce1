// Co-signing a sent record with passkeys, one officer after the other on this device, once the entry has
// its hash. A shared phone holds several officers' passkeys: each signer is named first, so the phone
// offers only that officer's passkey and the server checks the passkey that answered is theirs.
import { json } from "../../api.js";
import { h, showError, toast } from "../../dom.js";
import { verifyDetails } from "../../forms/plain.js";
import { t } from "../../i18n.js";
import * as outbox from "../../outbox.js";
import { screenSignal } from "../../router.js";
import * as session from "../../session.js";

const meaningOf = (item) => ((item.body.payload.signatures || []).some((x) => x.method === "refused") ? "attest_refusal" : "co_sign");

/** The co-signing card; `follow(item)` shows it for a submitted record and keeps it current until sent. */
export function cosignPanel(me) {
  const node = h("div", { id: "cosign-box" });
  const signedList = h("div", { id: "cosigned-list" });
  const othersBox = h("div", { id: "cosign-others" });

  async function cosign(item, signer) {
    const pk = await session.passkeys();
    if (!pk.signEntry) return toast(t("cosign.unavailable"), "error");
    try {
      const meaning = meaningOf(item);
      const res = await pk.signEntry(item.result.hash, meaning, { clientId: crypto.randomUUID(), signer: signer.staff_id });
      toast(t("cosign.done", { name: signer.name }));
      signedList.append(h("div", { class: "badge ok cosigned", dataset: { signer: res?.actor || signer.staff_id } },
        `${t("cosign.signed")} ${signer.name}`));
      await renderOthers(item, meaning);
    } catch (e) { showError(e); }
  }

  async function renderOthers(item, meaning) {
    const pk = await session.passkeys();
    let signers;
    try {
      signers = await pk.coSigners(item.result.hash, meaning);
    } catch {
      othersBox.replaceChildren(h("p", { class: "muted" }, t("cosign.signers_offline")));
      return;
    }
    const mine = signers.find((x) => x.staff_id === me?.staff_id);
    const mineBtn = document.getElementById("cosign");
    if (mineBtn && mine?.signed) mineBtn.disabled = true;
    const others = signers.filter((x) => x.staff_id !== me?.staff_id && !x.signed);
    if (!others.length) {
      othersBox.replaceChildren(h("p", { class: "muted" }, t("cosign.none_other")));
      return;
    }
    const pick = h("select", { id: "cosigner" }, others.map((x) => h("option", { value: x.staff_id }, x.name)));
    const picked = () => others.find((x) => x.staff_id === pick.value);
    othersBox.replaceChildren(
      h("h3", {}, t("cosign.other")),
      h("label", { for: "cosigner" }, t("cosign.pick")), pick,
      h("button", { class: "primary", id: "cosign-other", onclick: () => cosign(item, picked()) }, t("cosign.other_button")),
      // Or the colleague signs later on their own phone: a to-sign item and a push reach them.
      h("button", { id: "cosign-ask", onclick: () => askToSign(item.result.hash, picked(), meaning) }, t("docs.tosign.ask")),
    );
  }

  async function askToSign(hash, signer, meaning) {
    try {
      await json(`/api/entries/${hash}/signatures/requests`, { method: "POST", body: { signer: signer.staff_id, meaning } });
      toast(t("docs.tosign.asked", { name: signer.name }));
    } catch (e) {
      toast(e.message, "error");
    }
  }

  function show(item) {
    if (item.state !== "sent") {
      node.replaceChildren(h("p", { class: "muted" }, t("cosign.after_sync")));
      return;
    }
    const self = { staff_id: me?.staff_id, name: me?.name || me?.staff_id || "" };
    node.replaceChildren(
      h("p", {}, t("cosign.hint")), verifyDetails([[t("forms.entry_hash"), item.result.hash]]),
      h("button", { class: "primary", id: "cosign", onclick: () => cosign(item, self) }, t("cosign.me", { name: self.name })),
      signedList, othersBox,
    );
    renderOthers(item, meaningOf(item));
  }

  function follow(item) {
    show(item);
    const stop = new AbortController();
    const leave = () => stop.abort();
    screenSignal().addEventListener("abort", leave, { once: true, signal: stop.signal });
    outbox.events.addEventListener("change", (e) => {
      if (e.detail.id !== item.id) return;
      show(e.detail);
      if (e.detail.state === "sent") stop.abort();
    }, { signal: stop.signal });
  }

  return { node, follow };
}
