import { textsFor } from "../../texts.js";
import type { WebParts } from "../features.js";
import { field, type ApiHandler } from "./api.js";
import { pageWords, refusalText } from "./words.js";

/** A page that needs only its words (home, panic: nothing is done before a button is pressed). */
export const openWords = (): ApiHandler => async (who) => ({
  status: 200,
  body: { words: pageWords(who.languageCode) },
});

/**
 * The big button: what /panic does in the chat (the flow under way ends, the key is frozen at once, the steps
 * and their buttons go to the chat), and the same words here. With `freezeRef`: "Freeze it too" for the key
 * a first press asked about. No ticket: the signed initData of the last ten minutes is the follower's word,
 * and a /panic must never wait for one.
 */
export const pressPanic =
  (parts: WebParts): ApiHandler =>
  async (who, body) => {
    const texts = textsFor(who.languageCode);
    const freezeRef = field(body, "freezeRef", 64);
    if (freezeRef && !/^[\w-]+$/.test(freezeRef)) return { status: 400, body: { html: refusalText(texts, "failed") } };
    if (!freezeRef) {
      // As the chat's /panic: whatever flow was under way ends here, a key pair waiting included.
      await Promise.all([parts.dropFlowState(who.userId), parts.pendingKeyPairs.discard(who.userId)]);
    }
    const told = await parts.panicElsewhere(who, freezeRef || undefined);
    return {
      status: 200,
      body: {
        said: told.said,
        freezeToo: told.freezeTooRef ? { ref: told.freezeTooRef, button: texts.freezeTooButton } : null,
        note: told.failed ? refusalText(texts, "failed") : texts.lang.t("webapp-panic-in-chat"),
      },
    };
  };
