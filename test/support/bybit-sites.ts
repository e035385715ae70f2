import { BYBIT_SITES, MAIN_SITE } from "../../src/exchange/bybit/sites.js";
import { FakeBybit } from "./fake-bybit.js";

/** A fake Bybit for every site, each on a port of its own, as BYBIT_BASE_URL and BYBIT_SITES name them. */
export interface FakeBybitSites {
  /** The global site's fake. */
  global: FakeBybit;
  /** Every site's fake by id, global included. */
  site(id: string): FakeBybit;
  baseUrl: string;
  /** BYBIT_SITES for these fakes, as settings (`siteUrls`) and as the environment variable's text. */
  siteUrls: Record<string, string>;
  env: string;
  /** Every request to any site, with the site it went to. */
  requestsBySite(): { site: string; path: string; apiKey: string | undefined }[];
  stop(): Promise<void>;
}

export async function startBybitSites(): Promise<FakeBybitSites> {
  const fakes = new Map(BYBIT_SITES.map((site) => [site.id, new FakeBybit()]));
  const urls = new Map(await Promise.all([...fakes].map(async ([id, fake]) => [id, await fake.start()] as const)));
  const siteUrls = Object.fromEntries([...urls].filter(([id]) => id !== MAIN_SITE));
  return {
    global: fakes.get(MAIN_SITE)!,
    site: (id) => fakes.get(id)!,
    baseUrl: urls.get(MAIN_SITE)!,
    siteUrls,
    env: Object.entries(siteUrls)
      .map(([id, url]) => `${id}=${url}`)
      .join(","),
    requestsBySite: () =>
      [...fakes].flatMap(([site, fake]) => fake.requests.map(({ path, apiKey }) => ({ site, path, apiKey }))),
    stop: async () => void (await Promise.all([...fakes.values()].map((fake) => fake.stop()))),
  };
}
