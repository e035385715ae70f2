import { oneLine, when, type OpsDeps } from "./deps.js";

export interface AuditQuery {
  userId?: number;
  /** Epoch ms. */
  since?: number;
}

type Entry = { at: number; fields: Record<string, string> };

const toEntries = (raw: [string, string[]][]): Entry[] =>
  raw.map(([id, list]) => {
    const fields = Object.fromEntries(
      Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i]!, list[2 * i + 1]!]),
    );
    return { at: Number(fields.at ?? id.split("-")[0]), fields };
  });

/** Shown after the key, in this order, when an entry has them. */
const DETAILS = [
  "by",
  "reason",
  "reasons",
  "kind",
  "revokedVerified",
  "previousMaskedKey",
  "entry",
  "resealed",
  "alreadyNew",
  "changedMeanwhile",
  "unopenable",
  "sealedWithOld",
];

/** A page of the stream at a time: one XRANGE of the whole trail would block Redis and fill memory. */
const PAGE = 1000;

/** The audit trail, both streams merged, oldest first: who, which key (masked), what, when, why. Never key material. */
export async function auditTrail(deps: OpsDeps, query: AuditQuery): Promise<string> {
  const seen = new Set<string>();
  const entries: Entry[] = [];
  for (const stream of [deps.audit.stream, deps.audit.activityStream])
    await readStream(deps, stream, query, seen, entries);
  // A stable sort: entries of the same millisecond keep the order they were written in.
  entries.sort((a, b) => a.at - b.at);
  return render(entries);
}

/** One stream's entries from `since`, of the follower if named, each relayed event once. */
async function readStream(
  deps: OpsDeps,
  stream: string,
  { userId, since = 0 }: AuditQuery,
  seen: Set<string>,
  entries: Entry[],
): Promise<void> {
  // An entry is written a few ms after its `at` (the relay): start reading a minute early, then filter.
  let start = `${Math.max(0, since - 60_000)}-0`;
  for (;;) {
    const page = await deps.redis.xrange(stream, start, "+", "COUNT", PAGE);
    for (const entry of toEntries(page)) {
      if (entry.at < since || (userId !== undefined && entry.fields.userId !== String(userId))) continue;
      // The relay sends an event again after a crash, with the same eventId.
      const eventId = entry.fields.eventId;
      if (eventId !== undefined && seen.has(eventId)) continue;
      if (eventId !== undefined) seen.add(eventId);
      entries.push(entry);
    }
    if (page.length < PAGE) break;
    start = `(${page.at(-1)![0]}`;
  }
}

function render(entries: Entry[]): string {
  if (entries.length === 0) return "no entries";
  return entries
    .map(({ at, fields: raw }) => {
      const fields = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, oneLine(value)]));
      const who = fields.userId ? `follower ${fields.userId}` : "operator";
      const key = fields.maskedKey ? ` key ${fields.maskedKey}${fields.name ? ` "${fields.name}"` : ""}` : "";
      const details = DETAILS.filter((name) => fields[name])
        .map((name) => ` ${name}=${fields[name]}`)
        .join("");
      return `${when(at)}  ${who}  ${fields.type}${key}${details}`;
    })
    .join("\n");
}
