import { performance } from "node:perf_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, readBody, sendJson } from "./http-json.js";
import { WebhookDelivery } from "./fake-webhook.js";

/**
 * A local Bot API server that answers like Telegram's for the methods the bot uses,
 * plays the followers' side (messages, button presses), and records every call in order.
 */

export interface FakeUser {
  id: number;
  is_bot: false;
  first_name: string;
  /** The language of the user's Telegram app, as Telegram tells bots. */
  language_code?: string;
}

export interface FakeChat {
  id: number;
  type: "private" | "group" | "supergroup" | "channel";
  title?: string;
  first_name?: string;
}

export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
  /** performance.now() when the request arrived. */
  at: number;
  /** What Telegram answered, once it has. */
  result?: unknown;
}

export interface FakeMessage {
  message_id: number;
  date: number;
  chat: FakeChat;
  /** Absent on channel posts, which are sent on behalf of the channel. */
  from?: FakeUser | typeof BOT_USER;
  sender_chat?: FakeChat;
  text?: string;
  caption?: string;
  photo?: { file_id: string; file_unique_id: string; width: number; height: number }[];
  edit_date?: number;
  quote?: { text: string; position: number };
  business_connection_id?: string;
  entities?: { type: "bot_command"; offset: number; length: number }[];
  sticker?: Record<string, unknown>;
  reply_markup?: unknown;
}

interface Update {
  update_id: number;
  message?: FakeMessage;
  edited_message?: FakeMessage;
  channel_post?: FakeMessage;
  business_message?: FakeMessage;
  callback_query?: { id: string; from: FakeUser; message: FakeMessage; chat_instance: string; data: string };
}

interface ChatState {
  nextMessageId: number;
  messages: Map<number, FakeMessage>;
  refuseDeletes: boolean;
}

export type Failure = 403 | 409 | 429 | 500 | 502 | "drop";

export const BOT_USER = { id: 7_000_001, is_bot: true as const, first_name: "Keys", username: "keys_test_bot" };

class TelegramError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after: number },
  ) {
    super(description);
  }
}

const ALLOWED_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "code",
  "pre",
  "a",
  "tg-spoiler",
  "blockquote",
]);

/** Telegram refuses HTML it cannot parse; so does this fake, so broken markup fails a test instead of a follower. */
function checkHtml(text: string): void {
  const open: string[] = [];
  const pattern = /<(\/?)([a-z-]+)(?:\s[^>]*)?>|<|&(?!(?:amp|lt|gt|quot|#\d+);)/g;
  for (const match of text.matchAll(pattern)) {
    const [whole, closing, tag] = match;
    if (whole === "<" || whole === "&" || !tag || !ALLOWED_TAGS.has(tag)) {
      throw new TelegramError(
        400,
        `Bad Request: can't parse entities: unsupported start tag or unescaped character at byte offset ${match.index}`,
      );
    }
    if (closing) {
      if (open.pop() !== tag)
        throw new TelegramError(400, `Bad Request: can't parse entities: unmatched end tag "${tag}"`);
    } else {
      open.push(tag);
    }
  }
  if (open.length > 0) throw new TelegramError(400, `Bad Request: can't parse entities: unclosed tag "${open.at(-1)}"`);
}

export class FakeTelegram {
  readonly calls: RecordedCall[] = [];
  /** update_id to performance.now() when getUpdates first handed it to the bot. */
  private readonly takenAt = new Map<number, number>();
  private readonly updates: Update[] = [];
  private nextUpdateId = 1;
  private readonly chats = new Map<number, ChatState>();
  private readonly pollers = new Set<() => void>();
  private readonly callListeners = new Set<() => void>();
  private readonly readCursor = new Map<number, number>();
  private readonly textsByChat = new Map<number, RecordedCall[]>();
  private readonly textWaiters = new Map<number, Set<(call: RecordedCall) => void>>();
  private readonly callbackQueries = new Set<string>();
  private readonly updateOfMessage = new Map<string, number>();
  /** Business connection id to the chat its messages are in. */
  private readonly businessChats = new Map<string, number>();
  private wakeScheduled = false;
  private readonly broken = new Map<string, number>();
  private readonly scripted = new Map<string, Failure[]>();
  private readonly blocked = new Set<number>();
  private readonly delays = new Map<string, number>();
  private flood: { perSecond: number; forced: number } | undefined;
  private down = false;
  private readonly accepted: number[] = [];
  /** How many times sendMessage answered 429. */
  tooManyRequests = 0;
  /** Once the bot called setWebhook: updates are POSTed to it, and getUpdates answers 409. */
  webhook?: WebhookDelivery;
  private webhookUrl?: string;
  /** Stands for a load balancer in front of webhook replicas: their base URLs, taken in turn. */
  webhookTargets?: string[];
  /** Called the moment a successful answer has been written, for killing the caller at the worst moment. */
  onAnswered?: (call: RecordedCall) => void;
  private server?: Awaited<ReturnType<typeof listen>>;

  constructor(readonly token: string) {}

  async start(): Promise<string> {
    this.server = await listen((request, response) => void this.handle(request, response));
    return this.server.url;
  }

  /** The Bot API root the fake answers at (once started). */
  get apiRoot(): string {
    if (!this.server) throw new Error("the fake Bot API is not started");
    return this.server.url;
  }

  async stop(): Promise<void> {
    for (const wake of this.pollers) wake();
    await this.server?.stop();
  }

  // ---- the followers' side ----

  privateChat(user: FakeUser): FakeChat {
    return { id: user.id, type: "private", first_name: user.first_name };
  }

  sendText(user: FakeUser, text: string, chat: FakeChat = this.privateChat(user)): FakeMessage {
    const message = this.store(chat, { from: user, text });
    const command = /^\/[a-z_]+(@\w+)?/.exec(text);
    if (command) message.entities = [{ type: "bot_command", offset: 0, length: command[0].length }];
    this.push({ message });
    return message;
  }

  sendSticker(user: FakeUser, chat: FakeChat = this.privateChat(user)): FakeMessage {
    const message = this.store(chat, {
      from: user,
      sticker: { file_id: "sticker", width: 512, height: 512, is_animated: false, is_video: false, type: "regular" },
    });
    this.push({ message });
    return message;
  }

  /** A reply that quotes part of another message (Telegram shows the quote with it). */
  sendQuoting(user: FakeUser, text: string, quote: string, chat: FakeChat = this.privateChat(user)): FakeMessage {
    const message = this.store(chat, { from: user, text, quote: { text: quote, position: 0 } });
    this.push({ message });
    return message;
  }

  /** A photo with a caption, as a client sends it. */
  sendPhoto(user: FakeUser, caption: string, chat: FakeChat = this.privateChat(user)): FakeMessage {
    const photo = [{ file_id: "photo", file_unique_id: "photo-unique", width: 1280, height: 720 }];
    const message = this.store(chat, { from: user, caption, photo });
    this.push({ message });
    return message;
  }

  /** The sender edits a message they sent: Telegram delivers the whole message again as `edited_message`. */
  editText(message: FakeMessage, text: string): FakeMessage {
    const stored = this.chatState(message.chat.id).messages.get(message.message_id);
    if (!stored) throw new Error(`message ${message.message_id} is not in chat ${message.chat.id}`);
    stored.text = text;
    stored.edit_date = Math.floor(Date.now() / 1000);
    this.push({ edited_message: { ...stored } });
    return stored;
  }

  /** A post in a channel where the bot is an administrator. */
  postToChannel(channel: FakeChat, text: string): FakeMessage {
    const message = this.store(channel, { sender_chat: channel, text });
    this.push({ channel_post: message });
    return message;
  }

  /** A message in a chat of a business account that connected the bot (Telegram Business). */
  sendBusinessMessage(user: FakeUser, text: string, connectionId: string): FakeMessage {
    const chat = this.privateChat(user);
    this.businessChats.set(connectionId, chat.id);
    const message = this.store(chat, { from: user, text, business_connection_id: connectionId });
    this.push({ business_message: message });
    return message;
  }

  /** An update as it comes, however it is shaped: what a broken or hostile Bot API server could send. */
  sendRaw(update: Record<string, unknown>): void {
    this.push(update as Omit<Update, "update_id">);
  }

  /** Like a Telegram client: only a button that is on the message can be pressed. */
  pressButton(user: FakeUser, message: FakeMessage, data: string): void {
    const keyboard =
      (message.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined)?.inline_keyboard ?? [];
    if (!keyboard.flat().some((button) => button.callback_data === data))
      throw new Error(`no button "${data}" on message ${message.message_id}`);
    const id = `cq${this.nextUpdateId}`;
    this.callbackQueries.add(id);
    this.push({ callback_query: { id, from: user, message, chat_instance: String(message.chat.id), data } });
  }

  /**
   * Every press not answered yet goes stale, as Telegram's do after a while (a press that waited behind a
   * slow update of its chat): answering one is refused with 400 "query is too old".
   */
  expireCallbackQueries(): void {
    this.callbackQueries.clear();
  }

  /** The bot's messages still in this chat, as Telegram holds them now, oldest first. */
  botMessages(chatId: number): FakeMessage[] {
    return [...this.chatState(chatId).messages.values()].filter((message) => message.from === BOT_USER);
  }

  /** The last message the bot sent to this chat, as Telegram holds it now. */
  lastBotMessage(chatId: number): FakeMessage {
    const last = this.botMessages(chatId).at(-1);
    if (!last) throw new Error(`the bot sent nothing to chat ${chatId}`);
    return last;
  }

  /** The follower blocks the bot: messages to them fail with 403 from now on. */
  blockBot(chatId: number): void {
    this.blocked.add(chatId);
  }

  /**
   * Flood control like Telegram's: above `perSecond` messages in any second, sendMessage answers
   * 429 with retry_after; `forced` makes the next calls answer 429 regardless.
   */
  limitMessages(perSecond: number, forced = 0): void {
    this.flood = { perSecond, forced };
  }

  /** An outage: while down, every request's connection is cut before any answer. */
  setDown(down: boolean): void {
    this.down = down;
    // Long polls held open end now, so the next one meets the outage.
    if (down) for (const wake of this.pollers) wake();
  }

  /** Holds every answer to this method for a while, as a slow network would. */
  delayMethod(method: string, ms: number): void {
    this.delays.set(method, ms);
  }

  /** Makes the next calls of this method (all of them, by default) fail with a 500, as Telegram does on a bad day. */
  breakMethod(method: string, times = Number.POSITIVE_INFINITY): void {
    this.broken.set(method, times);
  }

  /**
   * The next calls of this method fail as listed, one failure per call: an HTTP status Telegram
   * answers with (429 comes with retry_after 1), or "drop" for a connection cut before any answer.
   */
  failNext(method: string, ...failures: Failure[]): void {
    this.scripted.set(method, [...(this.scripted.get(method) ?? []), ...failures]);
  }

  refuseDeletesIn(chatId: number): void {
    this.chatState(chatId).refuseDeletes = true;
  }

  messageExists(chatId: number, messageId: number): boolean {
    return this.chatState(chatId).messages.has(messageId);
  }

  // ---- what the bot did ----

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The bot's messages and edits in a chat, in order. */
  botTexts(chatId: number): string[] {
    return (this.textsByChat.get(chatId) ?? []).map((call) => String(call.payload.text));
  }

  /** The next message or edit the bot sends to this chat after the last one read; waits for it. */
  async nextBotMessage(chatId: number, timeoutMs = 5000): Promise<RecordedCall> {
    const cursor = this.readCursor.get(chatId) ?? 0;
    this.readCursor.set(chatId, cursor + 1);
    const texts = this.textsByChat.get(chatId) ?? [];
    if (cursor < texts.length) return texts[cursor]!;
    // Per-chat waiters: a burst of followers each waiting for their reply costs nothing per call.
    return new Promise((resolve, reject) => {
      const waiter = (call: RecordedCall) => {
        clearTimeout(timer);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.textWaiters.get(chatId)?.delete(waiter);
        reject(
          new Error(
            `timed out waiting for a message to chat ${chatId}; it got: ${JSON.stringify(this.botTexts(chatId)).slice(0, 400)}`,
          ),
        );
      }, timeoutMs);
      const waiters = this.textWaiters.get(chatId) ?? new Set();
      waiters.add(waiter);
      this.textWaiters.set(chatId, waiters);
    });
  }

  async waitForCall(
    predicate: (call: RecordedCall) => boolean,
    timeoutMs = 5000,
    what = "a matching call",
  ): Promise<RecordedCall> {
    return this.calls[await this.waitFor(predicate, 0, timeoutMs, what)]!;
  }

  /** Resolves with the index of the first call from `start` on that matches; each call is looked at once. */
  private waitFor(
    predicate: (call: RecordedCall) => boolean,
    start: number,
    timeoutMs: number,
    what: string,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      let next = start;
      const check = () => {
        for (; next < this.calls.length; next += 1) {
          if (!predicate(this.calls[next]!)) continue;
          this.callListeners.delete(check);
          clearTimeout(timer);
          resolve(next);
          return;
        }
      };
      const timer = setTimeout(() => {
        this.callListeners.delete(check);
        const recent = this.calls
          .slice(-8)
          .map((call) => `${call.method} ${JSON.stringify(call.payload).slice(0, 160)}`);
        reject(new Error(`timed out waiting for ${what}; last calls:\n${recent.join("\n")}`));
      }, timeoutMs);
      this.callListeners.add(check);
      check();
    });
  }

  // ---- the Bot API ----

  private recordText(chatId: number, call: RecordedCall): void {
    const texts = this.textsByChat.get(chatId) ?? [];
    texts.push(call);
    this.textsByChat.set(chatId, texts);
    const waiters = this.textWaiters.get(chatId);
    const waiter = waiters?.values().next().value;
    if (!waiter) return;
    // The waiter was handed the slot at this index when it started waiting.
    waiters!.delete(waiter);
    waiter(call);
  }

  private chatState(chatId: number): ChatState {
    let state = this.chats.get(chatId);
    if (!state) {
      state = { nextMessageId: 1, messages: new Map(), refuseDeletes: false };
      this.chats.set(chatId, state);
    }
    return state;
  }

  private store(chat: FakeChat, content: Partial<FakeMessage>): FakeMessage {
    const state = this.chatState(chat.id);
    const message: FakeMessage = {
      message_id: state.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat,
      ...content,
    };
    state.messages.set(message.message_id, message);
    return message;
  }

  private push(update: Omit<Update, "update_id">): void {
    const updateId = this.nextUpdateId++;
    if (this.webhook) {
      this.webhook.deliver({ update_id: updateId, ...update });
      if (update.message) this.updateOfMessage.set(`${update.message.chat.id}:${update.message.message_id}`, updateId);
      return;
    }
    this.updates.push({ update_id: updateId, ...update });
    if (update.message) this.updateOfMessage.set(`${update.message.chat.id}:${update.message.message_id}`, updateId);
    // Wake long polls once per tick, so that messages sent together are handed over together, as Telegram does.
    if (!this.wakeScheduled) {
      this.wakeScheduled = true;
      setImmediate(() => {
        this.wakeScheduled = false;
        for (const wake of this.pollers) wake();
      });
    }
  }

  /** The update_id of the update that carried this message. */
  updateIdOf(message: FakeMessage): number | undefined {
    return this.updateOfMessage.get(`${message.chat.id}:${message.message_id}`);
  }

  /** performance.now() when getUpdates handed this message to the bot. */
  takenAtOf(message: FakeMessage): number | undefined {
    const updateId = this.updateOfMessage.get(`${message.chat.id}:${message.message_id}`);
    return updateId === undefined ? undefined : this.takenAt.get(updateId);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = performance.now();
    if (this.down) return void request.socket.destroy();
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(request.url ?? "");
    if (!match) return sendJson(response, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method] = match as unknown as [string, string, string];
    const body = await readBody(request);
    if (token !== this.token)
      return sendJson(response, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const payload = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
    const call: RecordedCall = { method, payload, at };
    this.calls.push(call);
    for (const listener of [...this.callListeners]) listener();
    const failure = this.scripted.get(method)?.shift();
    if (failure === "drop") return void request.socket.destroy();
    if (failure === 429)
      return sendJson(response, 429, {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        parameters: { retry_after: 1 },
      });
    if (failure !== undefined)
      return sendJson(response, failure, {
        ok: false,
        error_code: failure,
        description:
          failure === 502
            ? "Bad Gateway"
            : failure === 403
              ? "Forbidden: bot was blocked by the user"
              : failure === 409
                ? "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                : "Internal Server Error",
      });
    try {
      call.result = await this.answer(method, payload, request);
      // Only what Telegram accepted shows up in the chat.
      if (method === "sendMessage" || method === "editMessageText") this.recordText(Number(payload.chat_id), call);
      sendJson(response, 200, { ok: true, result: call.result });
      this.onAnswered?.(call);
    } catch (error) {
      if (!(error instanceof TelegramError)) throw error;
      sendJson(response, error.code, {
        ok: false,
        error_code: error.code,
        description: error.description,
        parameters: error.parameters,
      });
    }
  }

  private async answer(method: string, payload: Record<string, unknown>, request: IncomingMessage): Promise<unknown> {
    const failures = this.broken.get(method) ?? 0;
    if (failures > 0) {
      this.broken.set(method, failures - 1);
      throw new TelegramError(500, "Internal Server Error");
    }
    const delay = this.delays.get(method);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    // The caller died while we held the request: Telegram would not have acted on it either.
    if (request.socket.destroyed) throw new TelegramError(499, "Client Closed Request");
    switch (method) {
      case "getMe":
        return BOT_USER;
      case "getUpdates":
        return this.getUpdates(payload, request);
      case "setMyCommands":
      case "setChatMenuButton":
        return true;
      case "deleteWebhook":
        this.webhook = undefined;
        this.webhookUrl = undefined;
        return true;
      case "getWebhookInfo":
        return { url: this.webhookUrl ?? "", has_custom_certificate: false, pending_update_count: this.updates.length };
      case "setWebhook": {
        this.webhookUrl = String(payload.url);
        const setting = {
          url: String(payload.url),
          secret: payload.secret_token === undefined ? undefined : String(payload.secret_token),
          maxConnections: Number(payload.max_connections ?? 40),
        };
        // The same webhook again (another replica starting): Telegram goes on delivering as it was.
        const current = this.webhook?.setting;
        if (current && JSON.stringify(current) === JSON.stringify(setting)) return true;
        this.webhook = new WebhookDelivery(setting, this.webhookTargets, (update) => {
          if (!this.takenAt.has(update.update_id)) this.takenAt.set(update.update_id, performance.now());
        });
        for (const pending of this.updates.splice(0)) this.webhook.deliver(pending);
        return true;
      }
      case "sendMessage": {
        const chatId = Number(payload.chat_id);
        this.enforceFloodControl();
        if (this.blocked.has(chatId)) throw new TelegramError(403, "Forbidden: bot was blocked by the user");
        const text = String(payload.text ?? "");
        if (text.trim() === "") throw new TelegramError(400, "Bad Request: message text is empty");
        if (text.length > 4096) throw new TelegramError(400, "Bad Request: message is too long");
        if (payload.parse_mode === "HTML") checkHtml(text);
        const chat = this.privateChatOrKnown(chatId);
        return this.store(chat, { from: BOT_USER, text, reply_markup: payload.reply_markup });
      }
      case "editMessageText": {
        const message = this.chatState(Number(payload.chat_id)).messages.get(Number(payload.message_id));
        if (!message) throw new TelegramError(400, "Bad Request: message to edit not found");
        if (payload.parse_mode === "HTML") checkHtml(String(payload.text));
        message.text = String(payload.text);
        message.reply_markup = payload.reply_markup;
        return message;
      }
      case "editMessageReplyMarkup": {
        const message = this.chatState(Number(payload.chat_id)).messages.get(Number(payload.message_id));
        if (!message) throw new TelegramError(400, "Bad Request: message to edit not found");
        message.reply_markup = payload.reply_markup;
        return message;
      }
      case "deleteMessage": {
        const state = this.chatState(Number(payload.chat_id));
        const messageId = Number(payload.message_id);
        if (state.refuseDeletes) throw new TelegramError(400, "Bad Request: message can't be deleted");
        if (!state.messages.delete(messageId)) throw new TelegramError(400, "Bad Request: message to delete not found");
        return true;
      }
      case "deleteBusinessMessages": {
        const chatId = this.businessChats.get(String(payload.business_connection_id));
        if (chatId === undefined) throw new TelegramError(400, "Bad Request: business connection not found");
        const ids = payload.message_ids as number[];
        const messages = this.chatState(chatId).messages;
        if (!ids.every((id) => messages.has(id)))
          throw new TelegramError(400, "Bad Request: message to delete not found");
        for (const id of ids) messages.delete(id);
        return true;
      }
      case "answerCallbackQuery": {
        if (!this.callbackQueries.delete(String(payload.callback_query_id))) {
          throw new TelegramError(
            400,
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
          );
        }
        return true;
      }
      default:
        throw new TelegramError(404, "Not Found");
    }
  }

  private enforceFloodControl(): void {
    if (!this.flood) return;
    const now = performance.now();
    while (this.accepted.length > 0 && this.accepted[0]! <= now - 1000) this.accepted.shift();
    if (this.flood.forced > 0 || this.accepted.length >= this.flood.perSecond) {
      if (this.flood.forced > 0) this.flood.forced -= 1;
      this.tooManyRequests += 1;
      throw new TelegramError(429, "Too Many Requests: retry after 1", { retry_after: 1 });
    }
    this.accepted.push(now);
  }

  private privateChatOrKnown(chatId: number): FakeChat {
    for (const message of this.chatState(chatId).messages.values()) return message.chat;
    return { id: chatId, type: "private" };
  }

  /** Long polling as Telegram does it: `offset` confirms, `timeout` (seconds) holds the request open. */
  private async getUpdates(payload: Record<string, unknown>, request: IncomingMessage): Promise<Update[]> {
    if (this.webhook)
      throw new TelegramError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    const offset = Number(payload.offset ?? 0);
    const limit = Math.min(Math.max(Number(payload.limit ?? 100), 1), 100);
    const timeoutMs = Number(payload.timeout ?? 0) * 1000;
    if (offset > 0) {
      while (this.updates.length > 0 && this.updates[0]!.update_id < offset) this.updates.shift();
    }
    const pending = () => this.updates.filter((update) => update.update_id >= offset).slice(0, limit);
    if (pending().length === 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.pollers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.pollers.add(done);
        request.once("close", done);
      });
    }
    const batch = pending();
    const now = performance.now();
    for (const update of batch) if (!this.takenAt.has(update.update_id)) this.takenAt.set(update.update_id, now);
    return batch;
  }
}
