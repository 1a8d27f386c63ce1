// Signing an entry with a passkey from the review screens (an approval, a spot check, a retention decision).
import { passkeys } from "../../session.js";

// What a supervisor's passkey signature means on each kind of entry.
export const SIGN_MEANINGS = {
  "record.legal_review": "legal_review",
  "record.handler_proposal": "approve",
  "record.emergency_start": "approve",
  "record.case_opening_approval": "approve",
  "record.collective_discussion": "co_sign",
  "retention.batch": "approve_disposal",
  "export.requested": "approve_export",
};

/** Sign the entry `entryHash` (the challenge is its hash) with this meaning and an optional comment. */
export async function signWithPasskey(entryHash, meaning, comment) {
  const pk = await passkeys();
  return pk.signEntry(entryHash, meaning, { clientId: crypto.randomUUID(), comment });
}
