import { Api, GrammyError, HttpError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "pino";

/** Telegram's word on the token: who the bot is, or that the token is refused for good. */
export type TokenCheck = { ok: true; me: UserFromGetMe } | { ok: false; line: string };

const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 5_000;

/** The network error's code (ENOTFOUND, ECONNREFUSED, …), never its message: that holds the URL, and the URL the token. */
function causeOf(error: HttpError): string {
  const inner = error.error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | undefined;
  if (inner?.code ?? inner?.cause?.code) return String(inner?.code ?? inner?.cause?.code);
  // An answer, but not JSON: a web page, a proxy's error.
  return inner?.name === "SyntaxError" || inner?.name === "FetchError"
    ? "it answered, but not as the Bot API does: is TELEGRAM_API_ROOT right?"
    : "no answer";
}

/**
 * Asks Telegram who the bot is before anything starts, with a plain client (no retries of the
 * send path, whose log lines would not say what is wrong). Unreachable: one line naming the host
 * and the cause, then again with backoff (1 s doubling to 5 s: the bot is of no use until then). A refused token:
 * `{ ok: false }` with the one line for the caller to print before it exits.
 */
export async function checkToken(
  token: string,
  apiRoot: string,
  logger: Logger,
  sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<TokenCheck> {
  const api = new Api(token, { apiRoot });
  const host = new URL(apiRoot).host;
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(LONGEST_WAIT_MS, wait * 2)) {
    try {
      return { ok: true, me: await api.getMe() };
    } catch (error) {
      if (error instanceof GrammyError && error.error_code === 401) {
        const line = `Telegram refused BOT_TOKEN (${error.error_code} ${error.description}): copy the token again from @BotFather`;
        return { ok: false, line };
      }
      if (error instanceof GrammyError && error.error_code === 404) {
        const line = `${host} answered 404 ${error.description} to getMe: the token, or TELEGRAM_API_ROOT, is wrong (copy the token again from @BotFather)`;
        return { ok: false, line };
      }
      const cause =
        error instanceof HttpError
          ? causeOf(error)
          : error instanceof GrammyError
            ? `${error.error_code} ${error.description}`
            : "unexpected answer";
      logger.warn(
        `cannot reach Telegram at ${host} (${cause}); trying again in ${wait / 1000} s. No network here? \`npm run sandbox\` runs the bot against local fakes of Telegram and the exchange.`,
      );
      await sleep(wait);
    }
  }
}
