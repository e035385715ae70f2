import { when, type OpsDeps } from "./deps.js";

export interface AuditQuery {
  userId?: number;
  /** Epoch ms. */
  since?: number;
}

type Entry = { at: number; fields: Record<string, string> };

const toEntries = (raw: [string, string[]][]): Entry[] =>
  raw.map(([id, list]) => {
    const fields = Object.fromEntries(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i]!, list[2 * i + 1]!]));
    return { at: Number(fields.at ?? id.split("-")[0]), fields };
  });

const DETAILS = ["by", "reason", "revokedVerified", "previousMaskedKey"];

/** Key events and refused opens, oldest first: who, which key (masked), what, when. Never key material. */
export async function auditTrail(deps: OpsDeps, { userId, since = 0 }: AuditQuery): Promise<string> {
  const start = `${since}-0`;
  const [events, refusals] = await Promise.all([deps.redis.xrange(deps.events.stream, start, "+"), deps.redis.xrange(deps.auditStream, start, "+")]);
  const entries = [...toEntries(events), ...toEntries(refusals)]
    .filter((entry) => userId === undefined || entry.fields.userId === String(userId))
    .sort((a, b) => a.at - b.at);
  if (entries.length === 0) return "no entries";
  return entries
    .map(({ at, fields }) => {
      const key = fields.maskedKey ? ` key ${fields.maskedKey}${fields.name ? ` "${fields.name}"` : ""}` : "";
      const details = DETAILS.filter((name) => fields[name]).map((name) => ` ${name}=${fields[name]}`).join("");
      return `${when(at)}  follower ${fields.userId}  ${fields.type}${key}${details}`;
    })
    .join("\n");
}
