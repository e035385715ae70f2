// npm run ops -- <command>: what an operator needs without reading Redis by hand. Run it with the
// service's environment (REDIS_URL, SEAL_KEYS, QUEUE_PREFIX). Nothing it prints is secret.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { userInfo } from "node:os";
import { createInterface } from "node:readline/promises";
import { Queue } from "bullmq";
import { ConfigError, loadOpsConfig, type OpsConfig } from "../config.js";
import { createAuditTrail } from "../audit/trail.js";
import { eventKeys } from "../events/outbox.js";
import { localRedisAddress } from "../infra/local-redis.js";
import { redisClient } from "../infra/redis.js";
import { KEY_WATCH_QUEUE } from "../key-watch/worker.js";
import { REMINDER_QUEUE } from "../reminders/schedule.js";
import { generateKeyringEntry } from "../vault/keyring.js";
import { createSealer } from "../vault/sealer.js";
import { auditTrail } from "./audit.js";
import { inspectFollower } from "./inspect.js";
import { rewrapCommand } from "./rewrap.js";
import { freezeAll, reasonOf } from "./freeze-all.js";
import { serviceStats } from "./stats.js";

const HELP = `Usage: npm run ops -- <command>

  keygen                          print a new SEAL_KEYS entry (put it first; keep the old ones after it)
  inspect <user id>               what is stored about a follower: key (masked), reminders, watch, /panic flows
  stats                           followers by key status, reminders and key watches pending, the oldest due
  audit [--user ID] [--since T]   the audit trail, oldest first: key events, refusals, reminders sent,
                                  unreachable followers, rewraps (T: an ISO date or time)
  rewrap [--batch N] [--force]    re-seal every stored record with the first SEAL_KEYS entry, while the
                                  service runs; resumes where a stopped run left off; then counts what
                                  each entry still seals, so you know when an older one can go. Refuses
                                  while a running process lacks that entry or does not seal with it yet
                                  (--force: those processes are gone)
  freeze-all [--reason TEXT] [--yes] [--new]
                                  the service itself is breached: every stored key out of use at once
                                  (the engine refuses them from this moment), each frozen and denied for
                                  good, and every follower told, in their language, with the steps to
                                  delete it in Bybit (sent by the running bot, at Telegram's pace; this
                                  shows the progress). Asks to type FREEZE unless --yes. Run again: it
                                  resumes, and no follower is told twice; --new: breached again, a new
                                  incident that freezes the keys connected since the last one too

Reads REDIS_URL, SEAL_KEYS and QUEUE_PREFIX as the service does. Prints nothing secret.`;

const COMMANDS = ["keygen", "inspect", "stats", "audit", "rewrap", "freeze-all"];

const userIdOf = (text: string | undefined) =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : fail(`not a Telegram user id: ${text ?? "(none)"}`);

/**
 * Outside production, with neither REDIS_URL nor a cluster set: the Redis and the keyring that
 * `npm start` made in the data folder, so that `npm run ops -- stats` works beside it as it is.
 */
/** The development Redis found in the data folder, if that is what ops uses. */
let developmentRedis: string | undefined;

function withDevelopmentDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.NODE_ENV === "production" || env.REDIS_URL || env.REDIS_CLUSTER_NODES) return env;
  const dataDir = env.DATA_DIR || ".data";
  const url = localRedisAddress(join(dataDir, "redis"));
  if (url === null) return env;
  process.stderr.write(
    `REDIS_URL is not set: using the development Redis of \`npm start\` (${url}, from ${dataDir})\n`,
  );
  developmentRedis = url;
  const keyring = join(dataDir, "dev-seal-keys");
  const sealKeys = env.SEAL_KEYS || (existsSync(keyring) ? readFileSync(keyring, "utf8").trim() : undefined);
  return { ...env, REDIS_URL: url, ...(sealKeys ? { SEAL_KEYS: sealKeys } : {}) };
}

/** Typed FREEZE at the prompt; never asked where no one can answer (no terminal): --yes there. */
async function confirmed(): Promise<boolean> {
  if (!process.stdin.isTTY) fail("freeze-all freezes every follower's key: add --yes to run it without a terminal");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question("This freezes EVERY follower's key and tells every follower. Type FREEZE: ");
  prompt.close();
  return answer.trim() === "FREEZE";
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  user: { type: "string" },
  since: { type: "string" },
  batch: { type: "string" },
  force: { type: "boolean" },
  yes: { type: "boolean" },
  reason: { type: "string" },
  new: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** The command line, or one line and the usage: never a stack for a mistyped option. */
function readArgs() {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw error;
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    const line = unknown ? `unknown option: ${unknown}` : (error as Error).message.split(". ")[0];
    return fail(`${line}\n\n${HELP}`);
  }
}

const { positionals, values } = readArgs();
const [command, argument] = positionals;
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (!command) fail(HELP);
if (command === "keygen") {
  process.stdout.write(`${generateKeyringEntry()}\n`);
  process.exit(0);
}

if (!COMMANDS.includes(command)) fail(`unknown command: ${command}\n\n${HELP}`);
// An option given to the wrong command is a mistake worth a word, above all --yes.
for (const [option, only] of [
  ["yes", "freeze-all"],
  ["reason", "freeze-all"],
  ["new", "freeze-all"],
  ["batch", "rewrap"],
  ["force", "rewrap"],
]) {
  if (values[option as keyof typeof values] !== undefined && command !== only)
    fail(`--${option} is an option of ${only}, not of ${command}\n\n${HELP}`);
}
// What can be checked without Redis is checked first.
const inspected = command === "inspect" ? userIdOf(argument) : undefined;

let config: OpsConfig;
try {
  config = loadOpsConfig(withDevelopmentDefaults(process.env));
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const redis = redisClient(config.redis, { maxRetriesPerRequest: 1 }, { failFast: true });
// Connection trouble ends the command with one line (below), not a stack on every retry.
let connectionError: (Error & { lastNodeError?: Error }) | undefined;
redis.on("error", (error: Error) => (connectionError = error));
const queue = (name: string) =>
  new Queue(name, { connection: redis, prefix: config.queuePrefix }).on("error", () => undefined);
const deps = {
  redis,
  sealer: config.keyring ? createSealer(config.keyring) : null,
  reminders: queue(REMINDER_QUEUE),
  watch: queue(KEY_WATCH_QUEUE),
  events: eventKeys(),
  audit: createAuditTrail(redis, config.audit),
};

/** An ISO date or date and time, as `audit` prints them; without a zone, UTC. */
const sinceOf = (text: string | undefined) => {
  if (text === undefined) return undefined;
  const parts = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?(?: ?(UTC|Z|[+-]\d\d:?\d\d))?$/.exec(
    text.trim(),
  );
  const time = parts
    ? Date.parse(`${parts[1]}T${parts[2] ?? "00:00"}${!parts[3] || parts[3] === "UTC" ? "Z" : parts[3]}`)
    : NaN;
  return Number.isFinite(time)
    ? time
    : fail(`not a date or time: ${text} (e.g. 2026-11-27, or 2026-11-27 04:42, read as UTC)`);
};

/** What went wrong with Redis, in one line, with what to check; null for anything else. */
function redisProblem(error: Error & { lastNodeError?: Error }): string | null {
  const cause =
    error.lastNodeError?.message ??
    connectionError?.lastNodeError?.message ??
    (error.name === "MaxRetriesPerRequestError" ? connectionError?.message : undefined) ??
    error.message;
  const fromRedis =
    ["ClusterAllFailedError", "ReplyError", "MaxRetriesPerRequestError"].includes(error.name) ||
    /Connection is closed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|startup nodes|Redis Cluster/.test(
      `${error.message} ${cause}`,
    );
  if (!fromRedis) return null;
  if (developmentRedis && /ECONNREFUSED/.test(cause)) {
    return `the development Redis of \`npm start\` (${developmentRedis}) is not running: start \`npm start\`, or set REDIS_URL`;
  }
  const where = "url" in config.redis ? "REDIS_URL" : `REDIS_CLUSTER_NODES (${config.redis.clusterNodes.join(", ")})`;
  if (/^MOVED /.test(cause))
    return `Redis answered MOVED: it is a Redis Cluster; set REDIS_CLUSTER_NODES instead of REDIS_URL`;
  if (/cluster support disabled/.test(cause))
    return `${where} is not a Redis Cluster (${cause}); set REDIS_URL instead`;
  if (/^OOM /.test(cause)) {
    const then =
      command === "freeze-all"
        ? ": nothing more could be frozen. If the incident had begun, the engine already refuses every key " +
          "stored before it; raise maxmemory (or free memory), then run freeze-all again to finish"
        : ": raise maxmemory (or free memory), then run this again";
    return `Redis at ${where} is at its memory limit and refuses writes${then}`;
  }
  return `cannot use Redis at ${where}: ${cause}`;
}

try {
  let output: string;
  if (inspected !== undefined) output = await inspectFollower(deps, inspected);
  else if (command === "stats") output = await serviceStats(deps);
  else if (command === "rewrap") {
    const { keyring } = config;
    const { sealer } = deps;
    if (!keyring || !sealer) fail("SEAL_KEYS: is required for rewrap (the service's, with the new entry first)");
    const batch =
      values.batch === undefined
        ? undefined
        : /^\d+$/.test(values.batch) && Number(values.batch) > 0
          ? Number(values.batch)
          : fail(`not a batch size: ${values.batch}`);
    const done = await rewrapCommand({ ...deps, sealer }, keyring, { batch, force: values.force });
    output = done.report;
    if (!done.ok) process.exitCode = 1;
  } else if (command === "freeze-all") {
    if (!values.yes && !(await confirmed())) fail("Nothing was frozen.");
    const { reason, note } = reasonOf(values.reason);
    if (note) process.stdout.write(`${note}\n`);
    const by = process.env.USER || process.env.LOGNAME || userInfo().username;
    output = await freezeAll(deps, { reason, fresh: values.new, by, watchMs: 60 * 60_000 });
  } else if (command === "audit")
    output = await auditTrail(deps, {
      userId: values.user === undefined ? undefined : userIdOf(values.user),
      since: sinceOf(values.since),
    });
  else fail(`unknown command: ${command}\n\n${HELP}`);
  process.stdout.write(`${output}\n`);
} catch (error) {
  const problem = error instanceof Error ? redisProblem(error) : null;
  if (problem === null) throw error;
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
} finally {
  // Closing waits for a Redis that may be gone: not for long.
  await Promise.race([
    Promise.all([deps.reminders.close(), deps.watch.close()]),
    new Promise((resolve) => setTimeout(resolve, 2000).unref()),
  ]);
  redis.disconnect();
}
