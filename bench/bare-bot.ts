// The baseline the burst benchmark compares against: a plain grammY bot as the grammY docs would
// have you write it. `bot.start()` handles updates one after another, conversations sit on a plain
// Redis adapter, the message is deleted inside the conversation, and nothing is sealed.
// Never run this against real users: it stores secrets in clear.
import { conversations, createConversation, type Conversation, type ConversationFlavor } from "@grammyjs/conversations";
import { RedisAdapter } from "@grammyjs/storage-redis";
import { RestClientV5 } from "bybit-api";
import { Bot, type Context } from "grammy";
import { Redis } from "ioredis";

type BareContext = ConversationFlavor<Context>;
const env = (name: string) => process.env[name] ?? "";

const redis = new Redis(env("REDIS_URL"));
const bot = new Bot<BareContext>(env("BOT_TOKEN"), { client: { apiRoot: env("TELEGRAM_API_ROOT") } });
bot.use(conversations({ storage: new RedisAdapter({ instance: redis, ttl: 1800 }) }));

async function connect(conversation: Conversation<BareContext, Context>, ctx: Context) {
  await ctx.reply("Send me the API key and secret.");
  const answer = await conversation.waitFor("message:text");
  await answer.deleteMessage();
  const [key, secret] = answer.message.text.split(/\s+/);
  const info = await conversation.external(async () => {
    const client = new RestClientV5({ key, secret, baseUrl: env("BYBIT_BASE_URL") });
    const apiKey = await client.getQueryApiKey();
    const wallet = await client.getWalletBalance({ accountType: "UNIFIED" });
    await redis.hset(`bare:${ctx.from!.id}`, { key: key!, secret: secret!, note: apiKey.result.note });
    return { note: apiKey.result.note, equity: wallet.result.list?.[0]?.totalEquity ?? "?" };
  });
  await ctx.reply(`✅ Connected: key ${info.note}, equity ${info.equity}`);
}

bot.use(createConversation(connect));
bot.command("connect", (ctx) => ctx.conversation.enter("connect"));
void bot.start();
process.once(
  "SIGTERM",
  () =>
    void bot
      .stop()
      .then(() => redis.quit())
      .then(() => process.exit(0)),
);
