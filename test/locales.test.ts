import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOCALE, i18n, LOCALE_FILES, LOCALES_DIR } from "../src/bot/i18n.js";

/** Each message of a Fluent file, with the variables it uses (`{ $name }`, selectors included). */
function messagesOf(source: string): Map<string, Set<string>> {
  const messages = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of source.split("\n")) {
    const start = /^([a-zA-Z][\w-]*)\s*=(.*)$/.exec(line);
    if (start) messages.set(start[1]!, (current = new Set()));
    else if (!/^\s/.test(line)) current = undefined;
    const body = start ? start[2]! : line;
    if (current) for (const [, name] of body.matchAll(/\{\s*\$([\w-]+)/g)) current.add(name!);
  }
  return messages;
}

/** What a locale lacks or gets wrong against English: missing or extra messages, and placeholders that differ. */
function differences(english: string, other: string): string[] {
  const [base, target] = [messagesOf(english), messagesOf(other)];
  const found: string[] = [];
  for (const [id, variables] of base) {
    const theirs = target.get(id);
    if (!theirs) found.push(`missing: ${id}`);
    else if ([...variables].sort().join() !== [...theirs].sort().join())
      found.push(`placeholders of ${id}: ${[...theirs].sort().join()} instead of ${[...variables].sort().join()}`);
  }
  for (const id of target.keys()) if (!base.has(id)) found.push(`not in English: ${id}`);
  return found;
}

const read = (locale: string) => readFileSync(join(LOCALES_DIR, `${locale}.ftl`), "utf8");

describe("locale files", () => {
  it("are English and Russian, both loaded", () => {
    expect(LOCALE_FILES.sort()).toEqual(["en", "ru"]);
    expect(i18n.locales.sort()).toEqual(["en", "ru"]);
  });

  for (const locale of LOCALE_FILES.filter((locale) => locale !== DEFAULT_LOCALE)) {
    it(`${locale}: has every English message, with the same placeholders`, () => {
      expect(differences(read(DEFAULT_LOCALE), read(locale))).toEqual([]);
    });
  }

  it("the check finds a message missing, a placeholder missing or renamed, and a stray message", () => {
    const english = read(DEFAULT_LOCALE);
    const broken = read("ru")
      .replace(/^help =[^\n]*\n(?:\s+[^\n]*\n)*/m, "")
      .replace(
        "slow-down = Вы отправляете сообщения быстрее, чем я успеваю отвечать, поэтому следующие я пропущу примерно { $seconds } с.",
        "slow-down = Слишком быстро.",
      )
      .replace(
        "key-label = «{ $name }» (<code>{ $masked }</code>)",
        "key-label = «{ $nam }» (<code>{ $masked }</code>)",
      )
      .concat("\nextra-message = лишнее\n");
    expect(differences(english, broken)).toEqual([
      "placeholders of key-label: masked,nam instead of masked,name",
      "missing: help",
      "placeholders of slow-down:  instead of seconds",
      "not in English: extra-message",
    ]);
  });

  it("every message renders in every locale without an error marker", () => {
    for (const locale of LOCALE_FILES) {
      for (const [id, variables] of messagesOf(read(locale))) {
        const text = i18n.t(
          locale,
          id,
          Object.fromEntries([...variables].map((name) => [name, name === "days" || name === "count" ? 2 : "x"])),
        );
        expect(text, `${locale}: ${id}`).not.toMatch(/\{\$|\{[\w-]+\}|undefined/);
      }
    }
  });
});

describe("the English a follower reads", () => {
  it("says replace, not rotate (the /rotate command aside)", () => {
    const values = read("en")
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      // Placeables ({ $rotate }) and the command are not words a follower reads.
      .map((line) =>
        line
          .replace(/^[a-z0-9-]+ = /, "")
          .replace(/\{[^}]*\}/g, "")
          .replace(/\/rotate\b/g, ""),
      );
    // Before the fix: "Day 80: rotate" and "Rotate on …" in the Mini App, "Rotate your API keys" after /panic.
    expect(values.filter((line) => /rotat/i.test(line))).toEqual([]);
  });
});
