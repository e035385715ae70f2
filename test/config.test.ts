import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";

const token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012";

describe("configuration", () => {
  it("needs only the bot token, with documented defaults", () => {
    const config = loadConfig({ BOT_TOKEN: token });
    expect(config).toMatchObject({
      production: false,
      redisUrl: undefined,
      keyring: undefined,
      telegramApiRoot: "https://api.telegram.org",
      bybitBaseUrl: "https://api.bybit.com",
      egressIps: [],
      rotateAfterDays: 80,
      keyMaxAgeDays: 90,
      queuePrefix: "{reminders}",
      orderLinkIdPrefix: "copytrade-",
      role: "all",
      logLevel: "info",
      dataDir: ".data",
      keyPairPoolSize: 256,
      supportContact: null,
    });
  });

  it("takes SUPPORT_CONTACT as a Telegram username or an https URL, and nothing else", () => {
    for (const good of ["@copytrade_help", "https://help.example.com/panic?lang=en"]) {
      expect(loadConfig({ BOT_TOKEN: token, SUPPORT_CONTACT: good }).supportContact).toBe(good);
    }
    for (const bad of ["copytrade_help", "@help_", "@abc", "http://help.example.com", "https://x", `https://example.com/${"a".repeat(200)}`]) {
      expect(() => loadConfig({ BOT_TOKEN: token, SUPPORT_CONTACT: bad }), bad).toThrow("SUPPORT_CONTACT:");
    }
  });

  it("names every bad variable in one line", () => {
    expect(() => loadConfig({ BOT_TOKEN: "nope", REDIS_URL: "http://x", EGRESS_IPS: "1.2.3.4,not-an-ip" })).toThrow(
      'Invalid configuration. BOT_TOKEN: does not look like a bot token (digits, a colon, then letters); REDIS_URL: must be a redis:// or rediss:// URL; EGRESS_IPS: "not-an-ip" is not an IP address',
    );
    expect(() => loadConfig({})).toThrow("BOT_TOKEN: is required");
  });

  it("refuses to start in production without SEAL_KEYS, and says how to make one", () => {
    expect(() => loadConfig({ BOT_TOKEN: token, NODE_ENV: "production" })).toThrow("SEAL_KEYS: is required in production (run `npm run keygen`)");
    expect(loadConfig({ BOT_TOKEN: token, NODE_ENV: "production", SEAL_KEYS: generateKeyringEntry() }).keyring?.byId.size).toBe(1);
  });

  it("reports a bad keyring without echoing it", () => {
    const secretLooking = "k1:c2VjcmV0LWtleS1tYXRlcmlhbA==";
    let message = "";
    try {
      loadConfig({ BOT_TOKEN: token, SEAL_KEYS: secretLooking });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SEAL_KEYS: key "k1" must be 32 bytes of base64');
    expect(message).not.toContain("c2VjcmV0");
  });

  it("treats empty values as unset and trims URLs", () => {
    const config = loadConfig({ BOT_TOKEN: token, REDIS_URL: "", SEAL_KEYS: "", TELEGRAM_API_ROOT: "http://127.0.0.1:8081/" });
    expect(config.redisUrl).toBeUndefined();
    expect(config.keyring).toBeUndefined();
    expect(config.telegramApiRoot).toBe("http://127.0.0.1:8081");
  });
});
