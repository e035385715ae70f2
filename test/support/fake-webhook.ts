type Chatty = { chat: { id: number } } | undefined;

/** The parts of an update that delivery looks at. */
export interface Update {
  update_id: number;
  message?: Chatty;
  edited_message?: Chatty;
  channel_post?: Chatty;
  edited_channel_post?: Chatty;
  business_message?: Chatty;
  edited_business_message?: Chatty;
  callback_query?: { message?: Chatty; from: { id: number } };
}

/** What setWebhook asked for. */
export interface WebhookSetting {
  url: string;
  secret: string | undefined;
  maxConnections: number;
}

/** The chat an update belongs to, as Telegram orders delivery: one chat's updates one at a time. */
function chatOf(update: Update): string {
  const message =
    update.message ??
    update.edited_message ??
    update.channel_post ??
    update.edited_channel_post ??
    update.business_message ??
    update.edited_business_message;
  const chatId = message?.chat.id ?? update.callback_query?.message?.chat.id ?? update.callback_query?.from.id;
  return chatId === undefined ? `update-${update.update_id}` : String(chatId);
}

/**
 * Webhook delivery as Telegram does it: each update is POSTed with the secret token header; a
 * chat's next update only once our answer to its last arrived (retried until a 2xx), chats in
 * parallel. `targets` stands for a load balancer: update n goes to targets[n % length].
 */
export class WebhookDelivery {
  private readonly chains = new Map<string, Promise<void>>();
  private sent = 0;
  /** Answers by status, for tests: how many 2xx, 401 and others came back. */
  readonly answers: number[] = [];
  /** Updates answered with a 2xx, by the base URL they went to. */
  readonly handledBy = new Map<string, number>();

  constructor(
    readonly setting: WebhookSetting,
    private readonly targets: readonly string[] | undefined,
    private readonly onTaken: (update: Update) => void,
  ) {}

  private inFlight = 0;
  private readonly queued: (() => void)[] = [];

  deliver(update: Update): void {
    const chat = chatOf(update);
    const target = this.targets?.[this.sent++ % this.targets.length];
    const url = target ? new URL(new URL(this.setting.url).pathname, target).href : this.setting.url;
    const next = (this.chains.get(chat) ?? Promise.resolve()).then(() => this.post(url, update));
    this.chains.set(chat, next);
  }

  /** At most `maxConnections` requests at once, as setWebhook asked. */
  private async post(url: string, update: Update): Promise<void> {
    if (this.inFlight >= this.setting.maxConnections) await new Promise<void>((resolve) => this.queued.push(resolve));
    this.inFlight += 1;
    try {
      await this.postUntilTaken(url, update);
    } finally {
      this.inFlight -= 1;
      this.queued.shift()?.();
    }
  }

  private async postUntilTaken(url: string, update: Update): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      this.onTaken(update);
      const status = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.setting.secret ? { "x-telegram-bot-api-secret-token": this.setting.secret } : {}),
        },
        body: JSON.stringify(update),
      }).then(
        async (response) => (await response.arrayBuffer(), response.status),
        () => 0,
      );
      this.answers.push(status);
      if (status >= 200 && status < 300) {
        const origin = new URL(url).origin;
        this.handledBy.set(origin, (this.handledBy.get(origin) ?? 0) + 1);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
