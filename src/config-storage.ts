// The part of the one schema of the environment (config.ts) that says where the data is: the operator
// commands read it alone (loadOpsConfig). With the rules both share and the warnings at start.
import { z } from "zod";
import { AUDIT_MAX_ENTRIES, AUDIT_RETENTION_DAYS } from "./audit/trail.js";
import type { RedisTarget } from "./infra/redis.js";
import { parseKeyring, type Keyring } from "./vault/keyring.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const commaList = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** Where the service's data is: shared by the service and the operator commands. */
export const storage = {
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const nodes = commaList(value);
      for (const node of nodes) {
        if (!/^[^\s:/@]+:\d{1,5}$/.test(node)) ctx.addIssue({ code: "custom", message: `"${node}" is not host:port` });
      }
      return nodes;
    }),
  REDIS_CLUSTER_PASSWORD: z.string().optional(),
  REDIS_CLUSTER_TLS: z.enum(["true", "false"], { error: "must be true or false" }).default("false"),
  SEAL_KEYS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return undefined;
      try {
        return parseKeyring(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  AUDIT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(7, "must be at least 7 (the trail is what an incident is read from)")
    .max(3650)
    .default(AUDIT_RETENTION_DAYS),
  AUDIT_MAX_ENTRIES: z.coerce
    .number()
    .int()
    .min(10_000, "must be at least 10000 (the trail is what an incident is read from)")
    .default(AUDIT_MAX_ENTRIES),
  QUEUE_PREFIX: z
    .string()
    .regex(
      /^[^:\s]+$/,
      "must not contain ':' or spaces (braces such as {reminders} keep every queue key in one Redis Cluster slot)",
    )
    .default("{reminders}"),
};

type StorageEnvironment = {
  QUEUE_PREFIX: string;
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES: string[];
  REDIS_CLUSTER_PASSWORD?: string | undefined;
  REDIS_CLUSTER_TLS: "true" | "false";
};

/** One Redis or one cluster, never both: which one the service would use is not a guess to make. */
export function checkOneRedis(env: StorageEnvironment, ctx: z.RefinementCtx): void {
  if (env.REDIS_URL !== undefined && env.REDIS_CLUSTER_NODES.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_CLUSTER_NODES"],
      message: "set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both",
    });
  }
  // BullMQ's scripts touch every key of a queue: on a cluster they must share one slot.
  if (env.REDIS_CLUSTER_NODES.length > 0 && !/\{[^}]+\}/.test(env.QUEUE_PREFIX)) {
    ctx.addIssue({
      code: "custom",
      path: ["QUEUE_PREFIX"],
      message:
        "must hold a hash tag in braces, such as {reminders}, on a Redis Cluster (BullMQ's keys must share one slot)",
    });
  }
}

export const redisTargetOf = (env: StorageEnvironment): RedisTarget | undefined =>
  env.REDIS_CLUSTER_NODES.length > 0
    ? {
        clusterNodes: env.REDIS_CLUSTER_NODES,
        password: env.REDIS_CLUSTER_PASSWORD,
        tls: env.REDIS_CLUSTER_TLS === "true",
      }
    : env.REDIS_URL !== undefined
      ? { url: env.REDIS_URL }
      : undefined;

export const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

export function isSafeEndpoint(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === "https:" || LOOPBACK.includes(hostname);
}

/**
 * What is allowed but worth a line in the log at start. Plain redis:// to another host is common on
 * a private network (docker compose), so it is not refused; but the password and every sealed
 * record then cross that network in clear.
 */
export function configWarnings(config: { production: boolean; redis: RedisTarget | undefined }): string[] {
  const target = config.redis;
  if (!config.production || !target) return [];
  if ("clusterNodes" in target) {
    const remote = target.clusterNodes.some((node) => !LOOPBACK.includes(node.slice(0, node.lastIndexOf(":"))));
    return remote && !target.tls
      ? [
          "REDIS_CLUSTER_TLS is false and the cluster is on other hosts: its password and the sealed records travel unencrypted; set REDIS_CLUSTER_TLS=true unless that network is private",
        ]
      : [];
  }
  const { protocol, hostname } = new URL(target.url);
  return protocol === "redis:" && !LOOPBACK.includes(hostname)
    ? [
        "REDIS_URL is plain redis:// to another host: its password and the sealed records travel unencrypted; use rediss:// unless that network is private",
      ]
    : [];
}

/** What the operator commands need: the service's Redis and keyring, nothing else. */
export interface OpsConfig {
  redis: RedisTarget;
  audit: { retentionDays: number; maxEntries: number };
  keyring: Keyring | undefined;
  queuePrefix: string;
}

export function loadOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  const parsed = z
    .object(storage)
    .superRefine(checkOneRedis)
    .safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "")));
  if (!parsed.success)
    throw new ConfigError(
      `Invalid configuration. ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  const redis = redisTargetOf(parsed.data);
  if (!redis)
    throw new ConfigError(
      "REDIS_URL: is required, or REDIS_CLUSTER_NODES (the service's Redis, as the service has it; " +
        "beside a running `npm start` in development, ops finds its Redis by itself)",
    );
  const { SEAL_KEYS, QUEUE_PREFIX, AUDIT_RETENTION_DAYS: retentionDays, AUDIT_MAX_ENTRIES: maxEntries } = parsed.data;
  return { redis, keyring: SEAL_KEYS, queuePrefix: QUEUE_PREFIX, audit: { retentionDays, maxEntries } };
}
