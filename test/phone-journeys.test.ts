import { randomInt } from "node:crypto";
import { UPDATE_LIMITS } from "../src/bot/limits/updates.js";
import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { shown } from "./support/phone.js";
import type { FakeChat } from "./support/fake-telegram.js";
import { remindedFollower, repliesUntil } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Follower, type Harness } from "./support/harness.js";

let h: Harness;
afterEach(() => h.stop());

/** Every message (and edit) the bot sent this follower, as shown, longer than 700 characters. */
const longOnes = (follower: Follower) =>
  [...h.telegram.callsOf("sendMessage"), ...h.telegram.callsOf("editMessageText")]
    .filter((call) => call.payload.chat_id === follower.chat.id)
    .map((call) => shown(String(call.payload.text)))
    .filter((text) => text.length > 700)
    .map((text) => `${text.length}: ${text.slice(0, 200)}`);

/** Every permission a Bybit key can hold, and then some: the longest refusal there is. */
const EVERYTHING = {
  ContractTrade: ["Order"],
  Spot: ["SpotTrade"],
  Wallet: ["AccountTransfer", "SubMemberTransfer", "Withdraw"],
  Options: ["OptionsTrade"],
  Derivatives: ["DerivativesTrade"],
  Exchange: ["ExchangeHistory", "Convert"],
  Earn: ["Earn"],
  FiatP2P: ["FiatP2POrder", "Advertising"],
  FiatBybitPay: ["FaitPayOrder"],
  FiatConvertBroker: ["FiatConvertBroker"],
  BlockTrade: ["BlockTrade"],
  CopyTrading: ["CopyTrading"],
  BitCard: ["CardPay"],
  NFT: ["NFTQueryProductList"],
  Affiliate: ["Affiliate"],
  ByXPost: ["ByXPost"],
};

describe("journeys the connect-steps test does not walk, on a phone", () => {
  it.each(["en", "ru"])("keep every message within 700 characters (%s)", async (languageCode) => {
    h = await startHarness({
      egressIps: ["203.0.113.10", "203.0.113.11"],
      telegramLimits: ROOMY_CHATS,
      updateLimits: { ...UPDATE_LIMITS, private: { limit: 100, windowMs: 10_000 } },
    });
    // "Replace now" under a reminder.
    const reminded = await remindedFollower(h, languageCode);
    let alice = reminded.alice;
    const reminder = reminded.reminder;
    h.telegram.pressButton(
      alice.user,
      reminder,
      String(JSON.stringify(reminder.reply_markup).match(/rotate:start:[\w-]+/)![0]),
    );
    await alice.reply();
    // Refusals of each kind, the flow kept open between them.
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:have-secret");
    await alice.reply();
    const refusals = [
      { permissions: EVERYTHING, readOnly: true, uta: 0 as const },
      { ips: ["198.51.100.1", "198.51.100.2"] },
      { permissions: { ContractTrade: ["Order", "Position"], Spot: ["SpotTrade"], Options: ["OptionsTrade"] } },
    ];
    for (const key of refusals) {
      const creds = canaryCredentials();
      h.bybit.addKey({ ...creds, note: "a-rather-long-key-name-for-copy-trading-2026", ...key });
      alice.say(`${creds.apiKey} ${creds.apiSecret}`);
      await alice.reply();
      await alice.reply();
    }
    const wrong = canaryCredentials();
    h.bybit.addKey({ apiKey: wrong.apiKey, apiSecret: canaryCredentials().apiSecret });
    alice.say(`${wrong.apiKey} ${wrong.apiSecret}`);
    await alice.reply();
    await alice.reply();
    alice.say(`${canaryCredentials().apiKey} ${canaryCredentials().apiSecret}`);
    await alice.reply();
    await alice.reply();
    alice.say("/cancel");
    await alice.reply();
    const firstLong = longOnes(alice);
    // /panic, a newer key, /panic again (another follower: Bybit's checks per follower are few a minute).
    const { alice: carol } = await remindedFollower(h, languageCode);
    alice = carol;
    alice.say("/panic");
    await repliesUntil(alice, "📸");
    const newer = canaryCredentials();
    const inBybit = h.bybit.addKey({ ...newer, note: "newer-key" });
    alice.say("/connect");
    await repliesUntil(alice, languageCode === "ru" ? "Подключим" : "Let’s connect");
    h.telegram.pressButton(alice.user, h.telegram.lastBotMessage(alice.chat.id), "connect:have-secret");
    await alice.reply();
    alice.say(`${newer.apiKey} ${newer.apiSecret}`);
    await repliesUntil(alice, "✅");
    alice.say("/panic");
    await repliesUntil(alice, languageCode === "ru" ? "утёк?" : "leaked too?");
    // The key watch finds it changed in Bybit.
    inBybit.permissions = EVERYTHING;
    await h.lookNow((await h.credentials.current(alice.user.id))!);
    await alice.reply();
    // A key posted in a group.
    const bob = h.follower({ languageCode });
    const bobs = canaryCredentials();
    h.bybit.addKey({ ...bobs, note: "bob-key" });
    bob.say("/connect");
    await bob.reply();
    bob.say(`${bobs.apiKey} ${bobs.apiSecret}`);
    await repliesUntil(bob, "✅");
    const group: FakeChat = { id: -randomInt(1_000_000_000, 2 ** 40), type: "supergroup", title: "Copy traders" };
    h.telegram.sendText(bob.user, `${bobs.apiKey} ${bobs.apiSecret}`, group);
    await repliesUntil(bob, languageCode === "ru" ? "Bybit" : "Now revoke");
    await h.telegram.nextBotMessage(group.id);
    expect([...firstLong, ...longOnes(alice), ...longOnes(bob)]).toEqual([]);
  });
});
