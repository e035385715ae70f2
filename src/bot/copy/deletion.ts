import type { NotDeleted, Shredding } from "../intake/shredder.js";

/** How the bot speaks of deleting a message that carried a credential: never more than it knows. */
const notes: Record<Shredding, string> = {
  deleted: "I deleted your message.",
  "still-trying": "Telegram is slow right now: I am still deleting your message, and I will tell you if I can’t.",
  // Said on its own, once, by the shredder (notDeleted).
  refused: "",
};

export const deletionTexts = {
  /** Puts what is known about the deletion of the message being answered before the answer. */
  withDeletionNote: (shredding: Shredding, answer: string) => [notes[shredding], answer].filter((part) => part !== "").join(" "),
  notDeleted: (why: NotDeleted) =>
    why === "refused"
      ? "⚠️ Telegram did not let me delete this message. Please delete it yourself now: it looks like part of an API key."
      : "⚠️ Telegram kept failing for two days, and I could not delete this message. Please delete it yourself now: it looks like part of an API key.",
  groupNotDeleted: (why: NotDeleted, botUsername: string) =>
    `${why === "refused" ? "A message here looks like an API key or secret, and Telegram did not let me delete it (I need the right to delete messages)." : "A message here looks like an API key or secret, and Telegram kept failing for two days, so I could not delete it."} Please delete it now, and delete that key in Bybit: others have seen it. Keys go only in a private chat with me: https://t.me/${botUsername}?start=connect`,
} as const;
