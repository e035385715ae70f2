import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { looksLikeChatter, parseCredentialText } from "../src/policy/credential-format.js";
import { containsCredentialLike } from "../src/policy/credential-guard.js";
import { normalisePublicKey } from "../src/policy/key-material.js";
import { randomAlphanumeric } from "./support/canaries.js";

const KEY = "AbCdEfGhIjKlMnOpQr"; // 18 letters, no digit: about 1 real key in 24 looks like this
const SECRET = "x7Kq2Lm9Np4Rs6Tv8Wy1Za3Bc5De7Fg9Hj0K";

describe("reading a paste at a credential step", () => {
  it.each([
    ["key and secret separated by a space", `${KEY} ${SECRET}`],
    ["on separate lines", `${KEY}\n${SECRET}`],
    ["secret first", `${SECRET}\n${KEY}`],
    ["with a comma", `${KEY},${SECRET}`],
    ["quoted, with a comma", `"${KEY}", "${SECRET}"`],
    ["labelled, as copied from Bybit's confirmation", `API Key: ${KEY}\nAPI Secret: ${SECRET}`],
    ["labelled on their own lines", `API Key\n${KEY}\nSecret Key\n${SECRET}`],
    ["labelled the other way round", `Secret: ${SECRET} Key: ${KEY}`],
    ["as query parameters", `apiKey=${KEY}&apiSecret=${SECRET}`],
    ["as JSON", JSON.stringify({ apiKey: KEY, apiSecret: SECRET })],
    ["as snake_case JSON", JSON.stringify({ api_key: KEY, api_secret: SECRET })],
    ["from a password manager", `Username: ${KEY} / Password: ${SECRET}`],
    ["with Spanish labels", `Clave API: ${KEY}\nClave secreta: ${SECRET}`],
    ["with words around them", `${KEY} and ${SECRET} thanks!`],
    [
      "with zero-width spaces and soft hyphens copied along",
      `${KEY.slice(0, 9)}\u200B${KEY.slice(9)}\u00AD ${SECRET}\uFEFF`,
    ],
  ])("takes a pair %s", (_, text) => {
    expect(parseCredentialText(text)).toEqual({ kind: "pair", apiKey: KEY, apiSecret: SECRET });
  });

  it.each([
    ["a key alone", KEY, { kind: "key", apiKey: KEY }],
    ["a labelled key", `my API key is ${KEY}`, { kind: "key", apiKey: KEY }],
    ["a key with a word before", `ok ${KEY}`, { kind: "key", apiKey: KEY }],
    ["a key with a signature line", `${KEY}\n\nSent from my iPhone`, { kind: "key", apiKey: KEY }],
    ["a key labelled with an id", `Key ID: ${KEY}`, { kind: "key", apiKey: KEY }],
    ["a secret alone", SECRET, { kind: "secret", apiSecret: SECRET }],
    ["a sentence", "where do I find the key?", { kind: "sentence" }],
    ["a short token", "abc123", { kind: "unrecognised" }],
    ["two keys", `${KEY} ${KEY.toLowerCase()}`, { kind: "unrecognised" }],
    ["two secrets", `${SECRET} ${SECRET.toUpperCase()}`, { kind: "unrecognised" }],
  ])("reads %s", (_, text, expected) => {
    expect(parseCredentialText(text)).toEqual(expected);
  });

  it("recognises key material: a private key (PEM or bare PKCS#8) and a public key", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(parseCredentialText(privatePem)).toEqual({ kind: "private-key" });
    expect(parseCredentialText(privatePem.replace(/-----[A-Z ]+-----|\n/g, ""))).toEqual({ kind: "private-key" });
    expect(parseCredentialText(privateKey.export({ type: "pkcs1", format: "pem" }).toString())).toEqual({
      kind: "private-key",
    });
    expect(parseCredentialText(publicPem)).toEqual({ kind: "public-key" });
    expect(parseCredentialText(publicPem.replace(/-----[A-Z ]+-----|\n/g, ""))).toEqual({ kind: "public-key" });
    // A public key is public: where keys must not be, it is left alone.
    expect(containsCredentialLike(publicPem)).toBe(false);
    expect(containsCredentialLike(publicPem.replace(/\n/g, " "))).toBe(false);
  });

  it("takes every key and secret drawn from letters and digits: no character class is required", () => {
    const lettersOnly = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let index = 0; index < 1000; index += 1) {
      const apiKey = index < 50 ? randomFrom(lettersOnly, 18) : randomAlphanumeric(18);
      const apiSecret = index < 50 ? randomFrom(lettersOnly, 36) : randomAlphanumeric(36);
      expect(parseCredentialText(apiKey)).toEqual({ kind: "key", apiKey });
      expect(parseCredentialText(apiSecret)).toEqual({ kind: "secret", apiSecret });
      expect(parseCredentialText(`${apiKey} ${apiSecret}`)).toEqual({ kind: "pair", apiKey, apiSecret });
    }
    expect(parseCredentialText("123456789012345678")).toEqual({ kind: "key", apiKey: "123456789012345678" });
  });
});

const randomFrom = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");

describe("spotting a credential where none belongs (groups, loose messages)", () => {
  const figures: string[] = [];
  afterAll(() => process.stdout.write(`${figures.join("\n")}\n`));

  it("leaves ordinary chat alone: long words, links, hashes, tickers, wallet addresses", () => {
    const messages = readFileSync(new URL("./fixtures/ordinary-messages.txt", import.meta.url), "utf8")
      .split("\n")
      .filter(Boolean);
    expect(messages.length).toBeGreaterThanOrEqual(400);
    const flagged = messages.filter(containsCredentialLike);
    figures.push(`credential test, false positives: ${flagged.length} of ${messages.length} ordinary messages`);
    expect(flagged).toEqual([]);
  });

  it("flags keys and secrets as Bybit draws them, pasted alone, labelled or in a sentence", () => {
    const draws = 20_000;
    let missedKeys = 0;
    let missedSecrets = 0;
    for (let index = 0; index < draws; index += 1) {
      if (!containsCredentialLike(randomAlphanumeric(18))) missedKeys += 1;
      if (!containsCredentialLike(randomAlphanumeric(36))) missedSecrets += 1;
    }
    figures.push(
      `credential test, missed outside a flow: ${missedKeys} of ${draws} random keys, ${missedSecrets} of ${draws} random secrets`,
    );
    expect(missedKeys / draws).toBeLessThan(0.002);
    expect(missedSecrets).toBe(0);
    for (const text of [`API Key: ${KEY}`, `here is mine ${SECRET} lol`, `apiKey=${KEY.toLowerCase()}1`])
      expect(containsCredentialLike(text), text).toBe(true);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(containsCredentialLike(privateKey.export({ type: "pkcs8", format: "pem" }).toString())).toBe(true);
    // A public key alone is no secret; a secret pasted beside one still is.
    const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(containsCredentialLike(publicPem)).toBe(false);
    expect(containsCredentialLike(`${publicPem}\n${SECRET}`)).toBe(true);
    expect(containsCredentialLike(`${publicPem.replace(/\n/g, " ")} ${KEY} ${SECRET}`)).toBe(true);
  });

  it("takes time in proportion to the text, whatever the text (a regular expression that backtracked took 25 s)", () => {
    const hostile = [
      "@".repeat(4096),
      "a.".repeat(2048),
      "a@b.".repeat(1024),
      "x@y".repeat(1365),
      `${"a.".repeat(2047)}/`,
      "a".repeat(4096),
      "http://".repeat(585),
    ];
    for (const text of hostile) {
      const started = performance.now();
      containsCredentialLike(text);
      // Measured at a few ms each; the bound only tells linear from the seconds of a backtracking pattern.
      expect(performance.now() - started, text.slice(0, 12)).toBeLessThan(250);
    }
  });
});

describe("one spelling of a public key", () => {
  it("reads PEM, bare base64 and PKCS#1 alike, and nothing else", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const spkiPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const expected = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    expect(normalisePublicKey(spkiPem)).toBe(expected);
    expect(normalisePublicKey(spkiPem.replace(/-----[A-Z ]+-----/g, ""))).toBe(expected);
    expect(normalisePublicKey(publicKey.export({ type: "pkcs1", format: "pem" }).toString())).toBe(expected);
    expect(normalisePublicKey(publicKey.export({ type: "pkcs1", format: "der" }).toString("base64"))).toBe(expected);
    const body = spkiPem.replace(/-----[A-Z ]+-----/g, "").replace(/\n/g, "");
    expect(normalisePublicKey(spkiPem.replace(/\n/g, " "))).toBe(expected);
    expect(normalisePublicKey(spkiPem.replace(/\n/g, "\\n"))).toBe(expected);
    expect(normalisePublicKey(`-----BEGIN RSA PUBLIC KEY-----\n${body}`)).toBe(expected);
    expect(normalisePublicKey("not a key")).toBeNull();
    expect(normalisePublicKey("")).toBeNull();
  });
});

describe("telling chatter from a paste at a credential step", () => {
  it("keeps plain words in any script as chatter, and anything that could be key material as a paste", () => {
    const questions = ["Where is the API key?", "I turned on 2FA, now what?", "what is a self-generated key?"];
    for (const chatter of [
      "hi, how do I start copying?",
      "OK thanks, where is the USDT balance",
      "Привет, как начать копировать?",
      "what is Bybit",
      ...questions,
    ]) {
      expect(looksLikeChatter(chatter), chatter).toBe(true);
    }
    // A key of letters only, split across lines or spaces, mixed case inside: deleted as a paste would be.
    // A label word or 2FA among too few words, a digit elsewhere, or a value after a label: deleted too.
    const labelled = [
      "where is key",
      "2FA on",
      "my API key is abcdefghijklm",
      "I turned on 2FA 123456",
      "the secret is xyzwvutsrqpo ok",
      "my key is abc",
    ];
    for (const paste of [
      "xKqBtRwLa\nPmZvHcYdN",
      "XkqbtRwla pmZvhcYdn",
      "my key CK7jlnsD6tix6xm6OD",
      "hello world 42",
      "secret please",
      ...labelled,
    ]) {
      expect(looksLikeChatter(paste), paste).toBe(false);
    }
  });
});
