/**
 * Long polling's own thread (started by intake-client.ts): fetches each batch of updates and asks
 * Telegram to delete every credential-like message in it before handing the batch to the main
 * thread. Under a burst the main thread is busy handling the batch before (200 conversations at
 * once): a response that waited for it waited 45 ms and more before a single deletion went out.
 * Here nothing but the intake runs. The batch is handed over once every request is on the wire
 * (or after RECORD_WITHIN_MS): the main thread records the pending deletions and confirms the
 * batch only then (at-intake.ts), so a crash still loses none.
 *
 * The bot token lives in this thread's memory as it does in the main thread's; nothing here logs.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Update } from "grammy/types";
import { containsCredentialLike } from "../../policy/credential-guard.js";
import { carriedText, type MessageAddress } from "./carriers.js";
import { createFastDelete, postJson, telegramAgent, type DeleteOutcome } from "./fast-delete.js";
import type { FromIntake, IntakeData, Shredded, ToIntake } from "./intake-protocol.js";
import { atMost } from "../../infra/pause.js";
import { RECORD_WITHIN_MS, REMEMBER_MS, idOf } from "./shredding.js";
import { warmUp } from "./warm-up.js";

/**
 * Requests issued before the thread lets them go out. Issued all at once, none leaves before the
 * last is made (each waits for its connection), and Telegram starts on the first ~10 ms late;
 * in chunks the first are on their way while the rest are made. In `npm run bench` (two batches
 * of 100) the exposure median was 25–28 ms in chunks of 4, 19–20 in chunks of 8, 22–24 in
 * chunks of 16, 30 and more all at once.
 */
const CHUNK = 8;

const port = parentPort!;
const { apiRoot, token } = workerData as IntakeData;
const agent = telegramAgent(apiRoot);
const deleteOnce = createFastDelete(apiRoot, token, agent);
const updatesUrl = new URL(`${apiRoot}/bot${token}/getUpdates`);
const post = (message: FromIntake) => port.postMessage(message);
/** Outcomes go over together, once per turn of the loop: under a burst, one message instead of dozens. */
let heard: [string, DeleteOutcome][] = [];
function tell(key: string, outcome: DeleteOutcome): void {
  if (heard.length === 0)
    setImmediate(() => {
      post({ kind: "deleted", outcomes: heard });
      heard = [];
    });
  heard.push([key, outcome]);
}
// A failed warm-up only leaves the first burst slower.
const warmed = warmUp().catch(() => undefined);
/**
 * Messages asked for lately, each asked once as the shredder does (it takes up a message once per
 * REMEMBER_MS, and its guard catches any this leaves out). Without it every edit of a key that
 * cannot be deleted (a group without the right, a message too old) cost a deletion request.
 */
const asked = new Set<string>();

/**
 * The message an update carries, or null for one not shaped as Telegram's are (no chat): a throw
 * here ended the thread at every poll of the same batch, and the bot took no update again. Handed
 * over all the same, it fails alone, in the main thread's handling.
 */
function readable(update: Update) {
  try {
    return carriedText(update);
  } catch {
    return null;
  }
}

/** The credential-like messages of a batch (as Telegram sent it), each asked to be deleted at once. */
async function shredAll(text: string, receivedAt: number): Promise<{ shredded: Shredded[]; wired: Promise<unknown> }> {
  let updates: Update[] = [];
  try {
    const parsed = JSON.parse(text) as { ok?: boolean; result?: Update[] };
    if (parsed.ok === true && Array.isArray(parsed.result)) updates = parsed.result;
  } catch {
    // Not JSON: the main thread says so; there is nothing to delete.
  }
  const addresses = new Map<string, MessageAddress>();
  for (const update of updates) {
    const carried = readable(update);
    if (carried && !asked.has(idOf(carried)) && containsCredentialLike(carried.text)) {
      const { chatId, messageId, businessConnectionId } = carried;
      addresses.set(idOf(carried), { chatId, messageId, businessConnectionId });
    }
  }
  const shredded: Shredded[] = [];
  const wired: Promise<void>[] = [];
  for (const [key, address] of addresses) {
    if (shredded.length > 0 && shredded.length % CHUNK === 0) await new Promise(setImmediate);
    asked.add(key);
    setTimeout(() => asked.delete(key), REMEMBER_MS).unref();
    let onWire!: () => void;
    wired.push(new Promise<void>((resolve) => (onWire = resolve)));
    void deleteOnce(address, onWire).then((outcome) => tell(key, outcome));
    shredded.push({ address, issuedAfterMs: performance.now() - receivedAt });
  }
  return { shredded, wired: Promise.all(wired) };
}

async function fetchBatch({ id, payload }: ToIntake): Promise<void> {
  await warmed;
  // Telegram holds a long poll for `timeout` seconds: a connection silent well past that is lost.
  const timeoutMs = (Number(payload.timeout ?? 0) + 30) * 1000;
  const answer = await postJson(updatesUrl, JSON.stringify(payload), agent, timeoutMs);
  if (answer === null) return post({ kind: "failed", id });
  const { shredded, wired } = await shredAll(answer.text, performance.now());
  if (shredded.length > 0) await atMost(wired, RECORD_WITHIN_MS);
  post({ kind: "fetched", id, status: answer.status, text: answer.text, shredded });
}

port.on("message", (message: ToIntake) => void fetchBatch(message));
post({ kind: "ready" });
