import type { Keyring } from "../vault/keyring.js";
import { countByEntry, rewrapAll } from "../vault/rewrap.js";
import { dataNodes } from "../infra/redis.js";
import type { Sealer } from "../vault/sealer.js";
import type { OpsDeps } from "./deps.js";
import { when } from "./deps.js";
import { progressBar } from "./progress.js";

const number = (value: number) => value.toLocaleString("en-US");

/**
 * `rewrap`: re-seals every stored record with the newest keyring entry (the first of SEAL_KEYS),
 * with a progress bar on stderr, then counts what each entry still seals, so the operator knows
 * when an older entry can go. Returns the report for stdout.
 */
export async function rewrapCommand(deps: OpsDeps & { sealer: Sealer }, keyring: Keyring, batch?: number): Promise<string> {
  const { redis, sealer, audit } = deps;
  const newest = keyring.active.id;
  let total = 0;
  for (const node of await dataNodes(redis)) total += await node.dbsize();
  const bar = progressBar();
  await audit.record({ type: "rewrap-started", details: { entry: newest } });
  const startedAt = Date.now();
  const { counts, resumedFrom } = await rewrapAll({
    redis,
    sealer,
    newestEntry: newest,
    batch,
    onProgress: (so) => bar.show(so.looked, total, `${number(so.looked)} of ~${number(total)} keys looked at, ${number(so.resealed)} re-sealed`),
  });
  bar.end();
  const seconds = (Date.now() - startedAt) / 1000;
  const remaining = await countByEntry(redis, sealer);
  const older = [...keyring.byId.values()].filter((entry) => entry.id !== newest);
  const sealedWithOld = older.reduce((sum, entry) => sum + (remaining.get(entry.id) ?? 0), 0);
  await audit.record({ type: "rewrap-finished", details: { entry: newest, resealed: counts.resealed, alreadyNew: counts.alreadyNew, changedMeanwhile: counts.changedMeanwhile, unopenable: counts.unopenable, sealedWithOld } });

  const unknown = [...remaining].filter(([entry]) => entry !== newest && !older.some((known) => known.id === entry));
  return [
    ...(resumedFrom ? [`went on from a run begun ${when(resumedFrom.startedAt)} (${number(resumedFrom.looked)} keys looked at then)`] : []),
    `re-sealed with "${newest}": ${number(counts.resealed)} records in ${seconds.toFixed(1)} s (${number(Math.round(counts.resealed / Math.max(seconds, 0.001)))} records/s); ${number(counts.alreadyNew)} had it already`,
    ...(counts.changedMeanwhile > 0 ? [`changed by the service while being re-sealed, left as they were: ${number(counts.changedMeanwhile)} (run rewrap again)`] : []),
    ...(counts.unopenable > 0 ? [`sealed with an entry SEAL_KEYS lacks, or damaged: ${number(counts.unopenable)} (these cannot be opened by the service either)`] : []),
    `sealed records by keyring entry now: ${[`${newest} (newest) ${number(remaining.get(newest) ?? 0)}`, ...older.map((entry) => `${entry.id} ${number(remaining.get(entry.id) ?? 0)}`), ...unknown.map(([entry, count]) => `${entry} (not in SEAL_KEYS) ${number(count)}`)].join(", ")}`,
    older.length === 0
      ? "SEAL_KEYS has one entry: nothing older to retire."
      : sealedWithOld === 0
        ? `No record is sealed with an older entry: remove ${older.map((entry) => `"${entry.id}"`).join(", ")} from SEAL_KEYS and restart every process.`
        : `${number(sealedWithOld)} records are still sealed with older entries: keep them in SEAL_KEYS. Is every process running with "${newest}" first? Then run rewrap again.`,
  ].join("\n");
}
