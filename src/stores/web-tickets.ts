import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { RedisClient } from "../infra/redis.js";
import { followerKeys } from "../infra/redis-keys.js";

/** What a ticket is for: the OAuth `state` of "Connect with Bybit", or a Mini App form. */
export type TicketPurpose = "oauth" | "webapp";

/** The follower's flow a ticket was issued in: who, where to answer, and what the flow may replace. */
export const ticketClaims = z.object({
  purpose: z.enum(["oauth", "webapp"]),
  userId: z.number().int(),
  /** The private chat to tell the outcome in. */
  chatId: z.number().int(),
  /** Telegram's language code of the follower when the ticket was issued (the page and the chat speak it). */
  languageCode: z.string().max(35).nullable(),
  mode: z.enum(["connect", "rotate"]),
  /** The site the follower named (`/connect tr`), if any. */
  site: z.string().max(20).optional(),
  /** The follower's /panic count at issue: a /panic since voids the ticket (the use case refuses to store). */
  panicEpoch: z.number().int(),
  issuedAt: z.number(),
});
export type TicketClaims = z.infer<typeof ticketClaims>;

/**
 * One-time tickets that tie a web request (a Bybit OAuth redirect, a Mini App form) to the follower's
 * flow in the chat: random (32 bytes), bound to one follower and one purpose, single use, and valid for
 * `TICKET_SECONDS`. Redis holds only a digest of each ticket, so reading Redis gives no ticket to use.
 * A follower has one live ticket per purpose: issuing another voids the one before (two taps on two
 * buttons cannot both connect), and /forget voids it (the follower's keys go, the pointer with them).
 */
export interface WebTickets {
  issue(claims: Omit<TicketClaims, "issuedAt">, now: number): Promise<string>;
  /** The claims, leaving the ticket valid (a page shown before its form is sent); null: unknown, used or expired. */
  peek(ticket: string, purpose: TicketPurpose): Promise<TicketClaims | null>;
  /** The claims, once: the ticket is gone after this, whatever comes of the request (null as for `peek`). */
  redeem(ticket: string, purpose: TicketPurpose): Promise<TicketClaims | null>;
  /**
   * Ties a live ticket to one browser: `binding` (a digest of a cookie's nonce) is kept beside it until it
   * expires, a later bind replacing it. False: the ticket is unknown, used or expired.
   */
  bind(ticket: string, purpose: TicketPurpose, binding: string): Promise<boolean>;
  /** As `redeem`, with the binding (null: never bound); both are gone after this. */
  redeemBound(ticket: string, purpose: TicketPurpose): Promise<{ claims: TicketClaims; binding: string | null } | null>;
  /** Ends the follower's live ticket of this purpose, if any (/cancel): a page or callback holding it finds nothing. */
  revoke(userId: number, purpose: TicketPurpose): Promise<void>;
}

export const TICKET_SECONDS = 10 * 60;
/** What a ticket looks like: anything else is not looked up. */
export const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const digestOf = (ticket: string) => createHash("sha256").update(ticket).digest("hex");
const ticketKeyOf = (digest: string) => `web-ticket:${digest}`;
const keyOf = (ticket: string) => ticketKeyOf(digestOf(ticket));
/** Beside the ticket (not in it: the ticket is written once), what browser it was bound to. */
const boundKeyOf = (digest: string) => `web-ticket:${digest}:bound`;

export function createWebTickets(redis: RedisClient, seconds = TICKET_SECONDS): WebTickets {
  const read = (raw: string | null, purpose: TicketPurpose): TicketClaims | null => {
    if (raw === null) return null;
    const parsed = ticketClaims.safeParse(JSON.parse(raw));
    // Unreadable, or issued for another purpose: no ticket (fail closed).
    return parsed.success && parsed.data.purpose === purpose ? parsed.data : null;
  };
  /** The claims if the ticket is still the follower's live one (not replaced by a newer one, not forgotten). */
  const live = async (ticket: string, claims: TicketClaims | null): Promise<TicketClaims | null> => {
    if (!claims) return null;
    const current = await redis.get(followerKeys(claims.userId).webTicket(claims.purpose));
    return current === digestOf(ticket) ? claims : null;
  };
  return {
    async issue(claims, now) {
      const ticket = randomBytes(32).toString("base64url");
      const value: TicketClaims = { ...claims, issuedAt: now };
      await redis.set(keyOf(ticket), JSON.stringify(ticketClaims.parse(value)), "EX", seconds, "NX");
      // The follower's live one now (another slot than the ticket's: two commands, the ticket first).
      await redis.set(followerKeys(claims.userId).webTicket(claims.purpose), digestOf(ticket), "EX", seconds);
      return ticket;
    },
    async peek(ticket, purpose) {
      if (!TICKET_SHAPE.test(ticket)) return null;
      return live(ticket, read(await redis.get(keyOf(ticket)), purpose));
    },
    async redeem(ticket, purpose) {
      if (!TICKET_SHAPE.test(ticket)) return null;
      return live(ticket, read(await redis.getdel(keyOf(ticket)), purpose));
    },
    async bind(ticket, purpose, binding) {
      if (!TICKET_SHAPE.test(ticket) || !(await live(ticket, read(await redis.get(keyOf(ticket)), purpose))))
        return false;
      // As long as the ticket lives, and no longer (two commands: a binding that outlives its ticket binds nothing).
      const left = await redis.pttl(keyOf(ticket));
      if (left <= 0) return false;
      await redis.set(boundKeyOf(digestOf(ticket)), binding, "PX", left);
      return true;
    },
    async redeemBound(ticket, purpose) {
      if (!TICKET_SHAPE.test(ticket)) return null;
      const claims = await live(ticket, read(await redis.getdel(keyOf(ticket)), purpose));
      const binding = await redis.getdel(boundKeyOf(digestOf(ticket)));
      return claims ? { claims, binding } : null;
    },
    async revoke(userId, purpose) {
      const digest = await redis.getdel(followerKeys(userId).webTicket(purpose));
      // The pointer gone voids the ticket already; the ticket and its binding go too, so nothing is left to read.
      // One key per command: in a Redis Cluster the two live in different slots.
      if (digest !== null) await Promise.all([redis.del(ticketKeyOf(digest)), redis.del(boundKeyOf(digest))]);
    },
  };
}
