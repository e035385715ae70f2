/* global window, document */
// The key's life as a picture (the status page): one inline SVG drawn here, with nothing loaded: created,
// the rotation day, expiry and today on one line, the reminders on it. Labels and dates come from the API
// in the follower's language; they are set as text, never as markup.
"use strict";
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 86_400_000;
  const WIDTH = 360;
  const LEFT = 22;
  const RIGHT = WIDTH - 22;
  const BAR_Y = 92;

  const node = (tag, attributes, text) => {
    const made = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
    if (text !== undefined) made.textContent = text;
    return made;
  };
  /** Text that stays inside the picture: anchored at its start near the left edge, its end near the right. */
  const label = (x, y, text, kind) => {
    const anchor = x < LEFT + 50 ? "start" : x > RIGHT - 50 ? "end" : "middle";
    return node("text", { x: x.toFixed(1), y, "text-anchor": anchor, class: kind }, text);
  };

  function draw(timeline) {
    const { created, rotate, expiry, today } = timeline;
    const start = created.at;
    const end = Math.max(expiry.at, today.at) + 2 * DAY;
    const x = (at) => LEFT + ((Math.min(Math.max(at, start), end) - start) / (end - start)) * (RIGHT - LEFT);
    const svg = node("svg", { viewBox: `0 0 ${WIDTH} 168`, role: "img", "aria-label": timeline.label, id: "timeline" });
    svg.append(node("title", {}, timeline.label));
    const working = timeline.status === "active";
    const segment = (from, to, kind) =>
      to > from &&
      svg.append(node("rect", { x: x(from), y: BAR_Y, width: x(to) - x(from), height: 10, rx: 3, class: kind }));
    segment(start, rotate.at, working ? "tl-ok" : "tl-off");
    segment(rotate.at, expiry.at, working ? "tl-soon" : "tl-off");
    segment(expiry.at, end, "tl-late");

    const days = (at) => Math.round((at - start) / DAY);
    for (const moment of [created, rotate, expiry])
      svg.append(node("line", { x1: x(moment.at), x2: x(moment.at), y1: BAR_Y - 6, y2: BAR_Y + 16, class: "tl-tick" }));
    // Above the bar: the rotation day; below it: created and expiry, each with its day.
    svg.append(
      label(x(rotate.at), BAR_Y - 24, rotate.label, "tl-text"),
      label(x(rotate.at), BAR_Y - 11, rotate.date, "tl-hint"),
    );
    svg.append(
      label(x(created.at), BAR_Y + 30, `${created.label} · 0`, "tl-text"),
      label(x(created.at), BAR_Y + 43, created.date, "tl-hint"),
    );
    svg.append(
      label(x(expiry.at), BAR_Y + 30, `${expiry.label} · ${days(expiry.at)}`, "tl-text"),
      label(x(expiry.at), BAR_Y + 43, expiry.date, "tl-hint"),
    );
    if (timeline.reminders) {
      for (const moment of [rotate, expiry])
        svg.append(node("circle", { cx: x(moment.at), cy: BAR_Y + 5, r: 6, class: "tl-bell" }));
      // The warnings a week and a day before expiry: smaller bells.
      for (const at of timeline.warnings ?? [])
        svg.append(node("circle", { cx: x(at), cy: BAR_Y + 5, r: 4, class: "tl-bell" }));
    }

    const now = x(today.at);
    svg.append(node("line", { x1: now, x2: now, y1: 26, y2: BAR_Y + 14, class: "tl-today" }));
    svg.append(node("circle", { cx: now, cy: BAR_Y + 5, r: 4, class: "tl-today-dot" }));
    svg.append(label(now, 14, `${today.label} · ${days(today.at)}`, "tl-text"), label(now, 24, today.date, "tl-hint"));

    if (timeline.reminders) {
      svg.append(node("circle", { cx: LEFT + 6, cy: 156, r: 5, class: "tl-bell" }));
      svg.append(node("text", { x: LEFT + 16, y: 160, class: "tl-hint" }, timeline.reminderWord));
    }
    const figure = document.createElement("figure");
    figure.className = "timeline";
    figure.append(svg);
    return figure;
  }

  window.KeyTimeline = { draw };
})();
