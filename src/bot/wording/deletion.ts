import type { Lang } from "../i18n.js";
import type { NotDeleted, Shredding } from "../intake/shredder.js";

/** How the bot speaks of deleting a message that carried a credential: never more than it knows. */
export function deletionTexts({ t }: Lang) {
  const notes: Record<Shredding, string> = {
    deleted: t("deletion-deleted"),
    "still-trying": t("deletion-still-trying"),
    // Said on its own, once, by the shredder (notDeleted).
    refused: "",
  };
  return {
    /** Puts what is known about the deletion of the message being answered before the answer. */
    withDeletionNote: (shredding: Shredding, answer: string) =>
      [notes[shredding], answer].filter((part) => part !== "").join(" "),
    notDeleted: (why: NotDeleted) => t(why === "refused" ? "not-deleted-refused" : "not-deleted-gave-up"),
    groupNotDeleted: (why: NotDeleted, botUsername: string) =>
      t(why === "refused" ? "group-not-deleted-refused" : "group-not-deleted-gave-up", { bot: botUsername }),
  };
}
