import type { Bot } from "grammy";
import type { BotContext } from "../context.js";
import type { FollowerLanguages } from "../../stores/follower-language.js";
import { textsFor } from "../texts.js";
import type { MessageAddress } from "./carriers.js";
import type { NotDeleted } from "./shredder.js";

/**
 * Says under the message itself that it stays, so that the follower (or the group) can see
 * which one to delete. Business chats are left out: the other side there is the follower's own
 * customer, who must not be told about keys; the log and the count carry it.
 */
export function tellNotDeleted(
  bot: Bot<BotContext>,
  languages: FollowerLanguages,
): (message: MessageAddress, why: NotDeleted) => Promise<void> {
  return async ({ chatId, messageId, businessConnectionId }, why) => {
    if (businessConnectionId !== undefined) return;
    // Private chats have the user's (positive) id; groups and channels negative ones.
    // A private chat is the follower's own (its id is theirs); a group hears English.
    const texts = textsFor(chatId > 0 ? await languages.of(chatId) : null);
    const text = chatId > 0 ? texts.notDeleted(why) : texts.groupNotDeleted(why, bot.botInfo.username);
    await bot.api.sendMessage(chatId, text, {
      reply_parameters: { message_id: messageId, allow_sending_without_reply: true },
    });
  };
}
