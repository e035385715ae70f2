import { ANSWERS_ABOUT_KEY, type ExchangeFailure, type KeyInspection, type KeyReading } from "../port.js";
import type { BybitSite } from "./sites.js";

/** Answers that mean the host knows the key (only its secret, binding or age is wrong). */
const knowsKey = (failure: ExchangeFailure) => failure !== "invalid-key" && ANSWERS_ABOUT_KEY.has(failure);

export interface SiteProbe {
  /** The key checked on the main site, equity and all. */
  inspectMain(): Promise<KeyInspection>;
  /** query-api alone on another site. */
  read(site: BybitSite): Promise<KeyReading>;
  equity(site: BybitSite): Promise<string | null>;
  /** Whether the other sites may be asked now (the follower's searches are counted); default yes. */
  mayFindSite?(): Promise<boolean>;
  /** A key issued to the operator's broker app: a site that takes only listed apps' keys is no bar. */
  issuedToApp?: boolean;
}

/**
 * Finds the site whose host knows a key, without asking the follower: the main site first (a global
 * key never causes a request to a regional host); when it does not know the key (10003), every other
 * site at once, each request in the shared budget. The first site, in the table's order, that knows
 * the key decides: its answer, or the honest refusal of a site this service cannot serve (Bybit EU,
 * where a key made for a listed app answers 10010 from here). No site knowing it, and one of them
 * not answering: the key may be there, so that failure, naming the silent site, never "unknown key".
 */
export async function findSite(sites: readonly BybitSite[], probe: SiteProbe): Promise<KeyInspection> {
  const main = await probe.inspectMain();
  if (main.ok || main.failure !== "invalid-key") return main;
  if (probe.mayFindSite && !(await probe.mayFindSite())) return { ...main, site: sites[0]!.id, searched: false };
  const others = sites.slice(1);
  const readings = await Promise.all(others.map(async (site) => ({ site, reading: await probe.read(site) })));
  const knowing = readings.find(({ reading }) => reading.ok || knowsKey(reading.failure));
  if (knowing) {
    const { site, reading } = knowing;
    if (site.refused && !probe.issuedToApp) return { ok: false, failure: "unsupported-site", site: site.id };
    if (!reading.ok) return { ok: false, failure: reading.failure, site: site.id };
    return { ok: true, key: reading.key, equityUsd: await probe.equity(site), site: site.id };
  }
  const unanswered = readings.find(({ reading }) => !reading.ok && reading.failure !== "invalid-key");
  // Named: the follower hears which site was silent, and that the global site does not know the key.
  return unanswered && !unanswered.reading.ok
    ? { ok: false, failure: unanswered.reading.failure, site: unanswered.site.id }
    : main;
}
