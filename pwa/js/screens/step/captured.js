// What was captured for this step's record (photos, recordings, signatures), each with its sending state.
import { h } from "../../dom.js";
import { itemProgress, mediaPreview } from "../../forms/item_view.js";
import { t } from "../../i18n.js";
import * as outbox from "../../outbox.js";
import { screenSignal } from "../../router.js";

/** The card listing the step's captures; `refresh` redraws it (the outbox's changes do too). */
export function capturedItems(id, kind) {
  const node = h("div", { class: "card", id: "step-items" });
  async function refresh() {
    const mine = (await outbox.items()).filter((i) => i.case_id === id && i.type === "media" && i.body?.payload?.step === kind);
    node.replaceChildren(
      h("b", {}, t("step.captured", { n: mine.length })),
      ...mine.map((i) => h("div", { class: "row outbox-item", dataset: { id: i.id, kind: i.body.kind } },
        mediaPreview(i),
        h("span", { class: "grow" }, `${t(`mediakind.${i.body.kind}`)} · ${i.label || ""}`),
        h("span", { class: `badge state-${i.state}`, dataset: { state: i.state } }, t(`state.${i.state}`)),
        itemProgress(i))),
    );
  }
  outbox.events.addEventListener("change", () => node.isConnected && refresh(), { signal: screenSignal() });
  return { node, refresh };
}
