import { scanKeys } from "../infra/redis.js";
import { when, type OpsDeps } from "./deps.js";
import { incidentLines } from "./incident-status.js";

/** Followers by key status, reminders and key watches pending, the oldest reminder due, events waiting. */
export async function serviceStats(deps: OpsDeps): Promise<string> {
  const { redis } = deps;
  const byStatus = new Map<string, number>();
  for await (const { keys } of scanKeys(redis, "follower:{*}:credential", { count: 1000 })) {
    const statuses = await Promise.all(keys.map((key) => redis.hget(key, "status")));
    for (const status of statuses) byStatus.set(status ?? "active", (byStatus.get(status ?? "active") ?? 0) + 1);
  }
  const [reminders, watches, schedulers, oldest, pendingFollowers, streamLength] = await Promise.all([
    deps.reminders.getJobCounts("delayed", "waiting", "active", "failed"),
    deps.watch.getJobCounts("delayed", "waiting", "active", "failed"),
    deps.watch.getJobSchedulersCount(),
    deps.reminders.getDelayed(0, 0),
    redis.zcard(deps.events.pending),
    redis.xlen(deps.events.stream),
  ]);
  const total = [...byStatus.values()].reduce((sum, count) => sum + count, 0);
  const incident = await incidentLines(deps);
  const first = oldest[0];
  return [
    `followers with a key: ${total}${[...byStatus]
      .sort()
      .map(([status, count]) => `, ${status} ${count}`)
      .join("")}`,
    `reminders: ${reminders.delayed} scheduled, ${reminders.waiting} due now, ${reminders.active} being sent, ${reminders.failed} failed`,
    `oldest reminder due: ${first ? when(first.timestamp + (first.opts.delay ?? 0)) : "none"}`,
    `key watch: ${schedulers} keys watched; ${(watches.waiting ?? 0) + (watches.delayed ?? 0)} looks waiting, ${watches.failed} failed`,
    `key events: ${pendingFollowers} followers with events waiting for the relay; ${streamLength} in the engine's stream`,
    ...incident,
  ].join("\n");
}
