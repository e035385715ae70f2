import { sequentialize } from "@grammyjs/runner";
import { Bot } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { RedisClient } from "../infra/redis.js";
import type { Logger } from "pino";
import type { AuditTrail } from "../audit/trail.js";
import type { RateBudget } from "../budget/rate-budget.js";
import type { Exchanges } from "../exchange/registry.js";
import type { Reminders } from "../reminders/schedule.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RotationRules } from "../policy/rotation.js";
import type { ChecksUnderWay } from "../stores/checks.js";
import type { CredentialStore } from "../stores/credential-store.js";
import type { KeyDenylist } from "../stores/denylist.js";
import type { SharedKeys } from "../key-watch/shared-keys.js";
import type { FollowerLanguages } from "../stores/follower-language.js";
import type { FollowerStore } from "../stores/follower-store.js";
import type { PendingKeyPairs } from "../stores/key-pairs.js";
import type { PanicStore } from "../stores/panic-store.js";
import { createPanicStepsOwed, type PanicStepsOwed } from "../stores/panic-steps.js";
import { FLOW_STATE_PREFIX } from "../vault/sealed-storage.js";
import { flowConversations } from "./flow-storage.js";
import type { Sealer } from "../vault/sealer.js";
import type { BotContext } from "./context.js";
import { connectFeature } from "./features/connect/connect.js";
import { recoverInterruptedChecks } from "./features/connect/interrupted.js";
import { tellCutShortChecks } from "./features/connect/cut-short.js";
import { disconnectFeature } from "./features/disconnect.js";
import { fallbackFeature } from "./features/fallback.js";
import { forgetFeature } from "./features/forget.js";
import { groupFeature } from "./features/group.js";
import { createGroupLeaks } from "./features/panic/group-leak.js";
import { createPanic, isPanic } from "./features/panic/panic.js";
import { rotateFeature } from "./features/rotate.js";
import { startFeature } from "./features/start.js";
import { statusFeature } from "./features/status.js";
import { shredAtIntake } from "./intake/at-intake.js";
import { createFastDelete, telegramAgent } from "./intake/fast-delete.js";
import { createIntakeThread } from "./intake/intake-client.js";
import { credentialGuard } from "./intake/guard.js";
import { inFlightUpdates } from "./in-flight.js";
import { rememberLanguage } from "./remember-language.js";
import { capBacklog } from "./limits/backlog.js";
import { limitUpdates, type UpdateLimits } from "./limits/updates.js";
import { privateKeyBarrier } from "./intake/private-keys.js";
import type { PendingDeletions } from "./intake/pending-deletions.js";
import { createShredder, type Shredder, type ShredderTiming } from "./intake/shredder.js";
import { tellNotDeleted } from "./intake/tell-not-deleted.js";
import { carriedText } from "./intake/carriers.js";
import { resendPanicSteps } from "./features/panic/resend-steps.js";
import { sendIncidentNotices } from "./features/panic/incident-notices.js";
import { createIncidents, type Incidents } from "../stores/incident.js";
import { createRestartNotices, tellRestarted, tellUnansweredKey, type RestartNotices } from "./tell-unanswered.js";
import type { TelegramLimits } from "./sending/budget.js";
import { sendPath } from "./sending/send-path.js";
import { textsOf } from "./texts.js";
import { takeTurns } from "./turns.js";
import type { Route } from "../http/routes.js";
import type { WebFeatureFactory } from "./web/features.js";
import type { WebTickets } from "../stores/web-tickets.js";
import { panicElsewhere } from "./features/panic/elsewhere.js";

export interface BotDeps {
  token: string;
  telegramApiRoot: string;
  redis: RedisClient;
  sealer: Sealer;
  credentials: CredentialStore;
  followers: FollowerStore;
  /** Each follower's Telegram language, for what reaches them outside an update. */
  languages: FollowerLanguages;
  /** Keys frozen by /panic, each in a flow of its own until its revocation is settled. */
  panics: PanicStore;
  /** Keys frozen as leaked (by /panic, or by the key watch for money permissions): never connected again. */
  denylist: KeyDenylist;
  /** One key, one follower: a key frozen by /panic is taken out of every slot that holds it. */
  sharedKeys: SharedKeys;
  /** Key pairs handed out for self-generated keys, waiting for the follower's API key. */
  pendingKeyPairs: PendingKeyPairs;
  /** Every exchange, each behind its budget; per-follower limits on key checks. */
  exchanges: Exchanges;
  clock: () => number;
  reminders: Reminders;
  egressIps: readonly string[];
  rotation: RotationRules;
  orderLinkIdPrefix: string;
  /** COPY_START_TEXT: when copying starts, said on "Connected" (else each language's default). */
  copyStartText: string | null;
  /** Whom a follower tells what happened after /panic (a Telegram username or a URL), if anyone. */
  supportContact: string | null;
  logger: Logger;
  metrics: Metrics;
  /** Where refused keys are recorded for the operator. */
  audit: AuditTrail;
  /** Telegram's rate limits, shared with every other process through Redis. */
  budget: RateBudget;
  /** Key checks under way, so that one cut short by a crash is noticed and explained. */
  checksUnderWay: ChecksUnderWay;
  /** A check whose last beat is this old was cut short (three missed beats). */
  interruptedAfterMs: number;
  /** How often checks and /panic steps under way beat, and the recovery sweeps look (default 5 s; shorter in tests). */
  recoveryBeatMs?: number;
  /** Telegram's rate limits unless told (tests about other things run faster). */
  telegramLimits?: TelegramLimits;
  /** The updates taken per chat and window unless told (UPDATE_LIMITS; tests about other things run faster). */
  updateLimits?: UpdateLimits;
  /** Deletions of credential messages not settled yet, where any bot process finds them. */
  pendingDeletions: PendingDeletions;
  /** Shorter in tests. */
  shredderTiming?: Partial<ShredderTiming>;
  /** Skips the getMe call at start, where the caller already knows the bot. */
  botInfo?: UserFromGetMe;
  /** Webhook mode: Telegram posts again what a dead process did not answer; nobody is owed a word about a restart. */
  updatesComeAgain?: boolean;
  /** `/panic` steps owed until sent (a set of its own in tests sharing one Redis). */
  panicSteps?: PanicStepsOwed;
  /** The operator's freeze-all: its notices are sent by every bot process (default: on this Redis). */
  incidents?: Incidents;
  /** Chats whose update a shutdown left unanswered (a set of its own in tests sharing one Redis). */
  restartNotices?: RestartNotices;
  /** One-time tickets tying a web request (OAuth redirect, Mini App form) to a follower's flow. */
  webTickets: WebTickets;
  /** Features with a web side (Connect with Bybit, the Mini App), each on only where configured. */
  web?: WebFeatureFactory[];
}

export interface BotParts {
  bot: Bot<BotContext>;
  /** Sweep from start-up (deletions left by an earlier process); stop after the runner. */
  shredder: Shredder;
  /** Tells followers whose key check (a crash, a Redis fault), paste, update or /panic steps were cut short. */
  recovery: { start(): void; stop(): void };
  /** The updates being handled: a shutdown waits for them after polling stops. */
  inFlight: { idle(): Promise<void> };
  /**
   * Just before the shutdown deadline: the chats of the updates still in hand, to be told by the
   * next process (polling: those updates are not delivered again), and the pending deletions handed over.
   */
  atDeadline(): Promise<void>;
  /** The HTTP routes the bot's web features contribute (pages, callbacks), for the process's HTTP server. */
  routes: Route[];
  /** Long polling's thread could start (false: no updates come in), for the readiness check. */
  intakeHealthy(): boolean;
}

export function createBot(deps: BotDeps): BotParts {
  const agent = telegramAgent(deps.telegramApiRoot);
  const bot = new Bot<BotContext>(deps.token, {
    client: { apiRoot: deps.telegramApiRoot, baseFetchConfig: { agent }, fetch: sendPath("reply", deps) },
    botInfo: deps.botInfo,
  });
  const shredder = createShredder({
    deleteOnce: createFastDelete(deps.telegramApiRoot, deps.token, agent),
    pending: deps.pendingDeletions,
    tellNotDeleted: tellNotDeleted(bot, deps.languages),
    tellUnanswered: deps.updatesComeAgain ? undefined : tellUnansweredKey(bot, deps.languages),
    logger: deps.logger,
    metrics: deps.metrics,
    timing: deps.shredderTiming,
  });

  const intake = createIntakeThread({ apiRoot: deps.telegramApiRoot, token: deps.token }, deps.logger);
  shredAtIntake(bot.api, shredder, intake, deps);
  const inFlight = inFlightUpdates((ctx) => {
    const carried = carriedText(ctx.update);
    if (carried) void shredder.answered(carried);
  });
  bot.use(inFlight.middleware);
  const panicSteps = deps.panicSteps ?? createPanicStepsOwed(deps.redis);
  const restartNotices = deps.restartNotices ?? createRestartNotices(deps.redis);
  const panic = createPanic({ ...deps, panicSteps });
  bot.use(credentialGuard(shredder));
  // Ahead of the chat's queue: /panic never waits behind another update of the same chat.
  bot.use(panic.urgent);
  // After the guard (a key sent over the limit is still deleted) and before the chat's queue (dropped updates never wait in it).
  const privatePanic = (ctx: BotContext) => ctx.chat?.type === "private" && isPanic(ctx);
  bot.use(limitUpdates(deps.redis, deps.metrics, privatePanic, deps.updateLimits));
  bot.use(capBacklog(deps.metrics, privatePanic));
  // Different chats are handled at the same time; each chat's updates stay in order.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.use(rememberLanguage(deps.languages, deps.logger));
  // Before conversation state is read: a private key never enters it.
  bot.use(privateKeyBarrier(async (userId) => (await deps.pendingKeyPairs.waiting(userId, deps.clock())) !== null));
  bot.use(flowConversations(deps));
  bot.use(takeTurns());
  bot.use(groupFeature(createGroupLeaks({ ...deps, panicSteps }, bot.api)));
  // Before the connect conversation: /panic ends any flow under way, and a frozen key is mentioned first.
  bot.use(panic.flow);
  const cutShort = tellCutShortChecks({ ...deps, api: bot.api });
  const dropFlowState = async (userId: number) => void (await deps.redis.del(`${FLOW_STATE_PREFIX}${userId}`));
  const panicElsewhereFor = panicElsewhere(panic.acts, bot.api, () => bot.botInfo, deps.logger);
  const webParts = {
    ...deps,
    api: bot.api,
    cutShort,
    dropFlowState,
    webTickets: deps.webTickets,
    panicElsewhere: panicElsewhereFor,
  };
  const web = (deps.web ?? []).map((feature) => feature(webParts));
  for (const { composer } of web) if (composer) bot.use(composer);
  const moreWays = web.flatMap((feature) => feature.ways ?? []);
  bot.use(connectFeature({ ...deps, shredder, cutShort, moreWays }));
  bot.use(rotateFeature(deps));
  bot.use(startFeature(deps));
  bot.use(statusFeature({ ...deps, buttons: web.flatMap((feature) => feature.statusButtons ?? []) }));
  bot.use(disconnectFeature(deps));
  bot.use(forgetFeature(deps));
  bot.use(fallbackFeature());

  bot.catch(async ({ error, ctx }) => {
    deps.logger.error({ err: error, updateId: ctx.update.update_id }, "update failed");
    // An update with no chat (a poll answer, say) has nobody to tell; ctx.reply would throw at once.
    if (ctx.chat) await ctx.reply(textsOf(ctx).somethingWentWrong).catch(() => undefined);
  });
  const recoveries = [
    recoverInterruptedChecks({
      ...deps,
      api: bot.api,
      staleAfterMs: deps.interruptedAfterMs,
      dropFlowState,
    }),
    resendPanicSteps({ ...deps, panicSteps, api: bot.api }),
    sendIncidentNotices({ ...deps, incidents: deps.incidents ?? createIncidents(deps.redis), api: bot.api }),
    tellRestarted({ ...deps, notices: restartNotices, panicSteps, api: bot.api }),
    cutShort,
  ];
  const recovery = {
    start: () => recoveries.forEach((part) => part.start()),
    stop: () => recoveries.forEach((part) => part.stop()),
  };

  async function atDeadline(): Promise<void> {
    // A credential message is the shredder's: its entry, handed over unanswered, has the next sweeper tell.
    const inHand = deps.updatesComeAgain ? [] : inFlight.inHand();
    const chats = inHand
      .filter((ctx) => ctx.chat?.type === "private" && ctx.shredding === undefined)
      .map((ctx) => ctx.chat!.id);
    await Promise.all([restartNotices.record([...new Set(chats)]), shredder.stop()]);
  }
  const routes = web.flatMap((feature) => feature.routes ?? []);
  return { bot, shredder, recovery, inFlight, atDeadline, routes, intakeHealthy: intake.healthy };
}
