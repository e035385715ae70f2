import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Literal values that must never reach a log line, such as the bot token (grammY puts it in request URLs). */
  neverLog: string[];
  destination?: DestinationStream;
}

/**
 * Structured logs with two guards: field redaction for anything shaped like a credential,
 * and a last-line scrub of known literal secrets in the serialized line, which catches
 * them even inside error messages and URLs we did not write ourselves.
 */
export function createLogger({ level, neverLog, destination = pino.destination(1) }: LoggerOptions): Logger {
  const literals = neverLog.filter((value) => value.length >= 8);
  const scrubbed: DestinationStream = {
    write(line: string) {
      let safe = line;
      for (const literal of literals) safe = safe.replaceAll(literal, "[redacted]");
      destination.write(safe);
    },
  };
  return pino(
    {
      level,
      redact: {
        paths: [
          "apiKey",
          "apiSecret",
          "secret",
          "token",
          "*.apiKey",
          "*.apiSecret",
          "*.secret",
          "*.token",
          "*.headers",
        ],
        censor: "[redacted]",
      },
      serializers: { err: describeError },
    },
    scrubbed,
  );
}

/**
 * Our own error types whose messages we wrote and that never hold data (a key, a request, a
 * body): they say `readonly safeMessage = true`, and only they are logged with their message.
 */
export interface SafeMessage {
  readonly safeMessage: true;
}

const hasSafeMessage = (error: Error) => (error as Partial<SafeMessage>).safeMessage === true;
/** A code word, never free text: ECONNREFUSED, a Redis reply's OOM or READONLY, Telegram's 429. */
const CODE = /^[A-Z][A-Z0-9_]{1,31}$/;

export interface LoggedError {
  type: string;
  /** Only for our own error types (SafeMessage). */
  message?: string;
  /** A system error's code, or the first word of a Redis error reply. */
  code?: string;
  /** What Telegram answered (GrammyError): its code, and which method. */
  status?: number;
  method?: string;
}

/**
 * Errors are logged by name, never by message: third-party messages quote what they were given
 * (a JSON SyntaxError holds the start of the body it could not parse, the Bybit SDK's errors the
 * request with key and secret). Our own error types add their message; others add a code word.
 */
export function describeError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error };
  const described: LoggedError = { type: error.name };
  if (hasSafeMessage(error)) described.message = error.message;
  const fields = error as { code?: unknown; error_code?: unknown; method?: unknown; error?: unknown };
  if (typeof fields.code === "string" && CODE.test(fields.code)) described.code = fields.code;
  // An ioredis ReplyError: Redis' own first word says what went wrong.
  const word = error.name === "ReplyError" ? /^[A-Z]+/.exec(error.message)?.[0] : undefined;
  if (word && CODE.test(word)) described.code = word;
  if (typeof fields.error_code === "number") described.status = fields.error_code;
  if (typeof fields.method === "string" && /^\w{1,40}$/.test(fields.method)) described.method = fields.method;
  // grammY's HttpError wraps the network error: its code.
  const inner = fields.error as { code?: unknown } | undefined;
  if (described.code === undefined && typeof inner?.code === "string" && CODE.test(inner.code))
    described.code = inner.code;
  return described;
}
