// Prints a fresh SEAL_KEYS entry. To rotate, put the new entry first and keep the old ones after it.
import { generateKeyringEntry } from "../src/vault/keyring.js";

process.stdout.write(`${generateKeyringEntry()}\n`);
