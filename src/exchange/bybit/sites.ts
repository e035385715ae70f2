/**
 * Bybit's sites. An account registered on a regional site makes its keys there, and only that site's
 * API host knows them; no field of query-api names the site (kycRegion is the person's KYC country),
 * so a key's site is the host that accepts it. Hosts from Bybit's integration guide (docs/v5/guide);
 * the API-management pages of the regional sites follow bybit.com's path, which Bybit does not
 * document for them (docs/bybit-sites.md says what is confirmed and what is not).
 */
export interface BybitSite {
  id: string;
  /** As a follower reads it. */
  name: string;
  /** The REST host (mainnet). */
  apiUrl: string;
  /** Where the follower creates and deletes API keys. */
  apiManagementUrl: string;
  /**
   * Keys of this site cannot be connected by this service, and why. `listed-apps-only`: Bybit EU lets
   * API keys be made only for the third-party apps on its own list (a key bound to one answers 10010,
   * "Unmatched IP", from anywhere else).
   */
  refused?: "listed-apps-only";
}

const site = (id: string, name: string, domain: string, apiHost: string, extra: Partial<BybitSite> = {}) => ({
  id,
  name,
  apiUrl: `https://${apiHost}`,
  apiManagementUrl: `https://www.${domain}/app/user/api-management`,
  ...extra,
});

export const MAIN_SITE = "global";

/** Global first: it is asked first, and the others only when it does not know a key. */
export const BYBIT_SITES: readonly BybitSite[] = [
  site(MAIN_SITE, "Bybit", "bybit.com", "api.bybit.com"),
  site("nl", "Bybit Netherlands", "bybit.nl", "api.bybit.nl"),
  site("tr", "Bybit Turkey", "bybit.tr", "api.bybit.tr"),
  site("kz", "Bybit Kazakhstan", "bybit.kz", "api.bybit.kz"),
  site("ge", "Bybit Georgia", "bybitgeorgia.ge", "api.bybitgeorgia.ge"),
  site("ae", "Bybit UAE", "bybit.ae", "api.bybit.ae"),
  site("eu", "Bybit EU", "bybit.eu", "api.bybit.eu", { refused: "listed-apps-only" }),
  site("id", "Bybit Indonesia", "bybit.id", "api.bybit.id"),
  site("jp", "Bybit Japan", "manepa.jp", "api.manepa.jp"),
];

/** The global site's mainnet hosts (Bybit's guide): the built-in regional hosts, all mainnet, go with these alone. */
const MAINNET_HOSTS = ["https://api.bybit.com", "https://api.bytick.com"];

/**
 * The sites served with the hosts of these settings: `baseUrl` for the global site, `siteUrls` for any
 * other. With a global host other than Bybit's mainnet (testnet, demo, a proxy), a regional site is
 * served only when `siteUrls` names its host: its built-in one is mainnet, and a testnet service must
 * neither send keys there nor connect a mainnet key for the engine to trade with.
 */
export function sitesWith(baseUrl: string, siteUrls: Readonly<Record<string, string>> = {}): BybitSite[] {
  const mainnet = MAINNET_HOSTS.includes(baseUrl);
  return BYBIT_SITES.flatMap((entry) => {
    const apiUrl = entry.id === MAIN_SITE ? baseUrl : (siteUrls[entry.id] ?? (mainnet ? entry.apiUrl : null));
    return apiUrl ? [{ ...entry, apiUrl }] : [];
  });
}
