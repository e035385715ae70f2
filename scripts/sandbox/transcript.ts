// What the sandbox prints of the chats: every message the bot sends, numbered as printed, with
// its buttons numbered; its edits and deletions as they happen (deletions of your messages too);
// and the lookups `!press` needs to find a message and a button on it.
import type { FakeMessage, RecordedCall } from "../../test/support/fake-telegram.js";

interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  web_app?: { url: string };
}

/** A bot message as the sandbox printed it. `message` is the fake's own record: edits change it in place. */
export interface Shown {
  number: number;
  message: FakeMessage;
  deleted: boolean;
  /** How many buttons it had when last printed. */
  buttons: number;
}

export type Found = { shown: Shown; button: InlineButton & { callback_data: string } } | { problem: string };

const MAX_QUOTE = 24;

/** The buttons `!press` can tap (a Mini App's `web_app` buttons open a page instead: `pagesOf`). */
export function buttonsOf(message: FakeMessage): InlineButton[] {
  return allButtons(message).filter((button) => !button.web_app);
}
const allButtons = (message: FakeMessage): InlineButton[] =>
  (message.reply_markup as { inline_keyboard?: InlineButton[][] } | undefined)?.inline_keyboard?.flat() ?? [];
/** The pages a message's `web_app` buttons open: "[text] → !page <view>" (or `!bybit approve`). */
const pagesOf = (message: FakeMessage): string[] =>
  allButtons(message)
    .filter((button) => button.web_app)
    .map((button) => {
      const path = new URL(button.web_app!.url).pathname;
      // Connect with Bybit's start page: what a browser does with it is `!bybit approve`.
      const command = path.endsWith("/oauth/bybit/start") ? "!bybit approve" : `!page ${path.split("/").pop()}`;
      return `[${button.text}] → ${command}`;
    });

/** Telegram shows HTML as formatting; the terminal shows the plain text. */
export function plain(text: string): string {
  return text
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

function quote(text: string): string {
  const line = text.replace(/\s+/g, " ");
  return `“${line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE)}…` : line}”`;
}

export class Transcript {
  private nextNumber = 1;
  private readonly shown: Shown[] = [];
  private readonly byId = new Map<string, Shown>();
  /** Your messages, by chat and id: to say which one the bot deleted. */
  private readonly yours = new Map<string, string>();

  constructor(
    private readonly out: (line: string) => void,
    private readonly groupId: number,
  ) {}

  /** A message you sent. */
  sent(message: FakeMessage): void {
    this.yours.set(`${message.chat.id}:${message.message_id}`, message.text ?? "");
  }

  /** A Bot API call that Telegram (the fake) accepted. */
  observe(call: RecordedCall): void {
    const chatId = Number(call.payload.chat_id);
    const key = `${chatId}:${Number(call.payload.message_id)}`;
    switch (call.method) {
      case "sendMessage": {
        const shown: Shown = {
          number: this.nextNumber++,
          message: call.result as FakeMessage,
          deleted: false,
          buttons: 0,
        };
        this.shown.push(shown);
        this.byId.set(`${chatId}:${shown.message.message_id}`, shown);
        return this.print(`#${shown.number}${this.where(chatId)} bot> `, shown);
      }
      case "editMessageText": {
        const shown = this.byId.get(key);
        if (shown) this.print(`#${shown.number}${this.where(chatId)} edited> `, shown);
        return;
      }
      case "deleteMessage": {
        const shown = this.byId.get(key);
        if (shown) {
          shown.deleted = true;
          return this.out(`[#${shown.number}${this.where(chatId)} deleted by the bot]`);
        }
        const yours = this.yours.get(key);
        if (yours !== undefined)
          this.out(`[deleted your message${chatId === this.groupId ? " in the group" : ""} ${quote(yours)}]`);
        return;
      }
      case "answerCallbackQuery":
        if (call.payload.text) this.out(`    (popup) ${plain(String(call.payload.text))}`);
        return;
    }
  }

  /** The newest public key (PEM) the bot showed, for `!selfkey`. */
  /** The newest link button whose address starts with `prefix` (Connect with Bybit's approval page). */
  lastLink(prefix: string): string | undefined {
    for (const shown of [...this.shown].reverse()) {
      const link = allButtons(shown.message)
        .map((button) => button.url ?? button.web_app?.url)
        .find((url) => url?.startsWith(prefix));
      if (link && !shown.deleted) return link;
    }
    return undefined;
  }

  lastPublicKey(): string | undefined {
    for (const shown of [...this.shown].reverse()) {
      const pem = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(
        plain(shown.message.text ?? ""),
      )?.[0];
      if (pem) return `${pem}\n`;
    }
    return undefined;
  }

  /**
   * `!press` finds its button: `3 2` or `3 DATA` or `3 text` on message #3; without a message
   * number, a button number means the newest message with buttons, and data or text the newest
   * message that has such a button.
   */
  find(spec: string): Found {
    const [first, ...rest] = spec.split(/\s+/);
    const numbered = /^#?(\d+)$/.exec(first ?? "");
    if (numbered && rest.length > 0) {
      const shown = this.shown.find((candidate) => candidate.number === Number(numbered[1]));
      if (!shown) return { problem: `there is no message #${numbered[1]} (bot messages are numbered as printed)` };
      return this.buttonOn(shown, rest.join(" "));
    }
    const live = this.shown
      .filter((candidate) => !candidate.deleted && buttonsOf(candidate.message).length > 0)
      .reverse();
    if (live.length === 0) return { problem: "no message on screen has buttons" };
    if (/^\d+$/.test(spec)) return this.buttonOn(live[0]!, spec);
    for (const shown of live) {
      const found = this.buttonOn(shown, spec);
      if ("button" in found || found.problem.includes("matches several")) return found;
    }
    return { problem: `no message on screen has a button “${spec}”; ${this.listing(live[0]!)}` };
  }

  private buttonOn(shown: Shown, spec: string): Found {
    if (shown.deleted) return { problem: `#${shown.number} was deleted, so its buttons are gone` };
    const buttons = buttonsOf(shown.message);
    if (buttons.length === 0) return { problem: `#${shown.number} has no buttons` };
    const wanted = spec.toLowerCase();
    const index = /^\d+$/.test(spec) ? Number(spec) - 1 : -1;
    const matches =
      index >= 0
        ? buttons.slice(index, index + 1)
        : ([
            buttons.filter((button) => button.callback_data === spec || button.text.toLowerCase() === wanted),
            buttons.filter((button) => button.text.toLowerCase().includes(wanted)),
          ].find((list) => list.length > 0) ?? []);
    if (matches.length > 1)
      return { problem: `“${spec}” matches several buttons on #${shown.number}; ${this.listing(shown)}` };
    const button = matches[0];
    if (!button) return { problem: `#${shown.number} has no button “${spec}”; ${this.listing(shown)}` };
    if (button.callback_data === undefined)
      return { problem: `that button opens a link (${button.url ?? "nowhere"}), nothing to press here` };
    return { shown, button: { ...button, callback_data: button.callback_data } };
  }

  private listing(shown: Shown): string {
    return `the buttons of #${shown.number}: ${buttonsOf(shown.message)
      .map((button, i) => `${i + 1} [${button.text}]`)
      .join("  ")}`;
  }

  private where(chatId: number): string {
    return chatId === this.groupId ? " [group]" : "";
  }

  private print(prefix: string, shown: Shown): void {
    const indent = " ".repeat(prefix.length);
    const lines = plain(shown.message.text ?? "").split("\n");
    this.out(lines.map((line, i) => (i === 0 ? `${prefix}${line}` : line === "" ? "" : `${indent}${line}`)).join("\n"));
    const buttons = buttonsOf(shown.message);
    for (const page of pagesOf(shown.message)) this.out(`${indent}web app: ${page}`);
    if (buttons.length === 0 && shown.buttons > 0) this.out(`${indent}(no buttons now)`);
    shown.buttons = buttons.length;
    if (buttons.length === 0) return;
    const labels = buttons.map((button, i) =>
      button.callback_data === undefined ? `[${button.text}](${button.url ?? "link"})` : `${i + 1} [${button.text}]`,
    );
    this.out(`${indent}buttons: ${labels.join("  ")}   → !press ${shown.number} <n>`);
  }
}
