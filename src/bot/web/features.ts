import type { Api, Composer } from "grammy";
import type { Route } from "../../http/routes.js";
import type { BotContext } from "../context.js";
import type { CutShortChecks } from "../features/connect/cut-short.js";
import type { ConnectDeps } from "../features/connect/connect.js";
import type { WebTickets } from "../../stores/web-tickets.js";
import type { WayOffer } from "./offer-ways.js";
import type { InlineKeyboardButton } from "grammy/types";
import type { PanicStore } from "../../stores/panic-store.js";
import type { PanicElsewhere } from "../features/panic/elsewhere.js";
import type { Texts } from "../texts.js";

/**
 * What a web feature is given by the bot: what the connect flow is given, the bot's API (through the send
 * budget), the connect flow's recovery, and the tickets that tie a web request to a follower's flow.
 */
export interface WebParts extends Omit<ConnectDeps, "shredder" | "cutShort" | "moreWays"> {
  webTickets: WebTickets;
  api: Api;
  /** Where a check cut short by a Redis fault waits until the follower can be told. */
  cutShort: CutShortChecks;
  /** Ends the follower's chat flow (its state is dropped): the key was connected another way. */
  dropFlowState(userId: number): Promise<void>;
  /** The keys frozen by /panic (a status page shows them). */
  panics: PanicStore;
  /** /panic as the chat does it, for a follower who asked on a page. */
  panicElsewhere: PanicElsewhere;
}

/** A feature with a web side: ways offered in the connect flow, HTTP routes, and updates it handles. */
export interface WebFeature {
  ways?: WayOffer[];
  routes?: Route[];
  composer?: Composer<BotContext>;
  /** Buttons under /status's answer (the Mini App's timeline), in the follower's language. */
  statusButtons?: (texts: Texts) => InlineKeyboardButton[];
}

export type WebFeatureFactory = (parts: WebParts) => WebFeature;
