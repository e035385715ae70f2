// npm run ops -- <command>: what an operator needs without reading Redis by hand. Run it with the
// service's environment (REDIS_URL, SEAL_KEYS, QUEUE_PREFIX). Nothing it prints is secret.
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { ConfigError, loadOpsConfig } from "../config.js";
import { createAuditTrail } from "../audit/trail.js";
import { eventKeys } from "../events/outbox.js";
import { redisClient } from "../infra/redis.js";
import { KEY_WATCH_QUEUE } from "../jobs/key-watch.js";
import { REMINDER_QUEUE } from "../jobs/reminders.js";
import { generateKeyringEntry } from "../vault/keyring.js";
import { createSealer } from "../vault/sealer.js";
import { auditTrail } from "./audit.js";
import { inspectFollower } from "./inspect.js";
import { rewrapCommand } from "./rewrap.js";
import { serviceStats } from "./stats.js";

const HELP = `Usage: npm run ops -- <command>

  keygen                          print a new SEAL_KEYS entry (put it first; keep the old ones after it)
  inspect <user id>               what is stored about a follower: key (masked), reminders, watch, /panic flows
  stats                           followers by key status, reminders and key watches pending, the oldest due
  audit [--user ID] [--since T]   the audit trail, oldest first: key events, refusals, reminders sent,
                                  unreachable followers, rewraps (T: an ISO date or time)
  rewrap [--batch N]              re-seal every stored record with the first SEAL_KEYS entry, while the
                                  service runs; resumes where a stopped run left off; then counts what
                                  each entry still seals, so you know when an older one can go

Reads REDIS_URL, SEAL_KEYS and QUEUE_PREFIX as the service does. Prints nothing secret.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { user: { type: "string" }, since: { type: "string" }, batch: { type: "string" }, help: { type: "boolean" } } });
const [command, argument] = positionals;
if (values.help || !command) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (command === "keygen") {
  process.stdout.write(`${generateKeyringEntry()}\n`);
  process.exit(0);
}

let config;
try {
  config = loadOpsConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const redis = redisClient(config.redis, { maxRetriesPerRequest: 1 });
const queue = (name: string) => new Queue(name, { connection: redis, prefix: config.queuePrefix });
const deps = { redis, sealer: config.keyring ? createSealer(config.keyring) : null, reminders: queue(REMINDER_QUEUE), watch: queue(KEY_WATCH_QUEUE), events: eventKeys(), audit: createAuditTrail(redis) };

const userIdOf = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : fail(`not a Telegram user id: ${text ?? "(none)"}`));
const sinceOf = (text: string | undefined) => {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isFinite(time) ? time : fail(`not a date or time: ${text}`);
};

try {
  let output: string;
  if (command === "inspect") output = await inspectFollower(deps, userIdOf(argument));
  else if (command === "stats") output = await serviceStats(deps);
  else if (command === "rewrap") {
    const { keyring } = config;
    const { sealer } = deps;
    if (!keyring || !sealer) fail("SEAL_KEYS: is required for rewrap (the service's, with the new entry first)");
    const batch = values.batch === undefined ? undefined : /^\d+$/.test(values.batch) && Number(values.batch) > 0 ? Number(values.batch) : fail(`not a batch size: ${values.batch}`);
    output = await rewrapCommand({ ...deps, sealer }, keyring, batch);
  } else if (command === "audit") output = await auditTrail(deps, { userId: values.user === undefined ? undefined : userIdOf(values.user), since: sinceOf(values.since) });
  else fail(`unknown command: ${command}\n\n${HELP}`);
  process.stdout.write(`${output}\n`);
} finally {
  await Promise.all([deps.reminders.close(), deps.watch.close()]);
  redis.disconnect();
}
