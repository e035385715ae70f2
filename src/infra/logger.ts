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
        paths: ["apiKey", "apiSecret", "secret", "token", "*.apiKey", "*.apiSecret", "*.secret", "*.token", "*.headers"],
        censor: "[redacted]",
      },
      serializers: { err: describeError },
    },
    scrubbed,
  );
}

/**
 * Errors are logged by name and message only: third-party errors carry request options,
 * headers and bodies (the Bybit SDK's include the key and secret).
 */
function describeError(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: typeof error, message: "non-Error value thrown" };
}
