import type { Conversation, ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { Shredding } from "./intake/shredder.js";

interface CredentialGuardFlavor {
  /** Set when this message looked like a credential and its deletion has started. */
  shredding?: Promise<Shredding>;
}

export type BotContext = ConversationFlavor<Context & CredentialGuardFlavor>;
export type BotConversation = Conversation<BotContext, Context>;
