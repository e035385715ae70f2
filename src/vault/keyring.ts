import { randomBytes } from "node:crypto";

/** One sealing key: `id` is stored inside every blob so the right key opens it later. */
export interface SealKey {
  id: string;
  key: Buffer;
}

/** The first key seals; every key opens. */
export interface Keyring {
  active: SealKey;
  byId: ReadonlyMap<string, SealKey>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
/** Exactly 32 bytes of standard base64, padding included: Node's decoder would skip stray characters silently. */
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/** Parses `id:base64key,id:base64key`; throws an Error whose message names what is wrong (never a key). */
export function parseKeyring(text: string): Keyring {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new Error("no key entries (expected id:base64key,...)");
  const byId = new Map<string, SealKey>();
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(":");
    const id = separator > 0 ? entry.slice(0, separator) : "";
    if (!KEY_ID.test(id)) throw new Error(`entry ${index + 1} has no valid id (letters, digits, _ or -, at most 32)`);
    const encoded = entry.slice(separator + 1);
    const key = Buffer.from(encoded, "base64");
    if (!KEY_BASE64.test(encoded) || key.length !== KEY_BYTES) {
      throw new Error(
        `key "${id}" must be exactly ${KEY_BYTES} bytes of standard base64 (44 characters ending in "="); run \`npm run keygen\``,
      );
    }
    if (key.every((byte) => byte === 0))
      throw new Error(`key "${id}" is all zeros; run \`npm run keygen\` for a real one`);
    if (byId.has(id)) throw new Error(`key id "${id}" appears twice`);
    const twin = [...byId.values()].find((other) => other.key.equals(key));
    if (twin) throw new Error(`keys "${twin.id}" and "${id}" hold the same key material; each entry needs its own`);
    byId.set(id, { id, key });
  }
  const active = byId.get(entries[0]!.slice(0, entries[0]!.indexOf(":")))!;
  return { active, byId };
}

/** A fresh `id:base64key` entry, the format SEAL_KEYS expects. */
export function generateKeyringEntry(): string {
  return `k${randomBytes(4).toString("hex")}:${randomBytes(KEY_BYTES).toString("base64")}`;
}
