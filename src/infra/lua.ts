import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

type ScriptArg = string | number | Buffer;
type Defined = Record<string, (...args: ScriptArg[]) => Promise<unknown>>;

/** The command name each script source is defined under: its SHA-1, so that one source is one command. */
const names = new Map<string, string>();
/** The scripts each client knows as commands. */
const defined = new WeakMap<RedisClient, Set<string>>();

/**
 * Runs a Lua script as `evalCached(redis, source, numKeys, ...args)` would, but through ioredis's
 * `defineCommand`: EVALSHA, with the source sent once per connection (and again only on
 * NOSCRIPT, after a restart or SCRIPT FLUSH). With EVAL the whole source crossed the wire on
 * every call, and Redis hashed it every time: a profile of a 200-follower connect wave had
 * writing those strings at the top of the bot's self time (writeUtf8String), and a follower's
 * connect cost 21 KB of Redis traffic. Works on a Redis Cluster too (the keys' slot picks the node).
 */
export function evalCached(
  redis: RedisClient,
  source: string,
  numKeys: number,
  ...args: ScriptArg[]
): Promise<unknown> {
  let name = names.get(source);
  if (name === undefined) {
    name = `lua${createHash("sha1").update(source).digest("hex")}`;
    names.set(source, name);
  }
  let known = defined.get(redis);
  if (known === undefined) defined.set(redis, (known = new Set()));
  if (!known.has(name)) {
    redis.defineCommand(name, { lua: source });
    known.add(name);
  }
  return (redis as unknown as Defined)[name]!(numKeys, ...args);
}
