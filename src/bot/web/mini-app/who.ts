import { isExpiredError, validate } from "@telegram-apps/init-data-node";
import { z } from "zod";

/** How old a page's initData may be: Telegram signs it when the page opens. */
export const INIT_DATA_SECONDS = 10 * 60;
/** A clock a little ahead of ours is Telegram's, not a forgery; further ahead is refused. */
const AHEAD_SECONDS = 60;

/** Who opened the page, as Telegram signed it. */
export interface Asker {
  userId: number;
  languageCode: string | null;
}

/**
 * Why a request is not believed: no initData (not opened from Telegram), a signature that is not
 * Telegram's for this bot, or a page opened more than ten minutes ago.
 */
export type NotBelieved = { refused: "missing" | "forged" | "stale"; languageCode: string | null };

const user = z.object({ id: z.number().int().positive(), language_code: z.string().max(35).optional() });

/** The user in initData, unchecked: only to choose the language of a refusal. */
function userIn(initData: string): z.infer<typeof user> | null {
  try {
    const parsed = user.safeParse(JSON.parse(new URLSearchParams(initData).get("user") ?? "null"));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Who is asking: the initData of the request's `Authorization: tma <initData>` header, checked with the
 * bot token (HMAC-SHA256, core.telegram.org/bots/webapps "Validating data received via the Mini App")
 * and refused when older than ten minutes. Nothing else of the request is trusted before this.
 */
export function whoIsAsking(authorization: string | undefined, botToken: string, nowMs: number): Asker | NotBelieved {
  const initData = /^tma (.{1,4096})$/s.exec(authorization ?? "")?.[1] ?? "";
  const claimed = userIn(initData);
  const languageCode = claimed?.language_code ?? null;
  if (!initData) return { refused: "missing", languageCode };
  try {
    validate(initData, botToken, { expiresIn: INIT_DATA_SECONDS });
  } catch (error) {
    return { refused: isExpiredError(error) ? "stale" : "forged", languageCode };
  }
  const authDate = Number(new URLSearchParams(initData).get("auth_date"));
  if (authDate * 1000 > nowMs + AHEAD_SECONDS * 1000) return { refused: "forged", languageCode };
  // Signed, but for no user (a page opened from inline mode of a group): nobody to act for.
  if (!claimed) return { refused: "forged", languageCode };
  return { userId: claimed.id, languageCode };
}
