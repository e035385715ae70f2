import type { ExchangeProfile, KeyInspection } from "../exchange/port.js";
import { maskApiKey, type ApiKeyFacts, type Credentials } from "../policy/api-key.js";
import { evaluateKey, type PolicyWarning } from "../policy/key-policy.js";
import type { ReminderTimes } from "../policy/rotation.js";
import { KeyHeldElsewhere, type CredentialRecord } from "../stores/credential-store.js";
import type { Admission, AdmitDeps, FlowFacts, KeySource, Refusal } from "./admission.js";

export type { Admission, AdmitDeps, FlowFacts, KeySource, Refusal } from "./admission.js";

/**
 * The connect use case (rotating is the same, with `previous`): asks the exchange what the key can do, judges
 * it, and stores it in place of `previous` when it passes; counts the outcome, audits a refusal. A private key
 * is opened from the vault here and goes out of scope on return.
 */
export async function admit(deps: AdmitDeps, userId: number, source: KeySource, flow: FlowFacts): Promise<Admission> {
  const checked = await check(deps, userId, source, flow);
  const origin = source.type === "hmac" ? source.origin : undefined;
  const admission = checked.outcome === "refused" && origin ? { ...checked, origin } : checked;
  const outcomes =
    admission.outcome === "refused"
      ? admission.why
      : [admission.outcome === "connected" ? "accepted" : admission.outcome];
  for (const outcome of outcomes) deps.metrics.connects.inc({ outcome });
  if (admission.outcome === "refused" && !admission.held) {
    const apiKey = source.type === "hmac" ? source.credentials.apiKey : source.apiKey;
    await deps.audit.record({
      type: "key-refused",
      userId,
      maskedKey: maskApiKey(apiKey),
      details: { reasons: admission.why.join(","), ...(origin ? { origin } : {}) },
    });
  }
  return admission;
}

async function check(
  deps: AdmitDeps,
  userId: number,
  source: KeySource,
  { previous, panicEpoch, site }: FlowFacts,
): Promise<Admission> {
  const wait = await deps.exchanges.followerCheck(userId);
  if (wait > 0)
    return {
      outcome: "refused",
      refusal: { kind: "too-many-checks", waitSeconds: Math.ceil(wait / 1000) },
      why: ["held"],
      held: true,
    };
  let credentials: Credentials;
  let expectedRsaPublicKey: string | undefined;
  if (source.type === "rsa") {
    const pair = await deps.pendingKeyPairs.open(userId, deps.clock());
    if (!pair) return { outcome: "pair-expired" };
    credentials = { apiKey: source.apiKey, apiSecret: pair.privateKeyPem };
    expectedRsaPublicKey = pair.publicKey;
  } else {
    credentials = source.credentials;
  }

  const exchange = deps.exchanges.main;
  // Without a site named by the follower, the exchange finds the site whose host knows the key.
  // A search asks every other site (eight requests more): a few an hour per follower (exchange-budget.ts).
  const mayFindSite = () => deps.exchanges.mayFindSite(userId);
  const arrival = source.type === "hmac" ? source.origin : undefined;
  const inspection = await exchange.inspectKey(credentials, site, {
    mayFindSite,
    ...(arrival === "oauth" ? { issuedToApp: true } : {}),
  });
  // As it is now, not as the flow began: the key watch may have frozen it meanwhile.
  const current = await deps.credentials.current(userId);
  const origin = inspection.ok
    ? {
        exchange: exchange.profile.id,
        site: inspection.site,
        baseUrl: exchange.baseUrl(inspection.site) ?? "",
        ...(arrival ? { origin: arrival } : {}),
      }
    : null;
  const identity =
    inspection.ok && origin
      ? { exchange: origin.exchange, site: origin.site, baseUrl: origin.baseUrl, exchangeKeyId: inspection.key.id }
      : null;
  if (identity && (await deps.denylist.has(identity)))
    return { outcome: "refused", refusal: { kind: "denied" }, why: ["denied"], current };
  const now = deps.clock();
  const circumstances = {
    now,
    keyType: source.type,
    expectedRsaPublicKey,
    profile: exchange.profile,
    exactIps: arrival === "oauth",
  };
  const judgement = judge(inspection, current, deps, circumstances);
  if (!judgement.accepted) {
    // After a /panic sent during the check, the flow is over: no "send it again".
    if ((await deps.credentials.panicEpoch(userId)) !== panicEpoch) return { outcome: "panicked" };
    return { outcome: "refused", refusal: judgement.refusal, why: judgement.why, current };
  }

  let record: CredentialRecord | null;
  try {
    record = await deps.credentials.save(userId, credentials, origin!, judgement.key, now, panicEpoch);
  } catch (error) {
    // Another follower holds this very key: it has been shared or has leaked. Named to no one.
    if (error instanceof KeyHeldElsewhere) {
      // Bybit has just accepted this key and secret, so whoever sent them can trade with them: a key seen
      // twice has leaked, and the holder's copy is frozen too (they are told by the key watch).
      await deps.sharedKeys.freezeOthers({ userId, ...identity! }).catch((failure: unknown) => {
        deps.logger.error({ err: failure, userId }, "freezing the other copies of a shared key failed");
      });
      const { exchange, site } = identity!;
      return { outcome: "refused", refusal: { kind: "shared", exchange, site }, why: ["shared-key"], current };
    }
    deps.logger.error({ err: error, userId }, "storing a credential failed");
    return { outcome: "save-failed" };
  }
  // The follower sent /panic while this key was being checked: it is not stored after that.
  if (!record) return { outcome: "panicked" };
  // A pair still waiting (made, then not used: the follower pasted a key and secret instead) has no use left.
  await deps.pendingKeyPairs.discard(userId).catch(() => undefined);
  return {
    outcome: "connected",
    record,
    equityUsd: judgement.equityUsd,
    warnings: judgement.warnings,
    times: await moveReminders(deps, record, previous),
    now,
  };
}

type Judgement =
  | { accepted: true; key: ApiKeyFacts; equityUsd: string | null; warnings: PolicyWarning[] }
  | { accepted: false; refusal: Refusal; why: string[] };

interface Circumstances {
  profile: ExchangeProfile;
  now: number;
  keyType: KeySource["type"];
  expectedRsaPublicKey: string | undefined;
  exactIps: boolean;
}

function judge(
  inspection: KeyInspection,
  previous: CredentialRecord | null,
  deps: AdmitDeps,
  { profile, now, keyType, expectedRsaPublicKey, exactIps }: Circumstances,
): Judgement {
  if (!inspection.ok)
    return {
      accepted: false,
      refusal: {
        kind: "exchange",
        failure: inspection.failure,
        keyType,
        exchange: profile.id,
        ...(inspection.site ? { site: inspection.site } : {}),
        ...(inspection.searched === false ? { searched: false as const } : {}),
      },
      why: [`exchange-${inspection.failure}`],
    };
  // The same key again is a mistake only while in use: one taken out of use (by the key watch) may come back fixed.
  const same =
    previous?.exchange === profile.id &&
    previous.site === inspection.site &&
    previous.exchangeKeyId === inspection.key.id;
  if (previous?.status === "active" && same)
    return { accepted: false, refusal: { kind: "same-key" }, why: ["same-key"] };
  const verdict = evaluateKey({
    key: inspection.key,
    rules: profile.permissionRules,
    egressIps: deps.egressIps,
    now,
    rotateAfterDays: deps.rotation.rotateAfterDays,
    expectedRsaPublicKey,
    exactIps,
  });
  if (!verdict.accepted)
    return {
      accepted: false,
      refusal: { kind: "policy", keyName: inspection.key.name, reasons: verdict.reasons },
      why: verdict.reasons.map((reason) => reason.code),
    };
  return { accepted: true, key: inspection.key, equityUsd: inspection.equityUsd, warnings: verdict.warnings };
}

/**
 * The credential was stored in place of the old one in one Redis transaction; now the reminders
 * move. Until they do, the old reminders find their credential replaced and send nothing; if
 * scheduling fails, the worker's sweep at start schedules them again.
 */
async function moveReminders(
  deps: AdmitDeps,
  record: CredentialRecord,
  previous: CredentialRecord | null,
): Promise<ReminderTimes | null> {
  try {
    // A new ref: nothing of it is scheduled yet.
    const times = await deps.reminders.schedule(record, { fresh: true });
    if (previous) await deps.reminders.cancel(previous);
    return times;
  } catch (error) {
    deps.logger.error(
      { err: error, userId: record.userId },
      "scheduling reminders failed; the worker's sweep will schedule them",
    );
    return null;
  }
}
