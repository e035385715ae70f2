// Try the bot in a terminal, with no Telegram account and no Bybit key: starts the local Bot API
// and Bybit fakes the tests use, runs `src/main.ts` against them (with its own Redis and keyring
// under .data/sandbox), and lets you chat as a follower. Lines you type are your messages;
// `!press DATA` taps a button of the bot's last message, `!selfkey` does what Bybit's
// "Self-generated API Keys" dialog does with the public key the bot showed you (and prints the
// API key to send back), `!revoke` deletes your key in the fake Bybit (as you would before
// pressing "I deleted it" after /panic), `!quit` stops everything.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { canaryCredentials } from "../test/support/canaries.js";
import { FakeBybit } from "../test/support/fake-bybit.js";
import { FakeTelegram, type FakeUser } from "../test/support/fake-telegram.js";

const token = "100000001:sandbox-token-0123456789abcdefghij";
const telegram = new FakeTelegram(token);
const bybit = new FakeBybit();
const [apiRoot, bybitUrl] = await Promise.all([telegram.start(), bybit.start()]);
const good = canaryCredentials();
const risky = canaryCredentials();
bybit.addKey({
  ...good,
  note: "copy-trade-2026",
  account: {
    positions: [
      { category: "linear", settleCoin: "USDT", symbol: "BTCUSDT", side: "Buy", size: "0.05", avgPrice: "64000", markPrice: "64500", unrealisedPnl: "25", leverage: "5", liqPrice: "52000" },
    ],
    orders: [{ category: "linear", settleCoin: "USDT", symbol: "ETHUSDT", side: "Sell", orderType: "Limit", price: "3600", qty: "0.5", orderLinkId: "copytrade-1" }],
    fills: [{ category: "linear", symbol: "SOLUSDT", side: "Buy", execQty: "40", execPrice: "150", execTime: Date.now() - 3_600_000, orderLinkId: "" }],
  },
});
bybit.addKey({ ...risky, note: "can-withdraw", permissions: { ContractTrade: ["Order", "Position"], Wallet: ["Withdraw"] } });

const bot = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
  stdio: ["ignore", "ignore", "inherit"],
  // A small pool of ready key pairs: a sandbox needs a few, not the production 256.
  env: { ...process.env, BOT_TOKEN: token, TELEGRAM_API_ROOT: apiRoot, BYBIT_BASE_URL: bybitUrl, DATA_DIR: ".data/sandbox", REDIS_URL: "", KEY_PAIR_POOL_SIZE: "4", PORT: "0" },
});

const you: FakeUser = { id: 424_242, is_bot: false, first_name: "You" };
const plain = (text: string) => text.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const out = (text: string) => process.stdout.write(`${text}\n`);

out(`Sandbox: a fake Telegram at ${apiRoot} and a fake Bybit at ${bybitUrl}.`);
out(`A good key:          ${good.apiKey} ${good.apiSecret}`);
out(`A key that withdraws: ${risky.apiKey} ${risky.apiSecret}`);
out("Type /connect to begin. !press DATA taps a button, !selfkey creates a self-generated key from the public key the bot showed, !revoke deletes your key in Bybit, !quit stops.\n");

/** The key `!revoke` deletes: the good one, or the last self-generated one. */
let yourKey = good.apiKey;
let lastPublicKey: string | undefined;

void (async () => {
  for (;;) {
    const call = await telegram.nextBotMessage(you.id, 24 * 3600_000);
    const buttons = (call.payload.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard;
    const text = String(call.payload.text);
    lastPublicKey = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(text)?.[0] ?? lastPublicKey;
    out(`bot> ${plain(text).replace(/\n/g, "\nbot> ")}`);
    if (buttons) out(`     buttons: ${buttons.flat().map((button) => `[${button.text}] !press ${button.callback_data}`).join("  ")}`);
  }
})();

const input = createInterface({ input: process.stdin });
for await (const line of input) {
  const text = line.trim();
  if (text === "!quit") break;
  if (text === "!revoke") {
    bybit.revoke(yourKey);
    out("(your key is deleted in Bybit now)");
  } else if (text === "!selfkey") {
    if (!lastPublicKey) out("(the bot has not shown you a public key yet: /connect, then !press connect:make-pair)");
    else {
      yourKey = bybit.createSelfGeneratedKey(`${lastPublicKey}\n`, { note: "self-generated-2026" }).apiKey;
      out(`(Bybit created a self-generated key. Its API key, to send to the bot: ${yourKey})`);
    }
  } else if (text.startsWith("!press ")) telegram.pressButton(you, telegram.lastBotMessage(you.id), text.slice(7).trim());
  else if (text !== "") telegram.sendText(you, text);
}
bot.kill("SIGTERM");
await new Promise((resolve) => bot.once("exit", resolve));
await Promise.all([telegram.stop(), bybit.stop()]);
process.exit(0);
