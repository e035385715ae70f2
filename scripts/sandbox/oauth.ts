// `!bybit approve`: what Telegram and the follower's browser do with the “Connect with Bybit” button. Telegram
// opens our start page with initData it signs for you; the page's script posts it with the button's ticket to
// /oauth/bybit/begin and keeps the cookie the answer sets; the browser goes to Bybit's page (the fake), you
// decide there, and Bybit sends the browser back to our callback, cookie and all.
import { BEGIN_PATH, START_PATH } from "../../src/bot/web/oauth-start.js";
import type { FakeBybitOAuth } from "../../test/support/fake-bybit-oauth.js";
import type { FakeTelegram, FakeUser } from "../../test/support/fake-telegram.js";
import { initDataFor } from "./page.js";
import { plain, type Transcript } from "./transcript.js";

export interface OAuthSandbox {
  telegram: FakeTelegram;
  you: FakeUser;
  token: string;
  publicUrl: string;
  transcript: Transcript;
  oauth: FakeBybitOAuth;
}

/** The lines to print as it goes, or a problem; `say` hears each step. */
export async function approveInBybit(
  s: OAuthSandbox,
  decision: "approve" | "deny",
  say: (lines: string[]) => void,
): Promise<void> {
  const start = s.transcript.lastLink(`${s.publicUrl}${START_PATH}`);
  if (!start) return say(["(no “Connect with Bybit” button on screen: send /connect first)"]);
  say([`(Telegram opens the start page for you: ${start})`]);
  const begun = await fetch(`${s.publicUrl}${BEGIN_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `tma ${initDataFor(s)}` },
    body: JSON.stringify({ ticket: new URL(start).searchParams.get("t") ?? "" }),
  });
  const answer = (await begun.json().catch(() => ({}))) as { authorizeUrl?: string; html?: string };
  if (!begun.ok || !answer.authorizeUrl)
    return say([`(the start page says, ${begun.status}: ${plain(answer.html ?? "")})`]);
  // Only the cookie's name=value goes back, to our origin, as a browser does.
  const cookie = begun.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  say([
    `(it sets its cookie and sends your browser to Bybit's approval page: ${answer.authorizeUrl})`,
    `(you press ${decision} there)`,
  ]);
  const back = await s.oauth.decide(answer.authorizeUrl, decision);
  say([`(Bybit sends your browser back to ${back})`]);
  const response = await fetch(back, { redirect: "manual", headers: { cookie } });
  const text = /<p>([\s\S]*)<\/p>/.exec(await response.text())?.[1] ?? "";
  say([`(the page says, ${response.status}: ${plain(text)})`]);
}
