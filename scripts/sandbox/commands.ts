// What a line typed in the sandbox does: a plain line is your message to the bot; a line that
// starts with "!" is a sandbox command. No input ends in a stack trace: a problem is one line.
import type { FakeBybitOAuth } from "../../test/support/fake-bybit-oauth.js";
import type { FakeChat, FakeTelegram, FakeUser } from "../../test/support/fake-telegram.js";
import { bringForward, spanOf } from "./clock.js";
import type { SampleKeys } from "./keys.js";
import type { Transcript } from "./transcript.js";
import { approveInBybit } from "./oauth.js";
import { pageAddress } from "./page.js";

export interface Sandbox {
  telegram: FakeTelegram;
  you: FakeUser;
  group: FakeChat;
  transcript: Transcript;
  keys: SampleKeys;
  out: (line: string) => void;
  /** The bot's data folder: where its Redis leaves its address. */
  dataDir: string;
  /** Bybit's OAuth fake, with `--oauth` (Connect with Bybit on). */
  oauth?: FakeBybitOAuth;
  /** The bot's token (the Mini App's initData is signed with it) and PUBLIC_URL (its pages, on this machine). */
  token: string;
  publicUrl: string;
}

export const HELP = [
  "Type a message and press Enter to send it to the bot in your private chat. Sandbox commands:",
  "  !press 3 2          tap button 2 of message #3 (also: !press 3 <button data>, !press 3 <part of its text>)",
  "  !press 2            tap button 2 of the newest message with buttons (or: !press <part of a button's text>)",
  "  !group <text>       say <text> in the group “Copy traders”, where the bot is a member",
  "  !keys               list the sample keys: good ones and one of each kind the bot refuses",
  "  !selfkey            do what Bybit's “Self-generated API Keys” dialog does with the public key the bot showed",
  "  !revoke [key]       delete a key in Bybit (a label from !keys or an API key; default: the last key you sent the bot)",
  "  !lang ru            speak to the bot as a Telegram set to Russian (!lang en: back to English)",
  "  !clock +80d         bring forward the reminders due within 80 days (day 80, expiry): the bot sends them now",
  "  !bybit approve      with --oauth: tap “Connect with Bybit”, then approve in Bybit (or: !bybit deny)",
  "  !page status        the Mini App's page for you, to open in a browser here (home, connect, status, panic)",
  "  !help               this list",
  "  !quit               stop the bot and the sandbox (so does Ctrl-C or Ctrl-D)",
];

export type Outcome = "quit" | undefined;

export class Commands {
  /** The last sample or self-generated API key you sent the bot in private: what `!revoke` deletes by default. */
  private lastKey?: string;

  constructor(private readonly s: Sandbox) {}

  handle(line: string): Outcome {
    const text = line.trim();
    if (text === "") return;
    if (!text.startsWith("!")) return this.say(text, this.s.telegram.privateChat(this.s.you));
    const [, name = "", rest = ""] = /^!(\S*)\s*([\s\S]*)$/.exec(text) ?? [];
    switch (name) {
      case "quit":
      case "exit":
        return "quit";
      case "help":
        return this.print(HELP);
      case "keys":
        return this.print(this.s.keys.listing());
      case "press":
        return this.press(rest);
      case "group":
        if (rest === "") return this.print(["(!group needs a text: !group /connect, for example)"]);
        return this.say(rest, this.s.group);
      case "selfkey":
        return this.selfKey();
      case "revoke":
        return this.revoke(rest);
      case "lang":
        return this.lang(rest);
      case "clock":
        return this.clock(rest);
      case "bybit":
        return this.bybit(rest);
      case "page": {
        const page = pageAddress(this.s, rest || "home");
        return this.print([
          "url" in page ? `(open in a browser, within 10 minutes: ${page.url})` : `(${page.problem})`,
        ]);
      }
      default:
        return this.print([`(unknown command “!${name}”; !help lists the sandbox commands)`]);
    }
  }

  private say(text: string, chat: FakeChat): Outcome {
    if (chat.type === "private") this.lastKey = this.s.keys.mentionedIn(text) ?? this.lastKey;
    this.s.transcript.sent(this.s.telegram.sendText(this.s.you, text, chat));
    return undefined;
  }

  private press(spec: string): Outcome {
    if (spec === "")
      return this.print(["(!press needs a button: !press 3 2 taps button 2 of message #3; !help for more)"]);
    const found = this.s.transcript.find(spec);
    if ("problem" in found) return this.print([`(${found.problem})`]);
    this.s.telegram.pressButton(this.s.you, found.shown.message, found.button.callback_data);
    return this.print([`you> [pressed “${found.button.text}” on #${found.shown.number}]`]);
  }

  private selfKey(): Outcome {
    const publicKey = this.s.transcript.lastPublicKey();
    if (!publicKey)
      return this.print(["(the bot has not shown you a public key yet: /connect, then press “Make the key for me”)"]);
    const apiKey = this.s.keys.selfGenerate(publicKey);
    return this.print([`(Bybit made a self-generated key. Its API key, to send to the bot: ${apiKey})`]);
  }

  private revoke(which: string): Outcome {
    const target = which || this.lastKey;
    if (!target) return this.print(["(which key? !revoke <label or API key>; !keys lists them)"]);
    const deleted = this.s.keys.revoke(target);
    if (!deleted) return this.print([`(no sample key “${target}”; !keys lists them)`]);
    return this.print([`(the key ${deleted} is deleted in Bybit now)`]);
  }

  private lang(code: string): Outcome {
    if (!/^[a-z]{2}$/.test(code)) {
      const now = this.s.you.language_code ?? "en";
      return this.print([`(!lang needs a language code: !lang ru, or !lang en; now: ${now})`]);
    }
    this.s.you.language_code = code;
    return this.print([`(your Telegram speaks “${code}” now: the bot answers in it if it can, in English if not)`]);
  }

  private clock(span: string): Outcome {
    const ms = spanOf(span);
    if (ms === null) return this.print(["(!clock needs a span ahead: !clock +80d, or !clock +12h)"]);
    bringForward(this.s.dataDir, ms).then(
      (lines) => this.print(lines),
      (error: Error) => this.print([`(could not bring the reminders forward: ${error.message})`]),
    );
    return undefined;
  }

  /** What Telegram and the follower's browser do with the Connect with Bybit button (oauth.ts). */
  private bybit(decision: string): Outcome {
    const { oauth } = this.s;
    if (!oauth) return this.print(["(Connect with Bybit is off: start with npm run sandbox -- --oauth)"]);
    if (decision !== "approve" && decision !== "deny") return this.print(["(!bybit approve, or !bybit deny)"]);
    approveInBybit({ ...this.s, oauth }, decision, (lines) => this.print(lines)).catch((error: Error) =>
      this.print([`(the browser got no page: ${error.message})`]),
    );
    return undefined;
  }

  private print(lines: string[]): Outcome {
    for (const line of lines) this.s.out(line);
    return undefined;
  }
}
