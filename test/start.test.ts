import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeBybit } from "./support/fake-bybit.js";
import { FakeTelegram, type FakeUser } from "./support/fake-telegram.js";

const token = "555000111:AAstart-test-token-0123456789abcd";
const telegram = new FakeTelegram(token);
const bybit = new FakeBybit();
afterEach(() => Promise.all([telegram.stop(), bybit.stop()]));

describe("npm start", () => {
  it("runs with embedded defaults: its own redis-server, a development keyring, and a failing command menu", async () => {
    const [apiRoot, bybitUrl] = await Promise.all([telegram.start(), bybit.start()]);
    telegram.breakMethod("setMyCommands");
    const dataDir = mkdtempSync(join(tmpdir(), "keys-bot-"));
    const { REDIS_URL: _redis, SEAL_KEYS: _keys, NODE_ENV: _env, ...environment } = process.env;
    const bot = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        ...environment,
        BOT_TOKEN: token,
        TELEGRAM_API_ROOT: apiRoot,
        BYBIT_BASE_URL: bybitUrl,
        DATA_DIR: dataDir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    bot.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    bot.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => bot.once("exit", resolve));

    try {
      await telegram.waitForCall((call) => call.method === "getUpdates", 15_000, "the bot to poll");
      const follower: FakeUser = { id: 31_337, is_bot: false, first_name: "New" };
      telegram.sendText(follower, "/start");
      expect(String((await telegram.nextBotMessage(follower.id, 5000)).payload.text)).toContain(
        "I connect your Bybit account to the copy-trading service",
      );
    } finally {
      bot.kill("SIGTERM");
    }
    expect(await exited).toBe(0);

    try {
      const keyring = join(dataDir, "dev-seal-keys");
      expect(statSync(keyring).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dataDir, "redis", "appendonlydir"))).toBe(true);
      expect(output).toContain("SEAL_KEYS is not set: using the development keyring file");
      // Retried in the background, and said at once.
      expect(output).toMatch(/"method":"setMyCommands","code":500,"msg":"Bot API call failed; retrying"/);
      expect(output).toContain("bot is running");
      expect(output).not.toContain(token);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
