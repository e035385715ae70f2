import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyringEntry, parseKeyring, type Keyring } from "./keyring.js";

/**
 * For development only: a keyring kept in the data folder, created once and reused,
 * so `npm start` works without SEAL_KEYS and stored keys survive a restart.
 */
export function loadOrCreateDevKeyring(dataDir: string): { keyring: Keyring; path: string; created: boolean } {
  const path = join(dataDir, "dev-seal-keys");
  const created = !existsSync(path);
  if (created) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, `${generateKeyringEntry()}\n`, { mode: 0o600, flag: "wx" });
  }
  return { keyring: parseKeyring(readFileSync(path, "utf8")), path, created };
}
