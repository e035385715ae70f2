import type { Message, Update } from "grammy/types";

/** Where a message lives, so that it can be deleted: business messages are deleted through their connection. */
export interface MessageAddress {
  chatId: number;
  messageId: number;
  businessConnectionId?: string;
}

/** A message that could carry a credential: new or edited, in any chat, channel or business chat, text or caption. */
export interface CarriedText extends MessageAddress {
  text: string;
}

/** Every kind of update whose message a follower (or anyone) could have typed or pasted a key into. */
export function carriedText(update: Update): CarriedText | null {
  const message: Message | undefined =
    update.message ??
    update.edited_message ??
    update.channel_post ??
    update.edited_channel_post ??
    update.business_message ??
    update.edited_business_message;
  if (!message) return null;
  // Everything a message shows that its sender typed or pasted: a quote and a poll too.
  const shown = [
    message.text,
    message.caption,
    message.quote?.text,
    message.poll?.question,
    ...(message.poll?.options.map((option) => option.text) ?? []),
  ];
  const text = shown.filter((part) => part !== undefined).join("\n");
  if (text === "") return null;
  return {
    chatId: message.chat.id,
    messageId: message.message_id,
    businessConnectionId: message.business_connection_id,
    text,
  };
}
