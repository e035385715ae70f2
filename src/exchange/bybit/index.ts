import type { ExchangeAdapter, ExchangeProfile } from "../port.js";
import { connectBybit } from "./client.js";
import { bybitPermissionRules } from "./permissions.js";
import { BYBIT_SITES } from "./sites.js";

export const BYBIT_PROFILE: ExchangeProfile = {
  id: "bybit",
  name: "Bybit",
  apiManagementUrl: "https://www.bybit.com/app/user/api-management",
  permissionRules: bybitPermissionRules,
  sites: BYBIT_SITES.map(({ id, name, apiManagementUrl, refused }) => ({
    id,
    name,
    apiManagementUrl,
    ...(refused ? { refused } : {}),
  })),
};

/** Bybit: the exchange adapter (HMAC and RSA keys, V5 API). */
export const bybit: ExchangeAdapter = {
  profile: BYBIT_PROFILE,
  connect: (options) => connectBybit(BYBIT_PROFILE, options),
};
