// Try the bot in a terminal, with no Telegram account and no Bybit key: starts the local Bot API
// and Bybit fakes the tests use, runs `src/main.ts` against them (with its own Redis and keyring
// in the data folder, .data/sandbox) and lets you chat as a follower, in private and in a group.
// Each run starts fresh, as the fakes do: the data folder is wiped first, unless `--keep`.
// `!help` lists the sandbox commands (scripts/sandbox/commands.ts).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { SETTING_NAMES } from "../src/config.js";
import { randomBytes } from "node:crypto";
import { OAUTH_CALLBACK_PATH } from "../src/bot/web/connect-with-bybit.js";
import { freePort } from "../src/infra/local-redis.js";
import { startBybitSites } from "../test/support/bybit-sites.js";
import { FakeBybitOAuth } from "../test/support/fake-bybit-oauth.js";
import { FakeTelegram, type FakeChat, type FakeUser } from "../test/support/fake-telegram.js";
import { Commands, HELP } from "./sandbox/commands.js";
import { pageAddress } from "./sandbox/page.js";
import { SampleKeys } from "./sandbox/keys.js";
import { Transcript } from "./sandbox/transcript.js";

const USAGE = "usage: npm run sandbox [-- --keep] [-- --oauth] [-- --data-dir <folder>]";
const root = fileURLToPath(new URL("..", import.meta.url));
const out = (text: string) => process.stdout.write(`${text}\n`);

function parseArgs(args: string[]): { keep: boolean; oauth: boolean; dataDir: string } {
  let keep = false;
  let oauth = false;
  let dataDir = join(root, ".data", "sandbox");
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === "--keep") keep = true;
    else if (args[i] === "--oauth") oauth = true;
    else if (args[i] === "--data-dir" && args[i + 1]) dataDir = resolve(args[(i += 1)]!);
    else {
      out(args[i] === "--help" ? USAGE : `unknown option “${args[i]}”; ${USAGE}`);
      process.exit(args[i] === "--help" ? 0 : 2);
    }
  }
  return { keep, oauth, dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir) };
}

/** A folder the sandbox made carries this file; only such a folder (or the default one, or an empty one) is wiped. */
const MARK = ".sandbox-data";

function prepareDataDir(dataDir: string, keep: boolean): void {
  const isDefault = dataDir === join(root, ".data", "sandbox");
  if (!keep && existsSync(dataDir)) {
    if (!isDefault && !existsSync(join(dataDir, MARK)) && readdirSync(dataDir).length > 0) {
      out(`${dataDir} exists and is not a sandbox data folder, so it is left alone; choose another --data-dir.`);
      process.exit(2);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, MARK), "Made by npm run sandbox; wiped at its next start unless --keep.\n");
}

const { keep, oauth: withOAuth, dataDir } = parseArgs(process.argv.slice(2));
prepareDataDir(dataDir, keep);

const token = "100000001:sandbox-token-0123456789abcdefghij";
const telegram = new FakeTelegram(token);
// Every Bybit site a fake of its own, so that a key is looked for on each as on Bybit.
const [apiRoot, bybitSites] = await Promise.all([telegram.start(), startBybitSites()]);
const bybit = bybitSites.global;
const you: FakeUser = { id: 424_242, is_bot: false, first_name: "You" };
const group: FakeChat = { id: -1_001_234_567_890, type: "supergroup", title: "Copy traders" };
const transcript = new Transcript(out, group.id);
telegram.onAnswered = (call) => transcript.observe(call);
const keys = new SampleKeys(bybit, join(dataDir, "sample-keys.json"));
// The bot's HTTP server on a port known first: PUBLIC_URL for the Mini App's pages (http:// only on this machine)
// and, with --oauth, Connect with Bybit against Bybit's OAuth fake, which issues keys into the fake Bybit bound
// to the address it sees us at (EGRESS_IPS).
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const web = withOAuth ? await startOAuth() : undefined;
const commands = new Commands({
  telegram,
  you,
  group,
  transcript,
  keys,
  out,
  dataDir,
  token,
  publicUrl,
  ...(web ? { oauth: web.oauth } : {}),
});

async function startOAuth() {
  const clientSecret = randomBytes(16).toString("hex");
  const oauth = new FakeBybitOAuth({
    clientId: "sandbox-app",
    clientSecret,
    redirectUris: [`${publicUrl}${OAUTH_CALLBACK_PATH}`],
    ips: [bybit.requestIp],
  });
  oauth.bybit = bybit;
  await oauth.start();
  const env = {
    EGRESS_IPS: bybit.requestIp,
    BYBIT_OAUTH_CLIENT_ID: "sandbox-app",
    BYBIT_OAUTH_CLIENT_SECRET: clientSecret,
    BYBIT_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
    BYBIT_OAUTH_API_ROOT: oauth.url,
  };
  return { oauth, env };
}

// The bot's own settings stay out of it: a production NODE_ENV, a real Redis or webhook in the shell would defeat the sandbox.
const inherited = { ...process.env };
// Every setting the service reads goes (a cluster's nodes too): the sandbox sets what it needs.
for (const name of SETTING_NAMES) delete inherited[name];
const logFile = join(dataDir, "bot.log");
const log = openSync(logFile, "a");
const bot = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
  cwd: root,
  stdio: ["ignore", log, log],
  // A small pool of ready key pairs: a sandbox needs a few, not the production 256. Probes and metrics on any free port.
  env: {
    ...inherited,
    BOT_TOKEN: token,
    TELEGRAM_API_ROOT: apiRoot,
    BYBIT_BASE_URL: bybitSites.baseUrl,
    BYBIT_SITES: bybitSites.env,
    DATA_DIR: dataDir,
    KEY_PAIR_POOL_SIZE: "4",
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    METRICS_PORT: "0",
    ...web?.env,
  },
});
let stopping = false;
const botExited = new Promise<void>((done) =>
  bot.once("exit", (code, signal) => {
    if (!stopping) {
      out(`(the bot stopped on its own: ${signal ?? `exit code ${code}`}; its log is ${logFile})`);
      void stop(1);
    }
    done();
  }),
);

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (bot.exitCode === null && bot.signalCode === null) {
      bot.kill("SIGTERM");
      const killer = setTimeout(() => bot.kill("SIGKILL"), 15_000);
      await botExited;
      clearTimeout(killer);
    }
    await Promise.all([telegram.stop(), bybitSites.stop(), web?.oauth.stop()]);
  }
  process.exit(code);
}
// Whatever happens, the bot (and its redis-server) does not outlive the sandbox: SIGTERM, so that
// the bot stops its redis-server too (SIGKILL would leave that behind).
process.on("exit", () => bot.kill("SIGTERM"));
// SIGHUP: the terminal or tmux pane was closed.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0));
process.on("uncaughtException", (error) => {
  out(`(the sandbox failed: ${error.message})`);
  void stop(1);
});

out(
  `Sandbox: a fake Telegram at ${apiRoot}, a fake Bybit at ${bybitSites.baseUrl} (and one per regional site); the bot's log is ${logFile}.`,
);
out(
  keep
    ? "Kept from the last run (--keep): the bot's Redis (your connected key, a flow you were in, reminders) and keyring, and the sample keys. Telegram starts empty, so old messages and their buttons are gone."
    : "A fresh start: the data folder was wiped (npm run sandbox -- --keep keeps it).",
);
for (const line of [...keys.listing(), ...HELP]) out(line);
if (web)
  out(
    "Connect with Bybit is on (--oauth): /connect shows its button first; " +
      "!bybit approve does what Telegram and your browser would.",
  );
out("Starting the bot…");
telegram
  .waitForCall((call) => call.method === "getUpdates", 120_000, "the bot to start")
  .then(() => {
    out("(the bot is up: say /start)");
    const home = pageAddress({ telegram, you, token, publicUrl }, "home");
    if ("url" in home) out(`(the Mini App, signed for you for 10 minutes: ${home.url}; !page prints it anew)`);
  })
  .catch(() => out(`(the bot has not asked Telegram for messages after 2 minutes; its log is ${logFile})`));

const input = createInterface({ input: process.stdin });
for await (const line of input) {
  let outcome;
  try {
    outcome = commands.handle(line);
  } catch (error) {
    outcome = undefined;
    out(`(that did not work: ${(error as Error).message})`);
  }
  if (outcome === "quit") break;
}
await stop(0);
