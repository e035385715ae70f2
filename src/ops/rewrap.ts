import { dataNodes } from "../infra/redis.js";
import type { Keyring } from "../vault/keyring.js";
import { livingKeyrings, type LivingKeyring } from "../vault/keyring-presence.js";
import { countByEntry, rewrapAll } from "../stores/rewrap.js";
import type { Sealer } from "../vault/sealer.js";
import { when, type OpsDeps } from "./deps.js";
import { progressBar } from "./progress.js";

const number = (value: number) => value.toLocaleString("en-US");
/** At most five, then how many more. */
const listed = (items: string[]) =>
  items.length <= 5 ? items.join(", ") : `${items.slice(0, 5).join(", ")} and ${items.length - 5} more`;

/** Why re-sealing with `newest` now would hurt: a running process that cannot open it, or does not seal with it yet. */
function unready(living: LivingKeyring[], newest: string): string[] {
  return living.flatMap(({ process, entries }) =>
    !entries.includes(newest)
      ? [
          `${process} lacks "${newest}": it could not open what rewrap re-seals. Give it SEAL_KEYS with "${newest}" and restart it.`,
        ]
      : entries[0] !== newest
        ? [`${process} still seals with "${entries[0]}": put "${newest}" first in its SEAL_KEYS and restart it.`]
        : [],
  );
}

/**
 * `rewrap`: re-seals every stored record with the newest keyring entry (the first of SEAL_KEYS),
 * with a progress bar on stderr, then counts what each entry still seals, so the operator knows
 * when an older entry can go. Refuses while a running process could not open the newest entry or
 * does not seal with it yet (`force` overrides). `ok` is false when something still needs doing.
 */
export async function rewrapCommand(
  deps: OpsDeps & { sealer: Sealer },
  keyring: Keyring,
  options: { batch?: number; force?: boolean } = {},
): Promise<{ report: string; ok: boolean }> {
  const { redis, sealer, audit } = deps;
  const newest = keyring.active.id;
  const living = await livingKeyrings(redis);
  const problems = unready(living, newest);
  if (problems.length > 0 && !options.force) {
    return {
      ok: false,
      report: [
        "Not re-sealing: a running process is not ready for it.",
        ...problems,
        "Then run rewrap again (or add --force if those processes are gone).",
      ].join("\n"),
    };
  }
  let total = 0;
  for (const node of await dataNodes(redis)) total += await node.dbsize();
  const bar = progressBar();
  const startedAt = Date.now();
  const { counts, resumedFrom } = await rewrapAll({
    redis,
    sealer,
    newestEntry: newest,
    batch: options.batch,
    onStart: () => audit.record({ type: "rewrap-started", details: { entry: newest } }),
    onProgress: (so) =>
      bar.show(
        so.looked,
        total,
        `${number(so.looked)} of ~${number(total)} keys looked at, ${number(so.resealed)} re-sealed`,
      ),
  });
  bar.end();
  const seconds = (Date.now() - startedAt) / 1000;
  const remaining = await countByEntry(redis, sealer);
  const older = [...keyring.byId.keys()].filter((entry) => entry !== newest);
  const sealedWithOld = older.reduce((sum, entry) => sum + (remaining.get(entry) ?? 0), 0);
  const unknown = [...remaining].filter(([entry]) => !keyring.byId.has(entry));
  await audit.record({
    type: "rewrap-finished",
    details: {
      entry: newest,
      resealed: counts.resealed,
      alreadyNew: counts.alreadyNew,
      changedMeanwhile: counts.changedMeanwhile,
      unopenable: counts.unopenable,
      sealedWithOld,
    },
  });

  const verdict =
    unknown.length > 0
      ? `${number(unknown.reduce((sum, [, count]) => sum + count, 0))} records are sealed with entries this SEAL_KEYS lacks (${listed(unknown.map(([entry]) => `"${entry}"`))}): run rewrap with the service's SEAL_KEYS, and retire nothing until then.`
      : older.length === 0
        ? "SEAL_KEYS has one entry: nothing older to retire."
        : sealedWithOld === 0
          ? `No record is sealed with an older entry: remove ${older.map((entry) => `"${entry}"`).join(", ")} from SEAL_KEYS and restart every process.`
          : `${number(sealedWithOld)} records are still sealed with older entries: keep them in SEAL_KEYS. Is every process running with "${newest}" first? Then run rewrap again.`;
  const report = [
    ...(living.length === 0 ? ["(no running process announced its keyring: stopped, or older than this version)"] : []),
    ...(resumedFrom
      ? [`went on from a run begun ${when(resumedFrom.startedAt)} (${number(resumedFrom.looked)} keys looked at then)`]
      : []),
    `re-sealed with "${newest}": ${number(counts.resealed)} records in ${seconds.toFixed(1)} s (${number(Math.round(counts.resealed / Math.max(seconds, 0.001)))} records/s); ${number(counts.alreadyNew)} had it already`,
    ...(counts.changedMeanwhile > 0
      ? [
          `changed by the service while being re-sealed, left as they were: ${number(counts.changedMeanwhile)} (run rewrap again)`,
        ]
      : []),
    ...(counts.unopenable > 0
      ? [`sealed with an entry this SEAL_KEYS lacks, or damaged, left as they were: ${number(counts.unopenable)}`]
      : []),
    `sealed records by keyring entry now: ${[newest, ...older]
      .map((entry, i) => `${entry}${i === 0 ? " (newest)" : ""} ${number(remaining.get(entry) ?? 0)}`)
      .concat(
        unknown.length > 0
          ? [listed(unknown.map(([entry, count]) => `${entry} (not in this SEAL_KEYS) ${number(count)}`))]
          : [],
      )
      .join(", ")}`,
    verdict,
  ].join("\n");
  return { report, ok: unknown.length === 0 && sealedWithOld === 0 };
}
