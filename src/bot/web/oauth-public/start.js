/* global window, document, location, fetch, URLSearchParams, DOMParser */
// "Connect with Bybit"'s start page script: no library, nothing from elsewhere. Telegram opened this page from
// the chat's button with its signed initData in the #hash; this sends it, with the button's ticket, to our
// server (never in a URL), which answers Bybit's approval address and a cookie that ties the approval to this
// browser. Then this browser goes to Bybit. Any other answer is shown as text, and nothing else happens.
"use strict";
(() => {
  const message = document.getElementById("message");
  const say = (html) => {
    // The server's words may hold simple HTML: only their text is shown.
    message.textContent = new DOMParser().parseFromString(String(html || ""), "text/html").body.textContent;
  };
  // Telegram's clients hide their loader on this; outside Telegram, nothing happens.
  try {
    if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent("web_app_ready", "{}");
  } catch {
    // Not in Telegram.
  }
  // In Telegram Web the page is framed: its cookie would be a third party's, and Bybit's page is not framed.
  if (window.parent !== window) return say(message.getAttribute("data-framed"));
  const initData = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  const ticket = new URLSearchParams(location.search).get("t") || "";
  fetch("begin", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `tma ${initData}` },
    body: JSON.stringify({ ticket }),
    cache: "no-store",
    credentials: "same-origin",
    referrerPolicy: "no-referrer",
  })
    .then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (response.ok && typeof answer.authorizeUrl === "string" && /^https?:\/\//.test(answer.authorizeUrl)) {
        say(answer.html);
        location.assign(answer.authorizeUrl);
      } else say(answer.html || message.getAttribute("data-failed"));
    })
    .catch(() => say(message.getAttribute("data-failed")));
})();
