import { createPublicKey, type KeyObject } from "node:crypto";

/**
 * One spelling of an RSA public key, so that the key we handed a follower and the key Bybit
 * reports can be compared: PEM or bare base64, SPKI or PKCS#1, with any line breaks, all
 * become the base64 of the SPKI DER. Null when the text is no RSA public key.
 */
export function normalisePublicKey(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const attempts: (() => KeyObject)[] = trimmed.includes("-----BEGIN")
    ? [() => createPublicKey(trimmed)]
    : ["spki", "pkcs1"].map((type) => () => createPublicKey({ key: Buffer.from(trimmed.replace(/\s+/g, ""), "base64"), format: "der", type: type as "spki" | "pkcs1" }));
  for (const attempt of attempts) {
    try {
      const key = attempt();
      if (key.asymmetricKeyType !== "rsa") return null;
      return key.export({ type: "spki", format: "der" }).toString("base64");
    } catch {
      // Not this encoding; try the next.
    }
  }
  return null;
}
