/** Formatting shared by the bot's copy: dates in UTC, HTML escaping, how a key is named. */

const date = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
export const dateTime = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
export const formatDate = (epochMs: number) => date.format(epochMs);

export const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
export const keyLabel = (name: string, maskedKey: string) => `“${escapeHtml(name)}” (<code>${escapeHtml(maskedKey)}</code>)`;

export const daysUntil = (epochMs: number, now: number) => Math.max(0, Math.round((epochMs - now) / 86_400_000));

export function daysLeft(epochMs: number, now: number): string {
  const days = daysUntil(epochMs, now);
  return epochMs <= now ? "already passed" : days === 1 ? "1 day left" : `${days} days left`;
}

export function describePermissions(permissions: Record<string, string[]>): string {
  const granted = Object.entries(permissions).filter(([, list]) => list.length > 0);
  if (granted.length === 0) return "none";
  // Escaped: the names come from Bybit, and a stray "<" would make Telegram refuse the whole message.
  return granted.map(([category, list]) => `${escapeHtml(category)} (${list.map(escapeHtml).join(", ")})`).join("; ");
}

const usd = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });
export function formatUsd(amount: string): string {
  const value = Number(amount);
  return Number.isFinite(value) ? usd.format(value) : "—";
}
