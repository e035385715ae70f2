import type { Api } from "grammy";
import type { Logger } from "pino";
import type { FollowerLanguages } from "../../../stores/follower-language.js";
import type { Incidents } from "../../../stores/incident.js";
import type { PanicStore } from "../../../stores/panic-store.js";
import { textsFor } from "../../texts.js";
import { followerGone } from "../../reminder-delivery.js";
import { revokeKeyboard } from "./resend-steps.js";

export interface IncidentNoticeDeps {
  incidents: Incidents;
  panics: Pick<PanicStore, "flow">;
  /** The bot's own: its sends take the replies' lane of the shared budget, ahead of reminders. */
  api: Api;
  languages: FollowerLanguages;
  logger: Logger;
}

const STEPS = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;
/** Taken a batch at a time; the shared budget paces the sends (30 a second), so a batch lasts about 2 s. */
const BATCH = 60;
/** How long a process holds what it took: far longer than a batch takes, so no two processes send one notice. */
const LEASE_MS = 60_000;
/** A notice owed this recently may be for a key the sweep is freezing this very moment: left a moment. */
const SETTLE_MS = 1000;
const IDLE_MS = 1000;
const RETRY_MS = 60_000;

/**
 * Sends the notices of `npm run ops -- freeze-all` (stores/incident.ts): to each follower whose key it
 * froze, in their language, what happened, that the key is frozen, and the revoke steps with the "I
 * deleted it" button, as /panic shows them. Each notice is owed until Telegram takes it: a process
 * that dies mid-send leaves it to be taken again after the lease, so a crash between Telegram's
 * answer and the record sends it once more, never not at all (as reminders).
 */
export function sendIncidentNotices(deps: IncidentNoticeDeps): { start(): void; stop(): void } {
  let running = true;
  let timer: NodeJS.Timeout | undefined;

  /** `reason`: the incident's, read once for the batch. */
  async function tell(owed: { userId: number; ref: string }, reason: string | null): Promise<void> {
    const flow = await deps.panics.flow(owed.userId, owed.ref);
    // No flow: ended meanwhile (the follower deleted the key), or the freeze never came (the key changed).
    if (!flow) return deps.incidents.notices.sent(owed);
    const texts = textsFor(await deps.languages.of(owed.userId));
    const text = `${texts.incidentNotice(reason, flow.record)}\n\n${texts.revokeSteps(flow.record)}`;
    try {
      await deps.api.sendMessage(owed.userId, text, { ...STEPS, reply_markup: revokeKeyboard(texts, owed.ref) });
    } catch (error) {
      // Blocked the bot, or never started it: no notice can reach them; the key is frozen all the same.
      if (followerGone(error)) {
        deps.logger.warn({ userId: owed.userId }, "an incident notice cannot reach its follower");
        await deps.incidents.unreachable(owed.userId, owed.ref);
        return deps.incidents.notices.sent(owed);
      }
      // Anything else (Telegram down past the send path's retries, a message it refuses): again in a minute,
      // not at once, so that a refusal that lasts does not spin.
      deps.logger.warn({ err: error, userId: owed.userId }, "an incident notice failed; trying again in a minute");
      return deps.incidents.notices.owe(owed, Date.now() + RETRY_MS);
    }
    // Taken by Telegram: owed no more.
    await deps.incidents.notices.sent(owed);
  }

  async function round(): Promise<void> {
    if (!running) return;
    let took = 0;
    try {
      const batch = await deps.incidents.notices.claimSilentSince(Date.now() - SETTLE_MS, BATCH, LEASE_MS);
      took = batch.length;
      const reason = batch.length > 0 ? ((await deps.incidents.current())?.reason ?? null) : null;
      await Promise.all(
        batch.map((owed) =>
          tell(owed, reason).catch((error: unknown) =>
            deps.logger.warn({ err: error, userId: owed.userId }, "an incident notice waits for Redis"),
          ),
        ),
      );
    } catch (error) {
      deps.logger.warn({ err: error }, "could not read the incident notices owed");
    }
    if (running) timer = setTimeout(() => void round(), took > 0 ? 0 : IDLE_MS).unref();
  }

  return {
    start() {
      running = true;
      void round();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}
