import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, SETTING_NAMES } from "../src/config.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";

const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
const compose = readFileSync(new URL("../docker-compose.yml", import.meta.url), "utf8");

/** The `NAME=value` lines of .env.example, as a shell (or compose) reads them. */
const entries = Object.fromEntries(
  example
    .split("\n")
    .filter((line) => /^[A-Z0-9_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
);

describe("the settings files", () => {
  it("list every setting the service reads: .env.example, and compose passes each by name", () => {
    for (const name of SETTING_NAMES) {
      expect(entries, `${name} in .env.example`).toHaveProperty(name);
      expect(compose, `${name} in docker-compose.yml`).toMatch(new RegExp(`^ +${name}: `, "m"));
    }
    // Nothing there the service would silently ignore (REDIS_PASSWORD is compose's own).
    const unknown = Object.keys(entries).filter((name) => !SETTING_NAMES.includes(name) && name !== "REDIS_PASSWORD");
    expect(unknown).toEqual([]);
  });

  it("hold values the service accepts once the required ones are filled in, in development and in production", () => {
    const filled = {
      ...entries,
      BOT_TOKEN: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
      SEAL_KEYS: generateKeyringEntry(),
    };
    expect(() => loadConfig(filled)).not.toThrow();
    const production = { ...filled, NODE_ENV: "production", REDIS_URL: "redis://:secret0password@redis:6379" };
    expect(loadConfig(production).production).toBe(true);
  });
});
