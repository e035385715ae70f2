import type { Conversation, ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Shredding } from "./intake/shredder.js";

interface CredentialGuardFlavor {
  /** Set when this message looked like a credential and its deletion has started. */
  shredding?: Promise<Shredding>;
}

/** How long the expired step waited, and whether the follower had our public key (and may have made a key from it). */
export interface FlowExpiry {
  minutes: number;
  publicKeyOut: boolean;
}

interface FlowFlavor {
  /** Set when this update came after the connect flow's step had expired: the flow ended, and the answer says so. */
  flowExpired?: FlowExpiry;
}

export type BotContext = ConversationFlavor<Context & CredentialGuardFlavor & FlowFlavor>;
export type BotConversation = Conversation<BotContext, Context>;
