import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";

const token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012";
const oauth = {
  BOT_TOKEN: token,
  PUBLIC_URL: "https://keys.example.com/",
  BYBIT_OAUTH_CLIENT_ID: "app-123",
  BYBIT_OAUTH_CLIENT_SECRET: "client-secret-value",
  EGRESS_IPS: "203.0.113.7",
};

describe("the web settings", () => {
  it("are off without PUBLIC_URL and the OAuth client id: nothing of them shows", () => {
    expect(loadConfig({ BOT_TOKEN: token })).toMatchObject({ publicUrl: null, oauth: null });
  });

  it("take PUBLIC_URL without its trailing slash, and OAuth with Bybit's documented defaults", () => {
    expect(loadConfig(oauth)).toMatchObject({
      publicUrl: "https://keys.example.com",
      oauth: {
        clientId: "app-123",
        clientSecret: "client-secret-value",
        authorizeUrl: "https://www.bybit.com/en/oauth",
        apiRoot: "https://api2.bybit.com",
      },
    });
  });

  it("refuse PUBLIC_URL over plain http to another host, with a query, or with a user name", () => {
    expect(() => loadConfig({ BOT_TOKEN: token, PUBLIC_URL: "http://keys.example.com" })).toThrow(
      /PUBLIC_URL: must be https:\/\//,
    );
    expect(() => loadConfig({ BOT_TOKEN: token, PUBLIC_URL: "https://keys.example.com/?a=1" })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ BOT_TOKEN: token, PUBLIC_URL: "https://u:p@keys.example.com" })).toThrow(/PUBLIC_URL/);
    expect(loadConfig({ BOT_TOKEN: token, PUBLIC_URL: "http://127.0.0.1:8080" }).publicUrl).toBe(
      "http://127.0.0.1:8080",
    );
  });

  it("refuse to start OAuth without its secret, PUBLIC_URL or the whitelisted EGRESS_IPS, naming each", () => {
    const { EGRESS_IPS: _ips, ...noIps } = oauth;
    expect(() => loadConfig(noIps)).toThrow(/EGRESS_IPS: is required with BYBIT_OAUTH_CLIENT_ID/);
    const { PUBLIC_URL: _url, ...noUrl } = oauth;
    expect(() => loadConfig(noUrl)).toThrow(/PUBLIC_URL: is required with BYBIT_OAUTH_CLIENT_ID/);
    const { BYBIT_OAUTH_CLIENT_SECRET: _secret, ...noSecret } = oauth;
    expect(() => loadConfig(noSecret)).toThrow(/BYBIT_OAUTH_CLIENT_SECRET: is required/);
    const { BYBIT_OAUTH_CLIENT_ID: _id, ...noId } = oauth;
    expect(() => loadConfig(noId)).toThrow(/BYBIT_OAUTH_CLIENT_ID: is required with BYBIT_OAUTH_CLIENT_SECRET/);
  });

  it("refuse http:// OAuth endpoints in production", () => {
    const production = {
      ...oauth,
      NODE_ENV: "production",
      SEAL_KEYS: generateKeyringEntry(),
      REDIS_URL: "redis://127.0.0.1:6379",
      BYBIT_OAUTH_API_ROOT: "http://oauth.example.com",
    };
    expect(() => loadConfig(production)).toThrow(/BYBIT_OAUTH_API_ROOT: must be https:\/\/ in production/);
    expect(loadConfig({ ...production, BYBIT_OAUTH_API_ROOT: "https://api2.bybit.com" }).production).toBe(true);
  });
});
