import type { Logger } from "pino";
import type { EventOutbox } from "../events/outbox.js";
import type { KeyIdentity } from "../infra/key-fields.js";
import type { RedisClient } from "../infra/redis.js";
import type { CredentialRecord } from "../stores/credential-store.js";
import type { KeyDenylist } from "../stores/denylist.js";
import { createKeyHolders, freezeSharedCopy } from "../stores/key-holders.js";
import type { WatchNotice } from "./findings.js";
import type { KeyLooks, Reminders } from "../reminders/schedule.js";

/**
 * One key, one follower: a key seen in two slots has been shared or has leaked. Connecting
 * refuses it (the credential store claims the key in the index first); what got in anyway (data
 * from before the index, a freeze of one copy) is settled here: the key is denied for good, every
 * copy is frozen (its reminders and watch cancelled, its "frozen" event written), and each of
 * those followers is owed a notice, sent by the key watch as its own notices are (claimed for
 * the send, owed until Telegram takes it).
 */
export interface SharedKeys {
  /** After the follower's copy was frozen or denied (/panic, the watch): every other copy goes too. How many. */
  freezeOthers(record: Pick<CredentialRecord, "userId" | "exchange" | "site" | "exchangeKeyId">): Promise<number>;
  /** An active key denied, or held in another slot too, is settled (this copy too): true if so. Indexes old keys. */
  inspect(record: CredentialRecord): Promise<boolean>;
}

export interface SharedKeysDeps {
  redis: RedisClient;
  denylist: KeyDenylist;
  reminders: Reminders;
  /** The key watch sends each follower the notice owed (`lookNow` on the frozen copy). */
  looks: KeyLooks;
  events?: EventOutbox;
  logger: Logger;
}

const SHARED: WatchNotice = { kind: "shared" };

export function createSharedKeys({ redis, denylist, reminders, looks, events, logger }: SharedKeysDeps): SharedKeys {
  const holders = createKeyHolders(redis);

  /** Denied first: from then on the engine refuses every copy, whatever happens to the rest of this. */
  async function settle(key: KeyIdentity, userIds: number[]): Promise<number> {
    await denylist.add(key);
    const frozen: { userId: number; ref: string }[] = [];
    for (const userId of new Set([...userIds, ...(await holders.named(key))])) {
      const ref = await freezeSharedCopy(redis, userId, key, JSON.stringify(SHARED));
      if (ref === null) {
        await holders.release(userId, key);
        continue;
      }
      frozen.push({ userId, ref });
      await events?.nudge(userId);
      await reminders.cancel({ userId, ref });
    }
    if (frozen.length > 0) {
      const why =
        "a key was found in more than one follower's slot, or denied: every copy is frozen, each follower told";
      logger.warn({ followers: frozen.length }, why);
      await looks.lookNow(frozen);
    }
    return frozen.length;
  }

  return {
    async freezeOthers({ userId, exchange, site, exchangeKeyId }) {
      const key = { exchange, site, exchangeKeyId };
      const others = await holders.others(userId, key);
      const frozen = others.length > 0 ? await settle(key, others) : 0;
      await holders.release(userId, key, "own");
      return frozen;
    },

    async inspect(record) {
      if (!record.exchangeKeyId) return false;
      const { userId, exchange, site, exchangeKeyId } = record;
      const key = { exchange, site, exchangeKeyId };
      await holders.ensure(userId, key);
      if (record.status !== "active") return false;
      const [denied, others] = await Promise.all([denylist.has(key), holders.others(userId, key)]);
      if (!denied && others.length === 0) return false;
      await settle(key, [userId, ...others]);
      return true;
    },
  };
}
