import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring, SealKey } from "./keyring.js";

/**
 * Envelope encryption, AES-256-GCM throughout:
 * a fresh data key encrypts the payload, and the keyring's active key wraps the data key.
 *
 * Blob layout (version 1):
 *   version(1) | idLength(1) | keyId | wrapNonce(12) | wrappedDataKey(32) | wrapTag(16)
 *   | dataNonce(12) | ciphertext | dataTag(16)
 *
 * The caller's context (who and what the blob is for) is associated data of both layers,
 * so a blob copied to another user or field fails to open. The header is associated data
 * of the wrap, so a swapped key id fails too. The payload layer does not bind the key id,
 * which is what lets `rewrap` move a record to a new key without decrypting the payload.
 */
const VERSION = 1;
const NONCE = 12;
const TAG = 16;
const DATA_KEY = 32;

export type SealErrorCode = "unknown-key" | "tampered" | "malformed";

export class SealError extends Error {
  /** Its message names the keyring entry at most, never key material: logged as it is. */
  readonly safeMessage = true;
  constructor(
    readonly code: SealErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SealError";
  }
}

export interface Sealer {
  seal(plaintext: Buffer, context: string): Buffer;
  open(blob: Buffer, context: string): Buffer;
  /** Re-seals under the newest key; the payload is never decrypted. */
  rewrap(blob: Buffer, context: string): Buffer;
  /** Which key sealed this blob. */
  keyIdOf(blob: Buffer): string;
  /** Whether the keyring still holds the key that sealed this blob (nothing is decrypted). */
  knowsKeyOf(blob: Buffer): boolean;
}

interface ParsedBlob {
  header: Buffer;
  keyId: string;
  wrapNonce: Buffer;
  wrappedKey: Buffer;
  wrapTag: Buffer;
  payload: Buffer;
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const nonce = sealed.subarray(0, NONCE);
  const body = sealed.subarray(NONCE, sealed.length - TAG);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SealError("tampered", "sealed data failed authentication (tampered, or opened in the wrong context)");
  }
}

function headerFor(keyId: string): Buffer {
  const id = Buffer.from(keyId, "utf8");
  return Buffer.concat([Buffer.from([VERSION, id.length]), id]);
}

function parse(blob: Buffer): ParsedBlob {
  if (blob.length < 2 || blob[0] !== VERSION)
    throw new SealError("malformed", "sealed data has an unknown format version");
  const idLength = blob[1]!;
  const headerLength = 2 + idLength;
  const wrapLength = NONCE + DATA_KEY + TAG;
  if (blob.length < headerLength + wrapLength + NONCE + TAG)
    throw new SealError("malformed", "sealed data is truncated");
  const wrap = blob.subarray(headerLength, headerLength + wrapLength);
  return {
    header: blob.subarray(0, headerLength),
    keyId: blob.subarray(2, headerLength).toString("utf8"),
    wrapNonce: wrap.subarray(0, NONCE),
    wrappedKey: wrap.subarray(NONCE, NONCE + DATA_KEY),
    wrapTag: wrap.subarray(NONCE + DATA_KEY),
    payload: blob.subarray(headerLength + wrapLength),
  };
}

const wrapAad = (header: Buffer, context: string) =>
  Buffer.concat([Buffer.from("wrap|"), header, Buffer.from(`|${context}`)]);
const payloadAad = (context: string) => Buffer.from(`payload|v${VERSION}|${context}`);

export function createSealer(keyring: Keyring): Sealer {
  function wrapDataKey(dataKey: Buffer, context: string): Buffer {
    const header = headerFor(keyring.active.id);
    return Buffer.concat([header, encrypt(keyring.active.key, dataKey, wrapAad(header, context))]);
  }

  function unwrapDataKey(parsed: ParsedBlob, context: string): Buffer {
    const sealKey: SealKey | undefined = keyring.byId.get(parsed.keyId);
    if (!sealKey) throw new SealError("unknown-key", `sealed with key "${parsed.keyId}", which is not in SEAL_KEYS`);
    const wrapped = Buffer.concat([parsed.wrapNonce, parsed.wrappedKey, parsed.wrapTag]);
    return decrypt(sealKey.key, wrapped, wrapAad(parsed.header, context));
  }

  return {
    seal(plaintext, context) {
      const dataKey = randomBytes(DATA_KEY);
      try {
        return Buffer.concat([wrapDataKey(dataKey, context), encrypt(dataKey, plaintext, payloadAad(context))]);
      } finally {
        dataKey.fill(0);
      }
    },
    open(blob, context) {
      const parsed = parse(blob);
      const dataKey = unwrapDataKey(parsed, context);
      try {
        return decrypt(dataKey, parsed.payload, payloadAad(context));
      } finally {
        dataKey.fill(0);
      }
    },
    rewrap(blob, context) {
      const parsed = parse(blob);
      const dataKey = unwrapDataKey(parsed, context);
      try {
        return Buffer.concat([wrapDataKey(dataKey, context), parsed.payload]);
      } finally {
        dataKey.fill(0);
      }
    },
    keyIdOf(blob) {
      return parse(blob).keyId;
    },
    knowsKeyOf(blob) {
      try {
        return keyring.byId.has(parse(blob).keyId);
      } catch {
        return false;
      }
    },
  };
}
