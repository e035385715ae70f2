/**
 * What a pasted message holds. These checks never decide whether a key is valid (Bybit does,
 * through query-api); they decide which message to delete and how to word a hint.
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
  /** An RSA private key (PEM or bare PKCS#8): never to be used, only deleted and explained. */
  | { kind: "private-key" }
  /** The public key the bot showed, sent back instead of pasted into Bybit. */
  | { kind: "public-key" }
  /** Words, with nothing that could be a key. */
  | { kind: "sentence" }
  | { kind: "unrecognised" };

type Label = "key" | "secret";

const PRIVATE_PEM = /-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----/;
const PUBLIC_PEM = /-----BEGIN (?:RSA )?PUBLIC KEY-----/;
/** DER of an RSA key, base64 without PEM armour: SPKI public keys start "MIIBIjAN" (2048 bits) or "MIICIjAN" (4096). */
const BARE_DER = /^MII[A-Za-z0-9+/=\s]{150,}$/;
const BARE_PUBLIC = /^MII[BC]IjAN/;

/** Label words, lower-cased, as they appear in pastes: "API Key", "api_key", "apiKey", "Secret Key", "API Secret". */
const LABEL_WORDS: Record<string, Label> = {
  key: "key",
  apikey: "key",
  accesskey: "key",
  secret: "secret",
  apisecret: "secret",
  secretkey: "secret",
};
/** Words that neither count as prose nor break a label from its value: "my API key is Ab12…". */
const NEUTRAL_WORDS = new Set(["api", "bybit", "is", "was", "here", "my"]);

const within = (token: string, range: { min: number; max: number }) => token.length >= range.min && token.length <= range.max;

function asKeyMaterial(text: string): CredentialText | null {
  if (PRIVATE_PEM.test(text)) return { kind: "private-key" };
  if (PUBLIC_PEM.test(text)) return { kind: "public-key" };
  const compact = text.trim();
  if (BARE_DER.test(compact)) return BARE_PUBLIC.test(compact) ? { kind: "public-key" } : { kind: "private-key" };
  return null;
}

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
  for (const token of text.split(/[^A-Za-z0-9]+/).filter((part) => part.length > 0)) {
    const lower = token.toLowerCase();
    const labelWord = LABEL_WORDS[lower];
    if (labelWord) {
      // "Secret Key" is a secret: once a label says secret, a following "key" does not change it.
      label = label === "secret" ? "secret" : labelWord;
      continue;
    }
    if (NEUTRAL_WORDS.has(lower)) continue;
    if (label && within(token, LABELLED_LENGTH) && reading.labelled[label] === undefined) reading.labelled[label] = token;
    else if (within(token, KEY_LENGTH) || within(token, SECRET_LENGTH)) reading.unlabelled.push(token);
    else reading.words += 1;
    label = null;
  }
  return reading;
}

/** Reads what a follower pasted at a credential step: a key, a secret, both, or what went wrong. */
export function parseCredentialText(text: string): CredentialText {
  const material = asKeyMaterial(text);
  if (material) return material;
  const { labelled, unlabelled, words } = read(text);
  const labelledAny = labelled.key !== undefined || labelled.secret !== undefined;
  // Unlabelled tokens among ordinary words are more likely a long word than a key.
  if (!labelledAny && words > 0) {
    const prose = text.trim().split(/\s+/).length >= 3;
    return unlabelled.length === 0 && prose ? { kind: "sentence" } : { kind: "unrecognised" };
  }

  const keys = unlabelled.filter((token) => within(token, KEY_LENGTH));
  const secrets = unlabelled.filter((token) => within(token, SECRET_LENGTH));
  const apiKey = labelled.key ?? (keys.length === 1 ? keys[0] : undefined);
  const apiSecret = labelled.secret ?? (secrets.length === 1 ? secrets[0] : undefined);
  const leftOver = unlabelled.filter((token) => token !== apiKey && token !== apiSecret);
  if (leftOver.length > 0) return { kind: "unrecognised" };
  if (apiKey && apiSecret) return { kind: "pair", apiKey, apiSecret };
  if (apiKey) return { kind: "key", apiKey };
  if (apiSecret) return { kind: "secret", apiSecret };
  return { kind: "unrecognised" };
}

/** How characters change class (upper, lower, digit) along a token: random tokens switch often, words rarely. */
function classSwitches(token: string): number {
  const classOf = (char: string) => (char >= "a" && char <= "z" ? 0 : char >= "A" && char <= "Z" ? 1 : 2);
  let switches = 0;
  for (let index = 1; index < token.length; index += 1) if (classOf(token[index]!) !== classOf(token[index - 1]!)) switches += 1;
  return switches;
}

/**
 * Outside a flow (groups, loose messages) deleting ordinary chat is a harm of its own, so a token
 * must look drawn at random: Bybit's lengths (18 and 36, with a margin that stays clear of wallet
 * addresses: 25–35 for Bitcoin and Tron, 42+ for Ethereum and Solana), no pure hex (hashes, ids),
 * and mixed classes: letters with digits, or upper and lower case switching like random text
 * (a key without a digit, 1 in 24) rather than like CamelCase.
 */
const RANDOM_LOOKING_MIN_SWITCHES = 4;
const GUARD_LENGTHS = [
  { min: 16, max: 20 },
  { min: 36, max: 40 },
] as const;

/** Letters with digits, or upper with lower case. */
const mixesClasses = (token: string) => /[A-Za-z]/.test(token) && (/[0-9]/.test(token) || (/[a-z]/.test(token) && /[A-Z]/.test(token)));

function looksRandom(token: string): boolean {
  if (/^(?:0x)?[0-9a-f]+$/.test(token) || /^(?:0x)?[0-9A-F]+$/.test(token)) return false;
  return mixesClasses(token) && (/[0-9]/.test(token) || classSwitches(token) >= RANDOM_LOOKING_MIN_SWITCHES);
}

/** True when a message could carry a key, secret or private key: decides what to delete where keys must not be. */
export function containsCredentialLike(text: string): boolean {
  if (asKeyMaterial(text)?.kind === "private-key") return true;
  // Links are not pastes: ids inside them (documents, videos, charts) are not keys.
  const withoutLinks = text.replace(/(?:\bhttps?:\/\/|\bwww\.|\b[\w-]+(?:\.[\w-]+)+\/)\S*/gi, " ");
  const { labelled, unlabelled } = read(withoutLinks);
  // Behind a label ("API key: …") a token needs no random look, only mixed classes.
  if (Object.values(labelled).some(mixesClasses)) return true;
  return unlabelled.some((token) => GUARD_LENGTHS.some((range) => within(token, range)) && looksRandom(token));
}
