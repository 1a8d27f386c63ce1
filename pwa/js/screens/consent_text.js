// What the party consents to, shown on the officer's screen handed to the party before they sign
// the electronic-service consent: the channel, the address and how documents arrive.
import { h } from "../dom.js";
import { t } from "../i18n.js";

/** A block that follows the form as it is filled: recipient, ticked channels, address. */
export function consentText({ recipient, channelBoxes, contact, agency }) {
  const words = h("p", { id: "consent-words" });
  const render = () => {
    const ticked = channelBoxes.map((label) => label.querySelector("input")).filter((i) => i.checked)
      .map((i) => t(`service.channel.${i.value}`));
    const missing = t("party.consent.missing");
    words.textContent = t("party.consent.text", {
      recipient: recipient.value || missing, agency,
      channels: ticked.join("、") || missing, contact: contact.value.trim() || missing,
    });
  };
  for (const el of [recipient, contact, ...channelBoxes]) {
    el.addEventListener("input", render);
    el.addEventListener("change", render);
  }
  render();
  return h("div", { class: "card consent-text", id: "consent-text" },
    h("b", {}, t("party.consent.heading")), words, h("p", {}, t("party.consent.how")));
}
