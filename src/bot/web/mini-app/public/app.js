/* global window, document, location, navigator, fetch, URLSearchParams, DOMParser, Node */
// The Mini App's page script: no library, nothing loaded from elsewhere. It reads Telegram's launch
// parameters from the URL's #hash (tgWebAppData: the initData Telegram signed), sends them in a header with
// each API call (never in a URL), and shows what the API answers, in the follower's language. Texts arrive in
// Telegram's HTML subset and are rebuilt here tag by tag from an allowlist: nothing else becomes markup.
"use strict";
(() => {
  const launch = new URLSearchParams(location.hash.slice(1));
  const initData = launch.get("tgWebAppData") || "";
  const firstTicket = new URLSearchParams(location.search).get("t") || "";
  const view = location.pathname.split("/").pop() || "home";
  const base = location.pathname.replace(/[^/]*$/, "");
  const root = document.getElementById("app");
  const inTelegram = Boolean(window.TelegramWebviewProxy) || window.parent !== window;

  // Telegram's colours, when it passes them: only #rrggbb values become CSS variables.
  try {
    const theme = JSON.parse(launch.get("tgWebAppThemeParams") || "{}");
    for (const [name, value] of Object.entries(theme))
      if (/^#[0-9a-fA-F]{6}$/.test(String(value)))
        document.documentElement.style.setProperty(`--tg-${name.replace(/_/g, "-")}`, value);
  } catch {
    // No theme: the page's own colours.
  }

  // Telegram's clients take these events (web_app_ready hides their loader); outside Telegram, nothing happens.
  const postEvent = (eventType, eventData = {}) => {
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(eventType, JSON.stringify(eventData));
      else if (window.parent !== window)
        window.parent.postMessage(JSON.stringify({ eventType, eventData }), "https://web.telegram.org");
    } catch {
      // Not in Telegram.
    }
  };

  /** The page's words once the API has sent them: failures after that are told in the follower's language. */
  let known = null;
  const call = async (path, body) => {
    try {
      const response = await fetch(`${base}api/${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `tma ${initData}` },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      const data = await response.json().catch(() => ({}));
      if (data.words) known = data.words;
      // A proxy's error page, or an answer cut off: never an empty card.
      const html = data.html || (response.ok ? "" : `⚠️ ${known ? known.failed : ""}`);
      return { ...data, html, ok: response.ok, status: response.status };
    } catch {
      return { ok: false, status: 0, html: `⚠️ ${known ? known.offline : "No connection. Try again."}` };
    }
  };

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (name === "class") node.className = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };
  const show = (where, ...children) => where.replaceChildren(...children.filter(Boolean));
  const render = (...children) => {
    show(root, ...children);
    postEvent("web_app_ready");
  };

  const ALLOWED = new Set([
    "B",
    "STRONG",
    "I",
    "EM",
    "U",
    "INS",
    "S",
    "STRIKE",
    "DEL",
    "CODE",
    "PRE",
    "A",
    "BLOCKQUOTE",
  ]);
  const openLink = (event) => {
    if (!inTelegram) return;
    event.preventDefault();
    postEvent("web_app_open_link", { url: event.currentTarget.href });
  };
  /** Telegram's HTML subset as elements: allowed tags kept (links only to https://), everything else as text. */
  const rich = (html) => {
    // A parsed document runs no script and loads nothing; only its text and allowed tags are copied out.
    const parsed = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
    const copy = (from, to) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) to.append(node.textContent);
        else if (node.nodeType !== Node.ELEMENT_NODE) continue;
        else if (!ALLOWED.has(node.tagName)) copy(node, to);
        else {
          const made = document.createElement(node.tagName.toLowerCase());
          const href = node.tagName === "A" ? node.getAttribute("href") || "" : "";
          if (/^https:\/\//.test(href)) {
            made.setAttribute("href", href);
            made.setAttribute("target", "_blank");
            made.setAttribute("rel", "noopener noreferrer");
            made.addEventListener("click", openLink);
          }
          copy(node, made);
          to.append(made);
        }
      }
    };
    const box = el("div", { class: "rich" });
    copy(parsed.body, box);
    return box;
  };
  const refusal = (answer) => render(el("div", { class: "card refusal", id: "refusal" }, rich(answer.html)));

  const field = (id, label, secret) => {
    const input = el("input", {
      id,
      type: secret ? "password" : "text",
      autocomplete: "off",
      autocapitalize: "off",
      autocorrect: "off",
      spellcheck: "false",
      maxlength: "128",
    });
    return { input, nodes: [el("label", { for: id }, label), input] };
  };
  const onEnter = (inputs, button) => {
    for (const input of inputs)
      input.addEventListener("keydown", (event) => event.key === "Enter" && (event.preventDefault(), button.click()));
  };
  const copyText = async (text, button, done) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { readonly: "" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = done;
  };

  async function home() {
    const answer = await call("words", {});
    if (!answer.ok) return refusal(answer);
    const words = answer.words;
    const link = (to, text, kind) => el("a", { href: `${base}${to}${location.hash}`, class: kind || "" }, text);
    render(
      el("h1", {}, words.title),
      el("nav", { class: "links" }, link("status", words.openStatus), link("panic", words.openPanic, "danger")),
      el("p", { class: "note" }, words.homeConnect),
    );
  }

  async function connect() {
    let ticket = firstTicket;
    const opened = await call("connect/open", { ticket });
    if (!opened.ok) return refusal(opened);
    const words = opened.words;
    const result = el("section", { class: "result", id: "result", "aria-live": "polite" });
    const inputs = [];
    const submit = async (way, keyInput, secretInput, button) => {
      button.disabled = true;
      show(result, el("p", { class: "checking" }, words.checking));
      const body = { ticket, way, apiKey: keyInput.value };
      if (secretInput) body.apiSecret = secretInput.value;
      const answer = await call("connect", body);
      button.disabled = false;
      if (answer.ticket) ticket = answer.ticket;
      result.dataset.outcome = answer.outcome || answer.refused || "failed";
      const card = el("div", { class: answer.outcome === "connected" ? "card" : "card refusal" }, rich(answer.html));
      show(result, card, answer.outcome ? el("p", { class: "note" }, words.alsoInChat) : null);
      if (answer.outcome === "connected" || answer.refused === "ticket-gone") {
        for (const input of inputs) {
          input.value = "";
          input.disabled = true;
        }
        for (const other of root.querySelectorAll("button")) other.disabled = true;
      }
      result.scrollIntoView({ block: "nearest" });
    };

    const key = field("api-key", words.apiKey);
    const secret = field("api-secret", words.apiSecret, true);
    const go = el("button", { type: "button", class: "primary", id: "connect-secret" }, words.connect);
    go.addEventListener("click", () => submit("hmac", key.input, secret.input, go));
    onEnter([key.input, secret.input], go);
    inputs.push(key.input, secret.input);
    const how = el("details", {}, el("summary", {}, words.how), rich(opened.hmacSteps));
    const haveSecret = el("div", { class: "card", id: "have-secret" }, el("h2", {}, words.haveSecret), how);
    haveSecret.append(...key.nodes, ...secret.nodes, go);

    const pair = el("div", { id: "pair" });
    const make = el("button", { type: "button", id: "make-pair" }, words.makeButton);
    /** The public key with its Copy button and steps, then the API key's field. */
    const showPair = (answer) => {
      const steps = rich(answer.html);
      const copy = el("button", { type: "button", class: "copy", id: "copy-public-key" }, words.copy);
      copy.addEventListener("click", () => copyText(answer.publicKeyPem, copy, words.copied));
      const pre = steps.querySelector("pre");
      if (pre) pre.after(copy);
      else steps.prepend(copy);
      const rsaKey = field("rsa-api-key", words.apiKey);
      const send = el("button", { type: "button", class: "primary", id: "connect-rsa" }, words.connect);
      send.addEventListener("click", () => submit("rsa", rsaKey.input, null, send));
      onEnter([rsaKey.input], send);
      inputs.push(rsaKey.input);
      make.remove();
      show(pair, steps, ...rsaKey.nodes, send);
    };
    make.addEventListener("click", async () => {
      make.disabled = true;
      const answer = await call("connect/pair", { ticket });
      if (!answer.ok) return show(pair, el("div", { class: "card refusal" }, rich(answer.html)));
      showPair(answer);
    });
    const lead = el("p", { class: "lead" }, words.makeForMeLead);
    const makeForMe = el("div", { class: "card", id: "make-for-me" }, el("h2", {}, words.makeForMe), lead, make, pair);
    // A pair made before the page was reopened: its public key may be in Bybit already, so it is shown again.
    if (opened.pair) showPair(opened.pair);

    render(el("h1", {}, words.title), rich(opened.intro), makeForMe, haveSecret, result);
  }

  async function status() {
    const answer = await call("status", {});
    if (!answer.ok) return refusal(answer);
    const words = answer.words;
    const frozen = answer.frozen.map((notice) => el("div", { class: "card refusal" }, rich(notice)));
    const picture = answer.timeline ? window.KeyTimeline.draw(answer.timeline) : null;
    render(
      el("h1", {}, words.statusTitle),
      ...frozen,
      picture,
      el("div", { class: "card", id: "facts" }, rich(answer.html)),
    );
  }

  async function panic() {
    const answer = await call("words", {});
    if (!answer.ok) return refusal(answer);
    const words = answer.words;
    const said = el("section", { class: "result", id: "said", "aria-live": "polite" });
    const press = el("button", { type: "button", class: "panic", id: "panic" }, words.panicButton);
    const tell = (told) => {
      if (!told.ok) return show(said, el("div", { class: "card refusal" }, rich(told.html)));
      let again = null;
      if (told.freezeToo) {
        again = el("button", { type: "button", class: "panic small", id: "freeze-too" }, told.freezeToo.button);
        again.addEventListener("click", async () => {
          again.disabled = true;
          tell(await call("panic", { freezeRef: told.freezeToo.ref }));
        });
      }
      const cards = told.said.map((text) => el("div", { class: "card" }, rich(text)));
      show(said, ...cards, again, el("p", { class: "note" }, told.note));
    };
    press.addEventListener("click", async () => {
      press.disabled = true;
      tell(await call("panic", {}));
      press.disabled = false;
    });
    render(el("h1", {}, words.panicTitle), el("p", { class: "lead" }, words.panicLead), press, said);
  }

  const views = { home, connect, status, panic };
  postEvent("web_app_expand");
  (views[view] || home)().catch(() => render(el("p", { class: "card refusal" }, "⚠️")));
})();
