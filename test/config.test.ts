import { describe, expect, it } from "vitest";
import { configWarnings, loadConfig } from "../src/config.js";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateDevKeyring } from "../src/vault/dev-keyring.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";

const token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012";
/** What production needs, with the Redis on this machine. */
const productionOnThisMachine = () => ({
  BOT_TOKEN: token,
  NODE_ENV: "production",
  SEAL_KEYS: generateKeyringEntry(),
  REDIS_URL: "redis://127.0.0.1:6379",
});

describe("configuration", () => {
  it("takes COPY_START_TEXT as one line of the confirmation, and refuses one too long to read", () => {
    expect(
      loadConfig({ BOT_TOKEN: token, COPY_START_TEXT: "  Copying starts at the next full hour. " }).copyStartText,
    ).toBe("Copying starts at the next full hour.");
    expect(() => loadConfig({ BOT_TOKEN: token, COPY_START_TEXT: "x".repeat(301) })).toThrow(/COPY_START_TEXT/);
  });

  it("needs only the bot token, with documented defaults", () => {
    const config = loadConfig({ BOT_TOKEN: token });
    expect(config).toMatchObject({
      production: false,
      redis: undefined,
      keyring: undefined,
      telegramApiRoot: "https://api.telegram.org",
      exchanges: {
        bybit: { baseUrl: "https://api.bybit.com", siteUrls: {}, timeoutMs: 10_000, requestsPer5s: 300 },
      },
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
      copyStartText: null,
    });
  });

  it("holds a reminder's claim for 20 job locks unless told, and never for less than one", () => {
    expect(loadConfig({ BOT_TOKEN: token })).toMatchObject({ reminderLockSeconds: 30, reminderLeaseSeconds: 600 });
    expect(loadConfig({ BOT_TOKEN: token, REMINDER_LOCK_SECONDS: "2", REMINDER_LEASE_SECONDS: "90" })).toMatchObject({
      reminderLockSeconds: 2,
      reminderLeaseSeconds: 90,
    });
    expect(() => loadConfig({ BOT_TOKEN: token, REMINDER_LEASE_SECONDS: "10" })).toThrow(
      /REMINDER_LEASE_SECONDS: must be at least REMINDER_LOCK_SECONDS/,
    );
  });

  it("takes SUPPORT_CONTACT as a Telegram username or an https URL, and nothing else", () => {
    for (const good of ["@copytrade_help", "https://help.example.com/panic?lang=en"]) {
      expect(loadConfig({ BOT_TOKEN: token, SUPPORT_CONTACT: good }).supportContact).toBe(good);
    }
    for (const bad of [
      "copytrade_help",
      "@help_",
      "@abc",
      "http://help.example.com",
      "https://x",
      `https://example.com/${"a".repeat(200)}`,
    ]) {
      expect(() => loadConfig({ BOT_TOKEN: token, SUPPORT_CONTACT: bad }), bad).toThrow("SUPPORT_CONTACT:");
    }
  });

  it("switches to webhook mode only with an https URL and a secret token", () => {
    expect(loadConfig({ BOT_TOKEN: token }).webhook).toBeNull();
    expect(
      loadConfig({
        BOT_TOKEN: token,
        WEBHOOK_URL: "https://bot.example.com/tg/hook",
        WEBHOOK_SECRET: "s3cret-token-0123456789",
      }).webhook,
    ).toEqual({
      url: "https://bot.example.com/tg/hook",
      secret: "s3cret-token-0123456789",
      maxConnections: 40,
    });
    expect(() => loadConfig({ BOT_TOKEN: token, WEBHOOK_URL: "https://bot.example.com/tg/hook" })).toThrow(
      /WEBHOOK_SECRET: is required with WEBHOOK_URL/,
    );
    expect(() =>
      loadConfig({
        BOT_TOKEN: token,
        WEBHOOK_URL: "http://bot.example.com/hook",
        WEBHOOK_SECRET: "s3cret-token-0123456789",
      }),
    ).toThrow(/WEBHOOK_URL: must be https/);
    expect(() =>
      loadConfig({ BOT_TOKEN: token, WEBHOOK_URL: "https://bot.example.com/hook", WEBHOOK_SECRET: "short" }),
    ).toThrow(/WEBHOOK_SECRET: must be 16 to 256/);
    expect(() =>
      loadConfig({
        BOT_TOKEN: token,
        WEBHOOK_URL: "https://bot.example.com:8080/hook",
        WEBHOOK_SECRET: "s3cret-token-0123456789",
      }),
    ).toThrow(/port 443, 80, 88 or 8443/);
    expect(() => loadConfig({ BOT_TOKEN: token, WEBHOOK_SECRET: "s3cret-token-0123456789" })).toThrow(
      /WEBHOOK_URL: is required with WEBHOOK_SECRET/,
    );
  });

  it("names every bad variable in one line", () => {
    expect(() => loadConfig({ BOT_TOKEN: "nope", REDIS_URL: "http://x", EGRESS_IPS: "1.2.3.4,not-an-ip" })).toThrow(
      'Invalid configuration. BOT_TOKEN: is not a whole bot token: digits, a colon, then 20 or more letters, digits, _ or - (@BotFather: /mybots, API Token); REDIS_URL: must be a redis:// or rediss:// URL; EGRESS_IPS: "not-an-ip" is not an IP address',
    );
    expect(() => loadConfig({})).toThrow("BOT_TOKEN: is required");
  });

  it("refuses to start in production without SEAL_KEYS or REDIS_URL, and says how to make one", () => {
    expect(() => loadConfig({ BOT_TOKEN: token, NODE_ENV: "production" })).toThrow(
      "SEAL_KEYS: is required in production (run `npm run keygen`); REDIS_URL: is required in production, or REDIS_CLUSTER_NODES (a local redis-server is for development only)",
    );
    const production = {
      BOT_TOKEN: token,
      NODE_ENV: "production",
      SEAL_KEYS: generateKeyringEntry(),
      REDIS_URL: "rediss://redis.internal:6380",
    };
    expect(loadConfig(production).keyring?.byId.size).toBe(1);
  });

  it("takes a Redis Cluster as host:port seeds, never together with REDIS_URL, and warns of plain traffic to other hosts", () => {
    const production = { BOT_TOKEN: token, NODE_ENV: "production", SEAL_KEYS: generateKeyringEntry() };
    const cluster = loadConfig({
      ...production,
      REDIS_CLUSTER_NODES: "redis-1.internal:6379, 10.0.0.2:7000",
      REDIS_CLUSTER_PASSWORD: "pw",
    });
    expect(cluster.redis).toEqual({
      clusterNodes: ["redis-1.internal:6379", "10.0.0.2:7000"],
      password: "pw",
      tls: false,
    });
    expect(configWarnings(cluster)).toEqual([
      expect.stringContaining("REDIS_CLUSTER_TLS is false and the cluster is on other hosts"),
    ]);
    expect(
      configWarnings(
        loadConfig({ ...production, REDIS_CLUSTER_NODES: "redis-1.internal:6379", REDIS_CLUSTER_TLS: "true" }),
      ),
    ).toEqual([]);
    expect(() =>
      loadConfig({
        ...production,
        REDIS_CLUSTER_NODES: "redis-1.internal:6379",
        REDIS_URL: "rediss://redis.internal:6380",
      }),
    ).toThrow(
      "REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both",
    );
    expect(() => loadConfig({ ...production, REDIS_CLUSTER_NODES: "redis://redis-1:6379" })).toThrow(
      'REDIS_CLUSTER_NODES: "redis://redis-1:6379" is not host:port',
    );
    expect(() => loadConfig({ ...production, REDIS_CLUSTER_NODES: "redis-1:6379", REDIS_CLUSTER_TLS: "yes" })).toThrow(
      "REDIS_CLUSTER_TLS: must be true or false",
    );
  });

  it("reads BYBIT_SITES as hosts for regional sites, and refuses what it cannot use", () => {
    const sites = loadConfig({ BOT_TOKEN: token, BYBIT_SITES: "tr=https://tr.example.com/, eu=http://127.0.0.1:9" });
    expect(sites.exchanges.bybit.siteUrls).toEqual({ tr: "https://tr.example.com", eu: "http://127.0.0.1:9" });
    expect(() => loadConfig({ BOT_TOKEN: token, BYBIT_SITES: "xx=https://a.example.com" })).toThrow(
      'BYBIT_SITES: "xx" is not a regional site (nl, tr, kz, ge, ae, eu, id, jp)',
    );
    expect(() => loadConfig({ BOT_TOKEN: token, BYBIT_SITES: "global=https://a.example.com" })).toThrow(
      /"global" is not a regional site/,
    );
    expect(() => loadConfig({ BOT_TOKEN: token, BYBIT_SITES: "tr" })).toThrow(
      "BYBIT_SITES: tr: give a plain http(s) URL",
    );
    const production = productionOnThisMachine();
    expect(() => loadConfig({ ...production, BYBIT_SITES: "tr=http://tr.example.com" })).toThrow(
      "BYBIT_SITES: must be https:// in production",
    );
  });

  it("refuses one host for two Bybit sites: a key that host knows would be two keys, held and denied apart", () => {
    for (const [env, shared] of [
      [{ BYBIT_SITES: "nl=https://api.bybit.com/" }, "global, nl"],
      [{ BYBIT_BASE_URL: "http://127.0.0.1:9", BYBIT_SITES: "tr=http://127.0.0.1:9" }, "global, tr"],
      [{ BYBIT_SITES: "tr=https://bybit.example.com,kz=https://BYBIT.example.com" }, "tr, kz"],
      [{ BYBIT_SITES: "eu=https://api.bybit.nl" }, "nl, eu"],
    ] as const)
      expect(() => loadConfig({ BOT_TOKEN: token, ...env }), shared).toThrow(`BYBIT_SITES: sites ${shared} share`);
  });

  it("takes only https endpoints in production, except on this machine", () => {
    const production = productionOnThisMachine();
    for (const name of ["TELEGRAM_API_ROOT", "BYBIT_BASE_URL"]) {
      expect(() => loadConfig({ ...production, [name]: "http://api.example.com" }), name).toThrow(
        `${name}: must be https:// in production`,
      );
      for (const local of [
        "http://127.0.0.1:8081",
        "http://localhost:8081",
        "http://[::1]:8081",
        "https://api.example.com",
      ]) {
        expect(() => loadConfig({ ...production, [name]: local }), `${name}=${local}`).not.toThrow();
      }
    }
    for (const garbled of [
      "https://api.bybit.com?x=1",
      "https://api.bybit.com/#frag",
      "https://user:pw@api.bybit.com",
    ]) {
      expect(() => loadConfig({ ...production, BYBIT_BASE_URL: garbled }), garbled).toThrow(
        "BYBIT_BASE_URL: must be a plain base URL",
      );
    }
    // Outside production, a plain-HTTP mirror is fine.
    expect(loadConfig({ BOT_TOKEN: token, TELEGRAM_API_ROOT: "http://api.example.com" }).telegramApiRoot).toBe(
      "http://api.example.com",
    );
  });

  it("refuses keyring entries that are not 32 real bytes, each its own", () => {
    const good = generateKeyringEntry();
    const material = good.slice(good.indexOf(":") + 1);
    const cases: [string, string][] = [
      [`k1:${Buffer.alloc(32).toString("base64")}`, 'key "k1" is all zeros'],
      [`k1:${material.slice(0, 10)}!${material.slice(10)}`, 'key "k1" must be exactly 32 bytes of standard base64'],
      [`k1:${material.replace("=", "")}`, 'key "k1" must be exactly 32 bytes of standard base64'],
      [`k1:${material},k2:${material}`, 'keys "k1" and "k2" hold the same key material'],
    ];
    for (const [keyring, problem] of cases) {
      expect(() => loadConfig({ BOT_TOKEN: token, SEAL_KEYS: keyring }), problem).toThrow(problem);
    }
  });

  it("reports a bad keyring without echoing it", () => {
    const secretLooking = "k1:c2VjcmV0LWtleS1tYXRlcmlhbA==";
    let message = "";
    try {
      loadConfig({ BOT_TOKEN: token, SEAL_KEYS: secretLooking });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SEAL_KEYS: key "k1" must be exactly 32 bytes of standard base64');
    expect(message).not.toContain("c2VjcmV0");
  });

  it("refuses a development keyring file others can read, with the chmod to run", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dev-keyring-"));
    try {
      expect(loadOrCreateDevKeyring(dataDir).created).toBe(true);
      const path = join(dataDir, "dev-seal-keys");
      chmodSync(path, 0o644);
      expect(() => loadOrCreateDevKeyring(dataDir)).toThrow(
        `${path} can be read by others (mode 644): run \`chmod 600 ${path}\``,
      );
      chmodSync(path, 0o600);
      writeFileSync(path, `${generateKeyringEntry()}\n`);
      expect(loadOrCreateDevKeyring(dataDir).created).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("treats empty values as unset and trims URLs", () => {
    const config = loadConfig({
      BOT_TOKEN: token,
      REDIS_URL: "",
      SEAL_KEYS: "",
      TELEGRAM_API_ROOT: "http://127.0.0.1:8081/",
    });
    expect(config.redis).toBeUndefined();
    expect(config.keyring).toBeUndefined();
    expect(config.telegramApiRoot).toBe("http://127.0.0.1:8081");
  });
});
