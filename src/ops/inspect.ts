import { reminderJobId, sentMarkerKey } from "../reminders/schedule.js";
import { REMINDER_KINDS } from "../policy/rotation.js";
import { credentialKey, toRecord } from "../stores/credential-store.js";
import { identityIn } from "../infra/key-fields.js";
import { followerKeys } from "../infra/redis-keys.js";
import { oneLine, when, type OpsDeps } from "./deps.js";

/** The keyring entry that sealed a blob, from its header (nothing decrypted). */
function entryOf(deps: OpsDeps, sealed: Buffer | null | undefined): string {
  if (!sealed) return "none (nothing sealed)";
  if (!deps.sealer) return "unknown (SEAL_KEYS not set)";
  try {
    return `${deps.sealer.keyIdOf(sealed)} (${deps.sealer.knowsKeyOf(sealed) ? "held" : "NOT held by this keyring"})`;
  } catch {
    return "damaged";
  }
}

/** A /panic flow's frozen key, masked, and the keyring entries of what it keeps sealed (the key, the account's snapshot). */
async function frozenKey(deps: OpsDeps, userId: number, ref: string): Promise<string[]> {
  const { sealed, snapshot, ...raw } = await deps.redis.hgetallBuffer(followerKeys(userId).panic(ref));
  const fields = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value.toString("utf8")]));
  if (!fields.ref) return [`  flow ${ref}: gone (its day is over)`];
  const { exchange, exchangeKeyId } = identityIn(fields);
  return [
    `  flow ${ref}: frozen ${when(Number(fields.frozenAt))}, "${oneLine(fields.name ?? "")}" (${fields.maskedKey ?? ""}), ${fields.keyType ?? "hmac"}, ${oneLine(exchange)} key id ${oneLine(exchangeKeyId)}`,
    `    key sealed with keyring entry ${entryOf(deps, sealed)}; account snapshot: ${fields.snapshotState ?? "pending"}${snapshot ? `, sealed with ${entryOf(deps, snapshot)}` : ""}`,
  ];
}

/** Everything stored about one follower, without a secret: their key, reminders, watch, /panic flows, events in flight. */
export async function inspectFollower(deps: OpsDeps, userId: number): Promise<string> {
  const { redis } = deps;
  const keys = followerKeys(userId);
  const [fields, sealed, panicRefs, revoked, outbox] = await Promise.all([
    redis.hgetall(credentialKey(userId)),
    redis.hgetBuffer(credentialKey(userId), "sealed"),
    redis.smembers(keys.panics),
    redis.hgetall(keys.revokedKey),
    redis.xlen(keys.outbox),
  ]);
  const record = toRecord(fields);
  const lines = [`follower ${userId}`];
  if (!record) {
    lines.push("key: none");
  } else {
    const entry = entryOf(deps, sealed);
    lines.push(
      `key: ${record.status}, "${oneLine(record.name)}" (${record.maskedKey}), ${record.keyType}, ${oneLine(record.exchange)} key id ${oneLine(record.exchangeKeyId)}, ref ${record.ref}`,
      `  permissions: ${
        Object.entries(record.permissions)
          .map(([group, list]) => `${group} (${list.join(", ")})`)
          .join("; ") || "none"
      }`,
      `  created ${when(record.createdAt)}, expires ${when(record.expiresAt)}, connected ${when(record.connectedAt)}`,
      `  sealed with keyring entry ${entry}`,
      ...(record.unreachableSince ? [`  unreachable since ${when(record.unreachableSince)} (blocked the bot)`] : []),
    );
    for (const kind of REMINDER_KINDS) {
      const [job, marker] = await Promise.all([
        deps.reminders.getJob(reminderJobId(kind, record.ref)),
        redis.get(sentMarkerKey({ userId, ref: record.ref, kind })),
      ]);
      const state = job ? `${await job.getState()}, due ${when(job.timestamp + (job.opts.delay ?? 0))}` : "no job";
      lines.push(`reminder ${kind}: ${marker === "sent" ? "sent" : (marker ?? state)}`);
    }
    const scheduler = await deps.watch.getJobScheduler(`watch-${record.ref}`);
    lines.push(
      `watch: ${scheduler ? `every ${Math.round((scheduler.every ?? 0) / 3_600_000)} h, next ${when(scheduler.next)}` : "none"}`,
    );
  }
  lines.push(`/panic flows open: ${panicRefs.length === 0 ? "none" : panicRefs.join(", ")}`);
  for (const ref of panicRefs.sort()) lines.push(...(await frozenKey(deps, userId, ref)));
  if (revoked.keyName)
    lines.push(
      `last frozen key: "${oneLine(revoked.keyName)}" (${revoked.maskedKey}), frozen ${when(Number(revoked.frozenAt))}, deletion confirmed by the exchange: ${revoked.revokedVerified}`,
    );
  lines.push(`events waiting for the relay: ${outbox}`);
  return lines.join("\n");
}
