import { createEventOutbox } from "../events/outbox.js";
import { scanKeys } from "../infra/redis.js";
import { toRecord } from "../stores/credential-record.js";
import { createKeyDenylist } from "../stores/denylist.js";
import { createIncidents, frozenBy, redisNow, type Incident, type Incidents } from "../stores/incident.js";
import { freezeIntoFlow } from "../stores/panic-store.js";
import { when, type OpsDeps } from "./deps.js";
import { progressBar } from "./progress.js";

export interface FreezeAllOptions {
  reason: string | null;
  /** A new breach: a new incident, not the last one resumed. */
  fresh?: boolean;
  /** Who runs it, for the audit trail. */
  by: string;
  /** How long to watch the notices go out; 0: not at all. */
  watchMs: number;
  /** With no notice going out for this long, the command says the bot may not be running, and stops. */
  stallMs?: number;
}

/** The longest reason followers are shown, in characters (code points): the notice stays well within Telegram's. */
export const REASON_MAX = 500;

/** The reason as followers see it: trimmed, null when empty, cut whole characters at a time, with "…" when cut. */
export function reasonOf(given: string | undefined): { reason: string | null; note: string | null } {
  const chars = [...(given?.trim() ?? "")];
  if (chars.length === 0) return { reason: null, note: null };
  if (chars.length <= REASON_MAX) return { reason: chars.join(""), note: null };
  return {
    reason: `${chars.slice(0, REASON_MAX - 1).join("")}…`,
    note: `--reason is ${chars.length} characters: cut to ${REASON_MAX} for the followers.`,
  };
}

/**
 * Freezes every stored key at once and has every follower with one told, for the day the service
 * itself is breached. From the moment the incident begins, the engine's access module refuses every
 * key stored before it (stores/incident.ts); then each is moved into a /panic flow of its own, frozen
 * (`by: incident` on the lifecycle stream), denied for good, and its follower owed a notice with the
 * revoke steps and the "I deleted it" button, which every bot process sends (bot/features/panic/incident-notices.ts)
 * at Telegram's pace, ahead of reminders. Killed and run again, it resumes: the incident keeps its
 * first time, keys already frozen are not frozen again, and a notice owed is sent once.
 */
export async function freezeAll(deps: OpsDeps, options: FreezeAllOptions): Promise<string> {
  const { redis } = deps;
  const incidents = createIncidents(redis);
  const denylist = createKeyDenylist(redis);
  const outbox = createEventOutbox(redis, deps.events);
  const wanted: Incident = { frozenBefore: await redisNow(redis), reason: options.reason, by: options.by };
  const { incident, resumed } = await incidents.begin(wanted, options.fresh);
  await deps.audit.record({
    type: "freeze-all-started",
    details: { by: options.by, resumed: resumed ? "yes" : "no", frozenBefore: incident.frozenBefore },
  });
  let frozen = 0;
  for await (const { keys } of scanKeys(redis, "follower:{*}:credential")) {
    for (const key of keys) {
      const record = toRecord(await redis.hgetall(key));
      // A key stored after the incident began is a fresh one: it stays.
      if (!record || !frozenBy(incident, record)) continue;
      const owed = { userId: record.userId, ref: record.ref };
      // Owed before the freeze: a kill between them leaves a notice whose flow the sender finds, or (no
      // freeze) drops; never a frozen key whose follower is not told.
      await incidents.notices.owe(owed, Date.now());
      if (!(await freezeIntoFlow(redis, record.userId, record.ref, Date.now(), "incident"))) continue;
      frozen += 1;
      await incidents.frozen(record.userId, record.ref);
      await denylist.add(record);
      await outbox.nudge(record.userId).catch(() => undefined);
    }
  }
  const counts = await incidents.counts();
  await deps.audit.record({ type: "freeze-all-swept", details: { by: options.by, frozen, total: counts.frozen } });
  const lines = [
    `${resumed ? "Resumed the incident" : "Incident"} of ${when(incident.frozenBefore)}: every key stored before then ` +
      `is out of use. Frozen now: ${frozen}; frozen by this incident in all: ${counts.frozen}.`,
  ];
  if (resumed) lines.push("Keys connected since then are in use: to freeze them too, run freeze-all --new.");
  if (options.watchMs > 0) lines.push(await watchNotices(incidents, counts.frozen, options));
  return lines.join("\n");
}

/** Shows the notices going out (the bot sends them), until all are out, or nothing moves for a while. */
async function watchNotices(incidents: Incidents, total: number, options: FreezeAllOptions): Promise<string> {
  const bar = progressBar();
  const startedAt = Date.now();
  const stallMs = options.stallMs ?? 60_000;
  let lastOwed = Number.POSITIVE_INFINITY;
  let movedAt = Date.now();
  for (;;) {
    const { owed } = await incidents.counts();
    if (owed < lastOwed) [lastOwed, movedAt] = [owed, Date.now()];
    const told = Math.max(0, total - owed);
    const rate = told / Math.max(1, (Date.now() - startedAt) / 1000);
    bar.show(told, total, `${told}/${total} followers told, ${rate.toFixed(1)}/s`);
    if (owed === 0) break;
    if (Date.now() - movedAt > stallMs || Date.now() - startedAt > options.watchMs) {
      bar.end();
      return `${owed} notices still owed: no notice went out for a while. The bot sends them: is it running? Run this again to watch.`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  bar.end();
  const { unreachable } = await incidents.counts();
  if (unreachable === 0) return `Every follower with a key was told (${total}).`;
  const told = Math.max(0, total - unreachable);
  return (
    `Every notice is out: ${told} follower${told === 1 ? "" : "s"} told; ${unreachable} could not be reached ` +
    `(blocked the bot, or never started it): their keys are frozen all the same; reach them another way.`
  );
}
