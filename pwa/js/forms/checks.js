// Checks a JSON Schema cannot say: a reachable Chinese phone number, an 18-digit 身份证 number with its
// GB 11643 check digit, a 统一社会信用代码 with its GB 32100 check character. Each returns a
// translation key for what is wrong, or null. Which field gets which check is in form-hints.json `checks`.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";
const USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

const compact = (v) => String(v).replace(/[\s-]/g, "").toUpperCase();

/** 身份证: 18 characters, a real birth date, the check digit of the first 17. */
export function isResidentId(value) {
  const v = compact(value);
  if (!/^\d{17}[\dX]$/.test(v)) return false;
  const y = Number(v.slice(6, 10));
  const m = Number(v.slice(10, 12));
  const d = Number(v.slice(12, 14));
  const born = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d || born > new Date()) return false;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(v[i]), 0);
  return ID_CHECK[sum % 11] === v[17];
}

/** 统一社会信用代码: 18 characters of its alphabet, the check character of the first 17. */
export function isCreditCode(value) {
  const v = compact(value);
  if (v.length !== 18 || [...v].some((c) => !USCC_CHARS.includes(c))) return false;
  const sum = USCC_WEIGHTS.reduce((acc, w, i) => acc + w * USCC_CHARS.indexOf(v[i]), 0);
  return USCC_CHARS[(31 - (sum % 31)) % 31] === v[17];
}

/** A party's number: an 18-character 身份证 or 统一社会信用代码 must check; other documents (passport…) pass. */
export function idProblem(value) {
  const v = compact(value);
  if (!v) return null;
  if (v.length === 18) return isResidentId(v) || isCreditCode(v) ? null : "forms.check.id_checksum";
  // Digits only but not 18 long: a 身份证 number mistyped (the 15-digit numbers were replaced long ago).
  if (/^\d+X?$/.test(v)) return "forms.check.id_length";
  return null;
}

export function residentIdProblem(value) {
  const v = compact(value);
  if (!v) return null;
  if (v.length !== 18) return "forms.check.id_length";
  return isResidentId(v) ? null : "forms.check.id_checksum";
}

export function creditCodeProblem(value) {
  const v = compact(value);
  if (!v) return null;
  if (v.length !== 18) return "forms.check.credit_length";
  return isCreditCode(v) ? null : "forms.check.credit_checksum";
}

/** A mobile (11 digits from 13–19), a landline with its area code, or a 400/800 line. */
export function phoneProblem(value) {
  const v = String(value).replace(/[\s()（）]/g, "").replace(/^(\+?86)(?=1)/, "");
  if (!v) return null;
  if (/^1[3-9]\d{9}$/.test(v) || /^0\d{2,3}-?\d{7,8}(-\d{1,6})?$/.test(v) || /^[48]00-?\d{3}-?\d{4}$/.test(v)) return null;
  return "forms.check.phone";
}

export const CHECKS = {
  phone: { problem: phoneProblem, input: { type: "tel", inputmode: "tel", autocomplete: "tel" } },
  id_or_credit_code: { problem: idProblem, input: { inputmode: "text", autocapitalize: "characters", spellcheck: "false" } },
  resident_id: { problem: residentIdProblem, input: { inputmode: "text", autocapitalize: "characters", spellcheck: "false" } },
  credit_code: { problem: creditCodeProblem, input: { inputmode: "text", autocapitalize: "characters", spellcheck: "false" } },
};
