import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
  // Anyone else who can read this file can open every stored key.
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${path} can be read by others (mode ${mode.toString(8)}): run \`chmod 600 ${path}\`, then start again`,
    );
  }
  return { keyring: parseKeyring(readFileSync(path, "utf8")), path, created };
}
