import { afterAll, beforeAll } from "vitest";
import { startLocalRedis, type LocalRedis } from "../../src/infra/local-redis.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";
import type { FakeBybit } from "./fake-bybit.js";
import { startBybitSites, type FakeBybitSites } from "./bybit-sites.js";
import { FakeTelegram } from "./fake-telegram.js";
import { startService, type Service } from "./process.js";

export { startService, type Service } from "./process.js";

/** What tests of real processes share: a redis-server of their own, both fakes, and the env that points the service at them. */
export interface ServiceStage {
  redisUrl: string;
  telegram: FakeTelegram;
  bybit: FakeBybit;
  bybitSites: FakeBybitSites;
  env: Record<string, string>;
  /** Starts the service on this stage, `extra` on top of its env; crashed at the end of the file if still running. */
  start(extra?: Record<string, string>): Service;
}

/** Sets the stage up before the file's tests and takes it down after them (every service it started included). */
export function useServiceStage(token: string, extraEnv: Record<string, string> = {}): ServiceStage {
  const services: Service[] = [];
  let redisServer: LocalRedis;
  const stage = {
    start(extra: Record<string, string> = {}) {
      const service = startService({ ...stage.env, ...extra });
      services.push(service);
      return service;
    },
  } as ServiceStage;
  beforeAll(async () => {
    redisServer = await startLocalRedis();
    stage.telegram = new FakeTelegram(token);
    const [apiRoot, sites] = await Promise.all([stage.telegram.start(), startBybitSites()]);
    stage.bybitSites = sites;
    stage.bybit = sites.global;
    stage.redisUrl = redisServer.url;
    stage.env = {
      BOT_TOKEN: token,
      REDIS_URL: redisServer.url,
      SEAL_KEYS: generateKeyringEntry(),
      TELEGRAM_API_ROOT: apiRoot,
      BYBIT_BASE_URL: sites.baseUrl,
      BYBIT_SITES: sites.env,
      ...extraEnv,
    };
  });
  afterAll(async () => {
    await Promise.all(services.filter((service) => service.child.exitCode === null).map((service) => service.crash()));
    await Promise.all([stage.telegram.stop(), stage.bybitSites.stop(), redisServer.stop()]);
  });
  return stage;
}
