import { hasMessage, type Lang } from "../i18n.js";

/** Formatting shared by the bot's copy: HTML escaping, how a key is named, permissions as Bybit shows them. */

export const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export const keyLabel = ({ t }: Lang, name: string, maskedKey: string) =>
  t("key-label", { name: escapeHtml(name), masked: escapeHtml(maskedKey) });

export const daysUntil = (epochMs: number, now: number) => Math.max(0, Math.round((epochMs - now) / 86_400_000));

export function daysLeft({ t }: Lang, epochMs: number, now: number): string {
  return epochMs <= now ? t("days-passed") : t("days-left", { days: daysUntil(epochMs, now) });
}

/** A label from the locale file where there is one; else Bybit's own name (escaped: it comes from Bybit). */
const label = ({ t }: Lang, key: string, fallback: string) => (hasMessage(key) ? t(key) : escapeHtml(fallback));
export const groupLabel = (lang: Lang, group: string) => label(lang, `perm-group-${group}`, group);
export const permissionLabel = (lang: Lang, permission: string) => label(lang, `perm-${permission}`, permission);

/** "Contracts: Orders, Positions; Wallet: Withdrawal", as Bybit's API key dialog names them. */
export function describePermissions(lang: Lang, permissions: Record<string, string[]>): string {
  const granted = Object.entries(permissions).filter(([, list]) => list.length > 0);
  if (granted.length === 0) return lang.t("permissions-none");
  return granted.map(([group, list]) => describeGroup(lang, group, list)).join("; ");
}

export const describeGroup = (lang: Lang, group: string, list: string[]) =>
  `${groupLabel(lang, group)}: ${[...new Set(list.map((permission) => permissionLabel(lang, permission)))].join(", ")}`;

/** As much of a list as one message on a phone holds: all of it up to `max` items, else `max - 1` and how many more. */
export function capped<T>(items: readonly T[], max: number): { shown: T[]; more: number } {
  const shown = items.length > max ? items.slice(0, max - 1) : [...items];
  return { shown, more: items.length - shown.length };
}
