// Webhook replicas under /connect traffic: the real service (src/main.ts) in webhook mode, one
// replica and then two behind a load balancer (the fake Bot API posts update n to replica n mod 2,
// each chat's updates one at a time, 40 at once as setWebhook asks). N followers send /connect at
// once; each answer (the flow's intro, with its state sealed in Redis) is one update handled.
// Telegram's 30 messages a second would bound any number of replicas, so the bench lifts it
// (TELEGRAM_MESSAGES_PER_SECOND=1000, as paid broadcasts do) to measure the replicas themselves.
// Usage: npm run bench:webhook [-- --followers 2000]
import { parseArgs } from "node:util";
import { freePort } from "../src/infra/local-redis.js";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import type { FakeUser } from "../test/support/fake-telegram.js";
import { round1, startStage } from "./support.js";

const { values } = parseArgs({ options: { followers: { type: "string", default: "2000" } } });
const FOLLOWERS = Number(values.followers);
const SECRET = "bench-webhook-secret-0123456789";

async function run(replicas: number, firstId: number) {
  const stage = await startStage();
  try {
    const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
    const hook = `http://127.0.0.1:${ports[0]}/telegram/hook`;
    stage.telegram.webhookTargets = ports.map((port) => `http://127.0.0.1:${port}`);
    const since = performance.now();
    const sealKeys = generateKeyringEntry();
    for (const port of ports) {
      // startBot waits for long polling, which webhook mode never does: setWebhook is awaited below instead.
      const env = {
        ROLE: "bot",
        SEAL_KEYS: sealKeys,
        PORT: String(port),
        WEBHOOK_URL: hook,
        WEBHOOK_SECRET: SECRET,
        TELEGRAM_MESSAGES_PER_SECOND: "1000",
      };
      void stage.startBot("src/main.ts", env).catch(() => undefined);
    }
    // Each replica calls setWebhook once it is up; wait for all of them.
    await stage.telegram.waitForCall(
      () => stage.telegram.callsOf("setWebhook").filter((call) => call.at > since).length === replicas,
      30_000,
      "every replica's setWebhook",
    );
    const followers: FakeUser[] = Array.from({ length: FOLLOWERS }, (_, index) => ({
      id: firstId + index,
      is_bot: false,
      first_name: `F${index}`,
    }));
    const started = performance.now();
    for (const follower of followers) stage.telegram.sendText(follower, "/connect");
    const answered = await Promise.all(
      followers.map((follower) =>
        stage.telegram.nextBotMessage(follower.id, 120_000).then(
          () => true,
          () => false,
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      replicas,
      updates: FOLLOWERS,
      answered: answered.filter(Boolean).length,
      seconds: round1(seconds),
      updatesPerSecond: Math.round(FOLLOWERS / seconds),
      byReplica: [...stage.telegram.webhook!.handledBy.values()],
    };
  } finally {
    await stage.stop();
  }
}

console.log("webhook", JSON.stringify(await run(1, 10_000_000)));
console.log("webhook", JSON.stringify(await run(2, 20_000_000)));
