import { withoutInvisibles, within } from "./credential-format.js";
import { keyMaterialIn } from "./key-material.js";

/**
 * Outside a connect flow (groups, channels, business chats, loose messages) the question is only
 * what to delete, and deleting ordinary chat is a harm of its own (with a notice that tells a
 * group to revoke a key). So a token must look drawn at random, as Bybit draws keys:
 * - Bybit's lengths (18 and 36), with margins that stay clear of wallet addresses (25–35 for
 *   Bitcoin and Tron, 42+ for Ethereum and Solana);
 * - letters and digits only: a token joined to others by `-` or `_` (TON addresses, ids) is
 *   part of something else; links, @mentions, #hashtags and e-mail addresses are set aside;
 * - upper and lower case both (a random 18-character key lacks one of them 1 time in 9,000):
 *   this leaves out hashes, IBANs, VINs, tracking numbers and e-mail names;
 * - and digits, or case switching like random text (a key without a digit, 1 in 24) rather than
 *   like CamelCase.
 * Behind a label ("API key: …", "secret=…") a token of any plausible length counts.
 */
const GUARD_LENGTHS = [
  { min: 16, max: 20 },
  { min: 36, max: 40 },
] as const;
const RANDOM_LOOKING_MIN_SWITCHES = 4;
// Every alternative starts only where a token starts (the lookbehinds), and no two quantifiers
// can share characters: the time stays linear in the text. (`\S+@\S+\.\S+` took 25 s on 4,096 "@".)
const SET_ASIDE =
  /(?:\bhttps?:\/\/|\bwww\.|(?<![\w.-])[\w-]+(?:\.[\w-]+)+\/)\S*|(?<!\S)[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+|[@#][\w-]+/gi;
/** A public key's PEM lines and base64 body (lines of 64, or one run of hundreds): longer than any key or secret. */
const PUBLIC_KEY_PARTS = /-----(?:BEGIN|END) [A-Z ]+-----|[A-Za-z0-9+/]{60,}={0,2}/g;
const LABELLED =
  /\b(?:api[\s_-]*)?(?:key|secret|secret[\s_-]*key|password)["']?\s*[:=]\s*["']?([A-Za-z0-9]{12,64})(?![A-Za-z0-9_-])/gi;

const bothCases = (token: string) => /[a-z]/.test(token) && /[A-Z]/.test(token);

/** How characters change class (upper, lower, digit) along a token: random tokens switch often, words rarely. */
function classSwitches(token: string): number {
  const classOf = (char: string) => (char >= "a" && char <= "z" ? 0 : char >= "A" && char <= "Z" ? 1 : 2);
  let switches = 0;
  for (let index = 1; index < token.length; index += 1)
    if (classOf(token[index]!) !== classOf(token[index - 1]!)) switches += 1;
  return switches;
}

const looksRandom = (token: string) =>
  bothCases(token) && (/\d/.test(token) || classSwitches(token) >= RANDOM_LOOKING_MIN_SWITCHES);

/** True when a message could carry a key, secret or private key. */
export function containsCredentialLike(text: string): boolean {
  const material = keyMaterialIn(text);
  if (material === "private-key") return true;
  // A public key is no secret, but what is pasted beside it may be.
  const rest = material === "public-key" ? text.replace(PUBLIC_KEY_PARTS, " ") : text;
  const plain = withoutInvisibles(rest).replace(SET_ASIDE, " ");
  for (const [, value] of plain.matchAll(LABELLED))
    if (bothCases(value!) || (/\d/.test(value!) && /[A-Za-z]/.test(value!))) return true;
  return plain
    .split(/[^A-Za-z0-9_-]+/)
    .some(
      (token) =>
        /^[A-Za-z0-9]+$/.test(token) && GUARD_LENGTHS.some((range) => within(token, range)) && looksRandom(token),
    );
}
