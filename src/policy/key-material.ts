import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

/**
 * RSA key material in a message or in Bybit's answers. Parsing decides what a blob is, not its
 * prefix: a certificate or a public key also starts with "MII".
 */

/** Text without PEM armour (any label), white space, or escaped line breaks: the base64 of the DER. */
const derOf = (text: string) =>
  Buffer.from(
    text
      .replace(/\\[nr]/g, "")
      .replace(/-----[^-]*-----/g, "")
      .replace(/\s+/g, ""),
    "base64",
  );

function parsed<T>(attempts: (() => T)[]): T | null {
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // Not this encoding; try the next.
    }
  }
  return null;
}

const publicKeyOf = (der: Buffer) =>
  parsed<KeyObject>(
    ["spki", "pkcs1"].map((type) => () => createPublicKey({ key: der, format: "der", type: type as "spki" | "pkcs1" })),
  );

/**
 * One spelling of an RSA public key, so that the key we handed a follower and the key Bybit
 * reports can be compared: PEM or bare base64, SPKI or PKCS#1, on one line or many, all become
 * the base64 of the SPKI DER. Null when the text is no RSA public key.
 */
export function normalisePublicKey(text: string): string | null {
  const key = text.trim() === "" ? null : publicKeyOf(derOf(text));
  if (!key || key.asymmetricKeyType !== "rsa") return null;
  return key.export({ type: "spki", format: "der" }).toString("base64");
}

const PRIVATE_PEM = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
const PUBLIC_PEM = /-----BEGIN (?:RSA )?PUBLIC KEY-----/;
/** Long enough to be a key, and nothing but base64. */
const BARE_BASE64 = /^[A-Za-z0-9+/=\s]{150,}$/;

/** Whether a message is a private key (never to be used, only deleted and explained) or a public key. */
export function keyMaterialIn(text: string): "private-key" | "public-key" | null {
  if (PRIVATE_PEM.test(text)) return "private-key";
  if (PUBLIC_PEM.test(text)) return "public-key";
  const compact = text.trim();
  if (!BARE_BASE64.test(compact)) return null;
  const der = derOf(compact);
  const privateKey = parsed(
    ["pkcs8", "pkcs1"].map(
      (type) => () => createPrivateKey({ key: der, format: "der", type: type as "pkcs8" | "pkcs1" }),
    ),
  );
  if (privateKey) return "private-key";
  return publicKeyOf(der) ? "public-key" : null;
}
