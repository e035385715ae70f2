import { describe, expect, it } from "vitest";
import { generateKeyringEntry, parseKeyring } from "../src/vault/keyring.js";
import { createSealer, SealError } from "../src/vault/sealer.js";

const oldEntry = generateKeyringEntry();
const newEntry = generateKeyringEntry();
const secret = Buffer.from('{"apiKey":"CK7canary","apiSecret":"CS9canary-secret"}');
const context = "user=1|exchange=bybit|bybitKey=42|purpose=api-credential";

function sealErrorOf(action: () => unknown): SealError {
  try {
    action();
  } catch (error) {
    if (error instanceof SealError) return error;
    throw error;
  }
  throw new Error("expected a SealError");
}

describe("sealing", () => {
  const sealer = createSealer(parseKeyring(oldEntry));

  it("opens what it sealed, and the blob holds no plaintext", () => {
    const blob = sealer.seal(secret, context);
    expect(sealer.open(blob, context)).toEqual(secret);
    expect(blob.includes(Buffer.from("canary"))).toBe(false);
    expect(sealer.keyIdOf(blob)).toBe(oldEntry.split(":")[0]);
  });

  it("uses a fresh data key and nonce every time", () => {
    expect(sealer.seal(secret, context).equals(sealer.seal(secret, context))).toBe(false);
  });

  it("refuses a tampered blob, wherever the change is", () => {
    const blob = sealer.seal(secret, context);
    for (const offset of [2 + 9 + 3, 2 + 9 + 12 + 5, blob.length - 20, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[offset]! ^= 0x01;
      expect(sealErrorOf(() => sealer.open(tampered, context)).code).toBe("tampered");
    }
  });

  it("refuses a blob moved to another user, key or purpose", () => {
    const blob = sealer.seal(secret, context);
    for (const other of [
      context.replace("user=1", "user=2"),
      context.replace("bybitKey=42", "bybitKey=43"),
      context.replace("api-credential", "conversation"),
    ]) {
      expect(sealErrorOf(() => sealer.open(blob, other)).code).toBe("tampered");
    }
  });

  it("names an unknown key id instead of returning garbage", () => {
    const stranger = createSealer(parseKeyring(newEntry));
    const error = sealErrorOf(() => stranger.open(sealer.seal(secret, context), context));
    expect(error.code).toBe("unknown-key");
    expect(error.message).toContain(oldEntry.split(":")[0]);
  });

  it("refuses a truncated or foreign blob as malformed", () => {
    expect(sealErrorOf(() => sealer.open(Buffer.from([9, 1, 2]), context)).code).toBe("malformed");
    expect(sealErrorOf(() => sealer.open(sealer.seal(secret, context).subarray(0, 40), context)).code).toBe(
      "malformed",
    );
  });

  it("rewraps under the newest key; the old key can then be retired", () => {
    const blob = sealer.seal(secret, context);
    const rotated = createSealer(parseKeyring(`${newEntry},${oldEntry}`));
    const rewrapped = rotated.rewrap(blob, context);
    expect(rotated.keyIdOf(rewrapped)).toBe(newEntry.split(":")[0]);
    const newOnly = createSealer(parseKeyring(newEntry));
    expect(newOnly.open(rewrapped, context)).toEqual(secret);
    expect(sealErrorOf(() => rotated.rewrap(blob, context.replace("user=1", "user=2"))).code).toBe("tampered");
  });
});

describe("the keyring", () => {
  it("names what is wrong without printing key material", () => {
    expect(() => parseKeyring("")).toThrow("no key entries");
    expect(() => parseKeyring("bad id:AAAA")).toThrow("entry 1 has no valid id");
    expect(() => parseKeyring("k1:c2hvcnQ=")).toThrow('key "k1" must be exactly 32 bytes of standard base64');
    const entry = generateKeyringEntry();
    expect(() => parseKeyring(`${entry},${entry}`)).toThrow("appears twice");
  });

  it("seals with the first entry", () => {
    const first = generateKeyringEntry();
    const keyring = parseKeyring(`${first}, ${generateKeyringEntry()}`);
    expect(keyring.active.id).toBe(first.split(":")[0]);
    expect(keyring.byId.size).toBe(2);
  });
});
