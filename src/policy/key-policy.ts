import type { ApiKeyFacts } from "./api-key.js";

export const DAY_MS = 86_400_000;

/** Why a key is refused; each maps to one sentence that says what to change in Bybit. */
export type RefusalReason =
  | { code: "can-withdraw" }
  | { code: "can-transfer"; permissions: string[] }
  | { code: "fiat"; categories: string[] }
  | { code: "read-only" }
  | { code: "contract-trade-missing"; missing: string[] }
  /** Permissions outside the allowlist: groups we do not know to be harmless, or values we do not know in a group we allow. */
  | { code: "unsafe-permissions"; groups: { group: string; permissions: string[] }[] }
  /** Trading of other products, with values we know to trade and nothing else: not for this service, but no danger to the funds. */
  | { code: "other-trading"; groups: { group: string; permissions: string[] }[] }
  | { code: "no-expiry" }
  | { code: "ip-bound-without-egress" }
  | { code: "ip-bound-missing-egress"; missing: string[] }
  /** A key issued to our broker app must be bound to our IPs and no others: it is bound to none. */
  | { code: "ip-not-bound" }
  /** …or it is bound to IPs besides ours. */
  | { code: "ip-bound-extra"; extra: string[] }
  | { code: "public-key-mismatch" };

export type PolicyWarning = { code: "rotation-due"; ageDays: number } | { code: "not-unified" };

export type Verdict =
  | { accepted: true; warnings: PolicyWarning[] }
  | { accepted: false; reasons: RefusalReason[]; warnings: PolicyWarning[] };

/**
 * An exchange's rules for a key's permissions (its adapter's): the refusals they call for. An
 * allowlist: a group or value the rules do not know is refused. Pure.
 */
export type PermissionRules = (key: ApiKeyFacts) => RefusalReason[];

export interface PolicyInput {
  key: ApiKeyFacts;
  /** The key's exchange's rules for permissions. */
  rules: PermissionRules;
  /** The service's published static IPs (EGRESS_IPS). */
  egressIps: readonly string[];
  /** Epoch milliseconds: the caller owns the clock. */
  now: number;
  /** A key this old is due for rotation. */
  rotateAfterDays: number;
  /** For a key made from a pair we generated: the public key we handed out (normalised); Bybit must hold exactly it. */
  expectedRsaPublicKey?: string;
  /**
   * A key issued to our broker app (Connect with Bybit): it must be bound to exactly `egressIps`, no
   * fewer and no more, since the exchange binds it to the app's whitelist and nobody can change that.
   */
  exactIps?: boolean;
}

/** Reasons that mean the key can move money, or may: such a key is treated as leaked. */
export const MONEY_REASONS: ReadonlySet<RefusalReason["code"]> = new Set([
  "can-withdraw",
  "can-transfer",
  "fiat",
  "unsafe-permissions",
]);

/** Decides whether the service may keep this key: it must trade contracts and never move money. */
export function evaluateKey({
  key,
  rules,
  egressIps,
  now,
  rotateAfterDays,
  expectedRsaPublicKey,
  exactIps = false,
}: PolicyInput): Verdict {
  const reasons: RefusalReason[] = [];
  const warnings: PolicyWarning[] = [];
  if (expectedRsaPublicKey !== undefined && key.rsaPublicKey !== expectedRsaPublicKey)
    reasons.push({ code: "public-key-mismatch" });
  reasons.push(...rules(key));

  if (exactIps) reasons.push(...exactBinding(key.ips, egressIps));
  else if (key.ips.length === 0) {
    if (key.expiresAt === null) reasons.push({ code: "no-expiry" });
  } else if (egressIps.length === 0) {
    reasons.push({ code: "ip-bound-without-egress" });
  } else {
    const unbound = egressIps.filter((ip) => !key.ips.includes(ip));
    if (unbound.length > 0) reasons.push({ code: "ip-bound-missing-egress", missing: unbound });
  }

  const ageDays = Math.floor((now - key.createdAt) / DAY_MS);
  if (ageDays >= rotateAfterDays) warnings.push({ code: "rotation-due", ageDays });

  if (!key.unifiedAccount) warnings.push({ code: "not-unified" });

  return reasons.length === 0 ? { accepted: true, warnings } : { accepted: false, reasons, warnings };
}

/** Bound to exactly our IPs (fail closed: without EGRESS_IPS, no key can be). */
function exactBinding(ips: readonly string[], egressIps: readonly string[]): RefusalReason[] {
  if (ips.length === 0) return [{ code: "ip-not-bound" }];
  if (egressIps.length === 0) return [{ code: "ip-bound-without-egress" }];
  const reasons: RefusalReason[] = [];
  const missing = egressIps.filter((ip) => !ips.includes(ip));
  if (missing.length > 0) reasons.push({ code: "ip-bound-missing-egress", missing });
  const extra = ips.filter((ip) => !egressIps.includes(ip));
  if (extra.length > 0) reasons.push({ code: "ip-bound-extra", extra });
  return reasons;
}
