import { followerKeys } from "../infra/redis-keys.js";
import { createIncidents } from "../stores/incident.js";
import { when, type OpsDeps } from "./deps.js";

/**
 * After `freeze-all`: how many followers were told, how many deleted their key (Bybit confirmed it),
 * and how many have not yet: whom to chase. Empty when there was no incident.
 */
export async function incidentLines(deps: OpsDeps): Promise<string[]> {
  const incidents = createIncidents(deps.redis);
  const incident = await incidents.current();
  if (!incident) return [];
  const [{ owed, unreachable }, frozen] = await Promise.all([incidents.counts(), incidents.frozenKeys()]);
  let open = 0;
  let verified = 0;
  for (const [userId, ref] of frozen) {
    const keys = followerKeys(userId);
    if (await deps.redis.exists(keys.panic(ref))) open += 1;
    else if ((await deps.redis.hget(keys.revokedKey, "revokedVerified")) === "yes") verified += 1;
  }
  return [
    `incident (freeze-all) of ${when(incident.frozenBefore)} by ${incident.by}: ${frozen.length} keys frozen, ` +
      `${Math.max(0, frozen.length - owed - unreachable)} followers told, ${unreachable} could not be reached, ` +
      `${owed} notices still owed`,
    `  deleted in Bybit, confirmed: ${verified}; still to delete (flow open): ${open}; ` +
      `ended unconfirmed (forgotten, or a day passed): ${frozen.length - open - verified}`,
  ];
}
