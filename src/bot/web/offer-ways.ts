import type { InlineKeyboardButton } from "grammy/types";
import type { Logger } from "pino";
import type { Texts } from "../texts.js";

/** The follower's connect flow, as a way of connecting offered in it sees it (tickets are bound to it). */
export interface FlowOffer {
  userId: number;
  chatId: number;
  languageCode: string | null;
  mode: "connect" | "rotate";
  /** The site the follower named (`/connect tr`), if any. */
  site?: string;
  /** The follower's /panic count when the flow began. */
  panicEpoch: number;
}

/**
 * Another way of connecting, offered as a button at the top of the flow's choice (Connect with Bybit,
 * the Mini App's page); null: not offered in this flow. It may write to Redis (a ticket): it runs once,
 * outside the conversation's replay.
 */
export type WayOffer = (flow: FlowOffer, texts: Texts) => Promise<InlineKeyboardButton | null>;

/**
 * The buttons of the other ways offered in this flow, in order. A way that cannot be offered now (Redis
 * refusing its ticket) is left out, and the chat's own ways stay: a fault costs a button, not the flow.
 */
export async function offerWays(
  ways: readonly WayOffer[],
  flow: FlowOffer,
  texts: Texts,
  logger: Logger,
): Promise<InlineKeyboardButton[]> {
  const offered = await Promise.all(
    ways.map((way) =>
      way(flow, texts).catch((error: unknown) => {
        logger.warn({ err: error, userId: flow.userId }, "a way of connecting could not be offered; left out");
        return null;
      }),
    ),
  );
  return offered.filter((button) => button !== null);
}
