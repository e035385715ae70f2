import http from "node:http";
import https from "node:https";
import type { MessageAddress } from "./carriers.js";

/** One pool of keep-alive connections to the Bot API, shared with grammY so that deletions find them warm. */
export function telegramAgent(telegramApiRoot: string): http.Agent {
  return telegramApiRoot.startsWith("https:")
    ? new https.Agent({ keepAlive: true })
    : new http.Agent({ keepAlive: true });
}

/**
 * What one request settled: gone, refused for good by Telegram (too old, no rights, no such
 * chat), or worth another try (429, 5xx, network), after `afterMs` where Telegram said.
 */
export type DeleteOutcome = { result: "deleted" } | { result: "refused" } | { result: "retry"; afterMs?: number };

const TIMEOUT_MS = 10_000;

/** An answer of the Bot API as it came: its status and body. */
export interface RawAnswer {
  status: number;
  text: string;
}

/**
 * One POST of a JSON body to the Bot API on a bare keep-alive HTTP client: its answer, or `null`
 * when none came (network, timeout). `onSent`: the request is on the wire (handed to the kernel),
 * or will never be; called once, before the answer.
 */
export function postJson(url: URL, body: string, agent: http.Agent, timeoutMs: number, onSent?: () => void) {
  const request = url.protocol === "https:" ? https.request : http.request;
  return new Promise<RawAnswer | null>((resolve) => {
    const call = request(
      url,
      {
        method: "POST",
        agent,
        timeout: timeoutMs,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
        response.on("error", () => resolve(null));
      },
    );
    let sent = onSent;
    const nowSent = () => {
      sent?.();
      sent = undefined;
    };
    call.once("finish", nowSent);
    // The error would carry the URL, and with it the bot token: only that it failed leaves this function.
    call.on("error", () => {
      nowSent();
      resolve(null);
    });
    call.on("timeout", () => call.destroy());
    call.end(body);
  });
}

/**
 * `deleteMessage` on a bare keep-alive HTTP client. A credential's exposure is measured in
 * milliseconds, and under a burst grammY's general-purpose client (node-fetch, per-call abort
 * controller and timers) costs about 0.15 ms of CPU per call against 0.04 ms here: for 100
 * deletions in one batch that is the difference between the last request leaving after 15 ms
 * or after 4 ms. Everything else goes through grammY.
 */
export function createFastDelete(
  telegramApiRoot: string,
  token: string,
  agent: http.Agent,
): (message: MessageAddress, onSent?: () => void) => Promise<DeleteOutcome> {
  const url = (method: string) => new URL(`${telegramApiRoot}/bot${token}/${method}`);
  const chatUrl = url("deleteMessage");
  const businessUrl = url("deleteBusinessMessages");

  return async ({ chatId, messageId, businessConnectionId }, onSent) => {
    // A business chat's messages are deleted through the connection the follower gave the bot.
    const body = JSON.stringify(
      businessConnectionId === undefined
        ? { chat_id: chatId, message_id: messageId }
        : { business_connection_id: businessConnectionId, message_ids: [messageId] },
    );
    const answer = await postJson(
      businessConnectionId === undefined ? chatUrl : businessUrl,
      body,
      agent,
      TIMEOUT_MS,
      onSent,
    );
    return answer === null ? RETRY : outcomeOf(answer.status, answer.text);
  };
}

const RETRY: DeleteOutcome = { result: "retry" };

function outcomeOf(status: number, text: string): DeleteOutcome {
  let answer: { ok?: boolean; description?: string; parameters?: { retry_after?: number } } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return RETRY;
  }
  if (answer.ok === true) return { result: "deleted" };
  // Already gone (the follower was quicker than us, or an earlier attempt went through) is what we wanted.
  if (/message to delete not found/i.test(answer.description ?? "")) return { result: "deleted" };
  const retryAfter = answer.parameters?.retry_after;
  if (status === 429) return retryAfter === undefined ? RETRY : { result: "retry", afterMs: retryAfter * 1000 };
  // 5xx: Telegram did not decide; any other answer is Telegram refusing, and says so for good.
  return status >= 500 || status === 0 ? RETRY : { result: "refused" };
}
