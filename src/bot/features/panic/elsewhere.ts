import { Context, type Api } from "grammy";
import type { Logger } from "pino";
import type { Update, UserFromGetMe } from "grammy/types";

/**
 * What /panic and its "Freeze it too" button do, for a follower who asked elsewhere (the Mini App's
 * button): the same replies, to `ctx`'s chat (`panicElsewhere` below makes one).
 */
export interface PanicActs {
  now(ctx: Context & { from: { id: number } }): Promise<void>;
  freezeToo(ctx: Context & { from: { id: number } }, ref: string): Promise<void>;
}

/** A follower who asked for /panic outside the chat (the Mini App's button). */
export interface PanicAsker {
  userId: number;
  languageCode: string | null;
}

/** What the chat was told, in order; the key "Freeze it too" asks about, if asked; whether a reply failed to go out. */
export interface SaidElsewhere {
  said: string[];
  freezeTooRef: string | null;
  failed: boolean;
}

/**
 * /panic (or its "Freeze it too", for the key `freezeRef`) for a follower who asked elsewhere: exactly what
 * the chat does, replies and buttons in the follower's private chat, and what was said (the page shows it
 * too). A reply that cannot go out stops there, as in the chat: steps owed are sent again (resend-steps.ts).
 * The chat's flow under way is the caller's to end.
 */
export type PanicElsewhere = (who: PanicAsker, freezeRef?: string) => Promise<SaidElsewhere>;

const FREEZE_TOO = /^panic:freeze:([\w-]+)$/;

/** A context of the follower's private chat whose replies are written down as they go out. */
class Elsewhere extends Context {
  readonly said: string[] = [];
  freezeTooRef: string | null = null;
  override reply(...args: Parameters<Context["reply"]>): ReturnType<Context["reply"]> {
    this.said.push(args[0]);
    const markup = args[1]?.reply_markup;
    for (const button of markup && "inline_keyboard" in markup ? markup.inline_keyboard.flat() : []) {
      const ref = "callback_data" in button ? FREEZE_TOO.exec(button.callback_data)?.[1] : undefined;
      if (ref) this.freezeTooRef = ref;
    }
    return super.reply(...args);
  }
}

export function panicElsewhere(acts: PanicActs, api: Api, me: () => UserFromGetMe, logger: Logger): PanicElsewhere {
  return async ({ userId, languageCode }, freezeRef) => {
    const from = {
      id: userId,
      is_bot: false,
      first_name: "",
      ...(languageCode ? { language_code: languageCode } : {}),
    };
    const chat = { id: userId, type: "private" as const, first_name: "" };
    const date = Math.floor(Date.now() / 1000);
    const update: Update = { update_id: 0, message: { message_id: 0, date, chat, from, text: "/panic" } };
    const ctx = new Elsewhere(update, api, me()) as Elsewhere & { from: { id: number } };
    let failed = false;
    try {
      if (freezeRef === undefined) await acts.now(ctx);
      else await acts.freezeToo(ctx, freezeRef);
    } catch (error) {
      logger.warn({ err: error, userId }, "a /panic from a page could not tell the chat everything");
      failed = true;
    }
    return { said: ctx.said, freezeTooRef: ctx.freezeTooRef, failed };
  };
}
