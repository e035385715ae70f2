import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

type ScriptArg = string | number | Buffer;

/** Each script source's SHA-1, worked out once. */
const shas = new Map<string, string>();

/**
 * Runs a Lua script as `redis.eval(source, numKeys, ...args)` would, but by EVALSHA: the source
 * crosses the wire only when Redis does not know it yet (NOSCRIPT: after a restart or SCRIPT
 * FLUSH, or on a cluster node that never ran it), and then once. With EVAL the whole source crossed
 * the wire on every call and Redis hashed it every time: a profile of a 200-follower connect wave
 * had writing those strings at the top of the bot's self time, and a follower's connect cost 21 KB
 * of Redis traffic. Plain commands rather than ioredis's defineCommand, whose methods are missing
 * from an auto-pipeline made before the script was first defined. On a cluster, the keys' slot
 * picks the node, for EVALSHA and EVAL alike.
 */
export async function evalCached(
  redis: RedisClient,
  source: string,
  numKeys: number,
  ...args: ScriptArg[]
): Promise<unknown> {
  let sha = shas.get(source);
  if (sha === undefined) {
    sha = createHash("sha1").update(source).digest("hex");
    shas.set(source, sha);
  }
  try {
    return await redis.evalsha(sha, numKeys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.eval(source, numKeys, ...args);
  }
}
