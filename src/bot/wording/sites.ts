import { profileOf } from "../../exchange/registry.js";
import type { Lang } from "../i18n.js";

/** Where a key lives, as a follower reads it: its site's name and API-management page. */
export interface KeyPlace {
  /** "Bybit", or "Bybit Turkey" for a key of a regional site. */
  name: string;
  apiManagementUrl: string;
  /** A site other than the exchange's main one: worth naming beside the key. */
  regional: boolean;
}

export function placeOf(key: { exchange: string; site: string }): KeyPlace {
  const profile = profileOf(key.exchange);
  const site = profile.sites.find((entry) => entry.id === key.site);
  return {
    name: site?.name ?? profile.name,
    apiManagementUrl: site?.apiManagementUrl ?? profile.apiManagementUrl,
    regional: site !== undefined && site !== profile.sites[0],
  };
}

/** "Site: Bybit Turkey", for a key of a regional site; nothing for the main one. */
export function siteLine({ t }: Lang, key: { exchange: string; site: string }): string[] {
  const place = placeOf(key);
  return place.regional ? [t("key-site", { site: place.name })] : [];
}
