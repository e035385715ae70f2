import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { build, stop as stopEsbuild } from "esbuild";
import type { Logger } from "pino";
import type { MessageAddress } from "./carriers.js";
import type { DeleteOutcome } from "./fast-delete.js";
import type { FromIntake, IntakeData, ToIntake } from "./intake-protocol.js";
import { idOf, type FirstRequest } from "./shredding.js";

/** A batch as long polling's thread fetched it, its credential messages' first deletion requests already out. */
export interface Fetched {
  status: number;
  text: string;
  firsts: { message: MessageAddress; first: FirstRequest }[];
}

/** getUpdates on a thread of its own (intake-thread.ts), started at the first call and ended by an abort. */
export interface IntakeThread {
  /** Rejects when no answer came (network, timeout: a NoAnswer), the thread failed, or `signal` aborts. */
  getUpdates(payload: Record<string, unknown>, signal?: AbortSignal): Promise<Fetched>;
  /** False while the last thread started could not load its code: no updates come in, whatever the runner says. */
  healthy(): boolean;
}

/** Telegram gave getUpdates no answer (network, timeout): a failure of the Bot API call, not of the thread. */
export class NoAnswer extends Error {}

/**
 * The thread's code, bundled once into plain JavaScript by esbuild (on which tsx runs the service):
 * 12 KB, about 45 ms at the first poll. A thread does not inherit tsx's hooks, and loading them in
 * it cost 42 MB of memory where a thread of plain JavaScript costs 11 MB (measured); it also
 * looked tsx up from the working directory. Bundled from beside this code, wherever it was started.
 * esbuild's service is stopped once it is done: left running, its process and the thread that
 * talks to it cost about 2 ms of CPU a second for as long as the bot ran (measured, idle).
 */
let bundled: Promise<string> | undefined;
function threadCode(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL("./intake-thread.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  })
    .then(
      (result) => result.outputFiles[0]!.text,
      (error: unknown) => {
        bundled = undefined;
        throw error;
      },
    )
    .finally(() => void stopEsbuild());
  return bundled;
}
/** What `promise` gives, or undefined as soon as `signal` aborts. `promise` must not reject. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return promise;
  return new Promise((resolve) => {
    const aborted = () => resolve(undefined);
    signal.addEventListener("abort", aborted, { once: true });
    void promise.then((value) => (signal.removeEventListener("abort", aborted), resolve(value)));
  });
}
const RETRY: DeleteOutcome = { result: "retry" };

interface Outcome {
  promise: Promise<DeleteOutcome>;
  settle(outcome: DeleteOutcome): void;
  /** Requests handed to the main thread, and outcomes heard: forgotten once they match. */
  claims: number;
  heard: number;
}

/** One thread, and what is owed to the main thread while it lives. */
function spawn(code: string, data: IntakeData, logger: Logger, started: (ok: boolean) => void) {
  const thread = new Worker(code, { eval: true, workerData: data });
  // Never what keeps the process alive: polling stops by an abort, and a stop ends it.
  thread.unref();
  const calls = new Map<number, { resolve(fetched: Fetched): void; reject(error: Error): void }>();
  const outcomes = new Map<string, Outcome>();
  const outcomeOf = (key: string): Outcome => {
    let known = outcomes.get(key);
    if (!known) {
      let settle!: (outcome: DeleteOutcome) => void;
      const promise = new Promise<DeleteOutcome>((resolve) => (settle = resolve));
      known = { promise, settle, claims: 0, heard: 0 };
      outcomes.set(key, known);
    }
    return known;
  };
  const tidy = (key: string, known: Outcome) => {
    // An outcome can come before its batch is handed over (the request answered while others still go out).
    if (known.claims > 0 && known.heard >= known.claims) outcomes.delete(key);
  };
  let ended = false;
  let ready = false;
  const end = (error: Error) => {
    if (ended) return;
    ended = true;
    for (const call of calls.values()) call.reject(error);
    // A request whose answer died with the thread: the shredder asks again, from this thread.
    for (const known of outcomes.values()) known.settle(RETRY);
  };
  thread.on("message", (message: FromIntake) => {
    if (message.kind === "ready") return void ((ready = true), started(true));
    if (message.kind === "deleted") {
      for (const [key, outcome] of message.outcomes) {
        const known = outcomeOf(key);
        known.heard += 1;
        known.settle(outcome);
        tidy(key, known);
      }
      return;
    }
    const call = calls.get(message.id);
    calls.delete(message.id);
    if (message.kind === "failed") return call?.reject(new NoAnswer("getUpdates got no answer from Telegram"));
    const firsts = message.shredded.map(({ address, issuedAfterMs }) => {
      const key = idOf(address);
      const known = outcomeOf(key);
      known.claims += 1;
      tidy(key, known);
      return { message: address, first: { outcome: known.promise, onWire: Promise.resolve(), issuedAfterMs } };
    });
    call?.resolve({ status: message.status, text: message.text, firsts });
  });
  thread.on("error", (error) => {
    // By kind and code (ERR_INVALID_URL: a TELEGRAM_API_ROOT the thread cannot use), never the message.
    if (ready) logger.error({ err: error }, "long polling's thread failed; starting another");
    else {
      started(false);
      logger.error({ err: error }, "long polling's thread could not start; no updates come in until it does");
    }
    end(new Error("long polling's thread failed"));
  });
  thread.on("exit", () => end(new Error("long polling's thread stopped")));
  return {
    thread,
    calls,
    get ended() {
      return ended;
    },
  };
}

export function createIntakeThread(data: IntakeData, logger: Logger): IntakeThread {
  let current: ReturnType<typeof spawn> | undefined;
  let startFailed = false;
  const started = (ok: boolean) => (startFailed = !ok);
  let nextId = 0;
  /**
   * Polling stops: the thread goes with it (the next call starts a new one); deletions it had under
   * way are asked again here. Whenever the signal aborts, not only during a call: the runner stops
   * as often while a batch is handled or while it waits to try again, and the thread was left running.
   */
  const stop = () => {
    void current?.thread.terminate();
    current = undefined;
  };
  const watched = new WeakSet<AbortSignal>();
  return {
    healthy: () => !startFailed,
    async getUpdates(payload, signal) {
      const abortError = () => (signal?.reason as Error | undefined) ?? new Error("getUpdates aborted");
      // Stopped already (a poll after the runner's retry wait): no thread is started for it.
      if (signal?.aborted) {
        stop();
        throw abortError();
      }
      if (signal && !watched.has(signal)) {
        watched.add(signal);
        signal.addEventListener("abort", stop, { once: true });
      }
      if (!current || current.ended) {
        const bundle = await unlessAborted(
          threadCode().then(
            (code) => ({ code }),
            (error: Error) => ({ error }),
          ),
          signal,
        );
        // Stopped while the code was bundled: at once, not once the bundle is done; it goes on for the next poll.
        if (!bundle || signal?.aborted) {
          stop();
          throw abortError();
        }
        if ("error" in bundle) {
          // Its code could not be bundled (esbuild missing, a file unreadable): tried again at the next poll.
          started(false);
          logger.error(
            { err: bundle.error },
            "long polling's thread could not start; no updates come in until it does",
          );
          throw bundle.error;
        }
        if (!current || current.ended) current = spawn(bundle.code, data, logger, started);
      }
      const { thread, calls } = current;
      const id = (nextId += 1);
      return new Promise<Fetched>((resolve, reject) => {
        const aborted = () => {
          calls.delete(id);
          reject(abortError());
        };
        const done = () => signal?.removeEventListener("abort", aborted);
        calls.set(id, {
          resolve: (fetched) => (done(), resolve(fetched)),
          reject: (error) => (done(), reject(error)),
        });
        signal?.addEventListener("abort", aborted, { once: true });
        thread.postMessage({ kind: "fetch", id, payload } satisfies ToIntake);
      });
    },
  };
}
