import { keyMaterialIn } from "./key-material.js";

/**
 * What a follower pasted at a credential step. These checks never decide whether a key is valid
 * (Bybit does, through query-api); they decide how to read a paste and how to word a hint.
 *
 * Bybit's keys are 18 letters and digits and its secrets 36, drawn at random: nothing promises a
 * digit or any other character class, so inside a connect flow any token of plausible length
 * made of letters and digits is a candidate.
 */

/** Unlabelled, a token this long is read as an API key… */
const KEY_LENGTH = { min: 16, max: 30 } as const;
/** …and this long as a secret. */
const SECRET_LENGTH = { min: 31, max: 64 } as const;
/** With a label in front ("API Key:", "secret="), any token in this range is taken as labelled. */
const LABELLED_LENGTH = { min: 12, max: 64 } as const;

export type CredentialText =
  | { kind: "key"; apiKey: string }
  | { kind: "secret"; apiSecret: string }
  | { kind: "pair"; apiKey: string; apiSecret: string }
  /** An RSA private key (PEM or bare DER): never to be used, only deleted and explained. */
  | { kind: "private-key" }
  /** A public key (the one the bot showed, sent back instead of pasted into Bybit). */
  | { kind: "public-key" }
  /** Words, with nothing that could be a key. */
  | { kind: "sentence" }
  | { kind: "unrecognised" };

type Label = "key" | "secret";

/**
 * Label words, lower-cased, as they appear in pastes: "API Key", "api_key", "apiKey", "Secret Key",
 * "API Secret", a password manager's "Username" and "Password", Spanish and Portuguese labels.
 */
const LABEL_WORDS: Record<string, Label> = {
  key: "key",
  apikey: "key",
  accesskey: "key",
  username: "key",
  clave: "key",
  chave: "key",
  secret: "secret",
  apisecret: "secret",
  secretkey: "secret",
  password: "secret",
  secreta: "secret",
  secreto: "secret",
};
/** Words that neither count as prose nor break a label from its value: "my API key is Ab12…". */
const NEUTRAL_WORDS = new Set(["api", "bybit", "is", "was", "here", "my", "id", "the", "and"]);

export const within = (token: string, range: { min: number; max: number }) =>
  token.length >= range.min && token.length <= range.max;

/** Zero-width characters and soft hyphens come along when copying from web pages and apps; they are never part of a key. */
export const withoutInvisibles = (text: string) => text.replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, "");

interface Reading {
  labelled: Partial<Record<Label, string>>;
  /** Tokens of a key's or a secret's length with no label in front. */
  unlabelled: string[];
  /** Ordinary words: anything that is neither a label, a neutral word, nor a candidate. */
  words: number;
}

/** Splits a paste into alphanumeric tokens (quotes, commas, braces, colons, `=` and line breaks all separate) and pairs labels with values. */
function read(text: string): Reading {
  const reading: Reading = { labelled: {}, unlabelled: [], words: 0 };
  let label: Label | null = null;
  for (const token of withoutInvisibles(text)
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)) {
    const lower = token.toLowerCase();
    const labelWord = LABEL_WORDS[lower];
    if (labelWord) {
      // "Secret Key" is a secret: once a label says secret, a following "key" does not change it.
      label = label === "secret" ? "secret" : labelWord;
      continue;
    }
    if (NEUTRAL_WORDS.has(lower) || /^\d{1,2}$/.test(token)) continue;
    if (label && within(token, LABELLED_LENGTH) && reading.labelled[label] === undefined)
      reading.labelled[label] = token;
    else if (within(token, KEY_LENGTH) || within(token, SECRET_LENGTH)) reading.unlabelled.push(token);
    else reading.words += 1;
    label = null;
  }
  return reading;
}

/**
 * Reads a paste at a credential step: labelled values first, then at most one unlabelled key and
 * one unlabelled secret among any other words ("here it is …", "… thanks", a signature line).
 */
export function parseCredentialText(text: string): CredentialText {
  const material = keyMaterialIn(text);
  if (material) return { kind: material };
  const { labelled, unlabelled, words } = read(text);
  const keys = unlabelled.filter((token) => within(token, KEY_LENGTH));
  const secrets = unlabelled.filter((token) => within(token, SECRET_LENGTH));
  if (keys.length > (labelled.key ? 0 : 1) || secrets.length > (labelled.secret ? 0 : 1))
    return { kind: "unrecognised" };

  const apiKey = labelled.key ?? keys[0];
  const apiSecret = labelled.secret ?? secrets[0];
  if (apiKey && apiSecret) return { kind: "pair", apiKey, apiSecret };
  if (apiKey) return { kind: "key", apiKey };
  if (apiSecret) return { kind: "secret", apiSecret };
  const prose = words > 0 && text.trim().split(/\s+/).length >= 3;
  return prose ? { kind: "sentence" } : { kind: "unrecognised" };
}

/** Besides label words, the one token with a digit that chatter at a key step names: "I turned on 2FA, now what?". */
const TWO_FA = /^2fa$/i;
/** Words other than labels (and "2FA") a message needs before a label word in it reads as a question, not a label. */
const WORDS_AROUND_A_LABEL = 3;

/**
 * Plain chatter ("hi, how do I start copying?", in any script): two words or more, no digit, no
 * token as long as a key, no key material, and every word cased as words are (lower case,
 * Capitalised, or a short ABBR): a key of letters only (1 in 24 has no digit) split across lines
 * ("xKqBtRwLa\nPmZvHcYdN") is mixed case inside, so it is deleted, not kept as chatter. A label
 * word ("key", "secret", "password"…) or "2FA" is allowed only among three other words or more
 * ("Where is the API key?"), and only with no word after the label that could be its value ("my
 * key is abc" is deleted). Decides only how a message at a credential step is answered (and that
 * there is nothing in it to delete), never validity.
 */
export function looksLikeChatter(text: string): boolean {
  const plain = withoutInvisibles(text);
  if (keyMaterialIn(plain)) return false;
  const words = plain.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== "");
  if (words.some((word) => /\p{N}/u.test(word) && !TWO_FA.test(word))) return false;
  if (
    plain
      .trim()
      .split(/\s+/)
      .filter((word) => /\p{L}/u.test(word)).length < 2
  )
    return false;
  if (
    !plain
      .split(/[^\p{L}]+/u)
      .every((word) => word === "" || /^\p{Lu}?\p{Ll}*$/u.test(word) || /^\p{Lu}{1,4}$/u.test(word))
  )
    return false;
  if (plain.split(/[^A-Za-z0-9]+/).some((token) => token.length >= KEY_LENGTH.min)) return false;
  const isLabel = (word: string) => LABEL_WORDS[word.toLowerCase()] !== undefined;
  const special = words.filter((word) => isLabel(word) || TWO_FA.test(word));
  if (special.length === 0) return true;
  if (words.length - special.length < WORDS_AROUND_A_LABEL) return false;
  return !labelHasValue(plain);
}

/** A label word with a word after it (neutral words between, as a paste has them: "my key is abc"): that word may be its value. */
function labelHasValue(text: string): boolean {
  let label = false;
  for (const token of text.split(/[^A-Za-z0-9]+/).filter((part) => part !== "")) {
    const lower = token.toLowerCase();
    if (LABEL_WORDS[lower] !== undefined) label = true;
    else if (!NEUTRAL_WORDS.has(lower) && label) return true;
  }
  return false;
}
