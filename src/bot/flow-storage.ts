import { conversations, type ConversationData, type VersionedState } from "@grammyjs/conversations";
import { RedisAdapter } from "@grammyjs/storage-redis";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RedisClient } from "../infra/redis.js";
import { FLOW_STATE_MAX_BYTES, FLOW_STATE_TTL_SECONDS } from "../policy/flows.js";
import { FLOW_STATE_PREFIX, sealedStorage } from "../vault/sealed-storage.js";
import type { Sealer } from "../vault/sealer.js";
import type { BotContext } from "./context.js";

/**
 * The conversations plugin over the flows' state in Redis. The state holds the messages with the key and
 * secret: sealed, and gone soon after the flow's time is up.
 */
export function flowConversations(deps: { redis: RedisClient; sealer: Sealer; logger: Logger }) {
  return conversations<BotContext, BotContext>({
    storage: {
      type: "key",
      prefix: FLOW_STATE_PREFIX,
      adapter: sealedStorage<VersionedState<ConversationData>>(
        // Typed for one server; it sends only GET, SET and DEL of one key, which a Cluster serves alike.
        new RedisAdapter<string>({ instance: deps.redis as Redis, ttl: FLOW_STATE_TTL_SECONDS }),
        deps.sealer,
        "conversation",
        // Logged by kind only: the message of a JSON error could quote the stored bytes.
        (key, error) =>
          deps.logger.warn({ key, error: error.name }, "dropped conversation state that could not be opened"),
        FLOW_STATE_MAX_BYTES,
      ),
    },
  });
}
