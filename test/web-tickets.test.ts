import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createWebTickets, type TicketClaims } from "../src/stores/web-tickets.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(() => redis.quit());

const claims: Omit<TicketClaims, "issuedAt"> = {
  purpose: "oauth",
  userId: 7_000_001,
  chatId: 7_000_001,
  languageCode: "ru",
  mode: "connect",
  panicEpoch: 0,
};

describe("web tickets", () => {
  it("are redeemed once, for their purpose only, and Redis holds no ticket itself", async () => {
    const tickets = createWebTickets(redis);
    const ticket = await tickets.issue(claims, 1_000);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await redis.keys(`*${ticket}*`)).toEqual([]);
    expect(await tickets.peek(ticket, "webapp")).toBeNull();
    expect(await tickets.peek(ticket, "oauth")).toMatchObject({ userId: 7_000_001, issuedAt: 1_000 });
    expect(await tickets.redeem(ticket, "oauth")).toMatchObject({ userId: 7_000_001, languageCode: "ru" });
    expect(await tickets.redeem(ticket, "oauth")).toBeNull();
    expect(await tickets.peek(ticket, "oauth")).toBeNull();
  });

  it("expire, and refuse anything not shaped like one without asking Redis", async () => {
    const tickets = createWebTickets(redis, 1);
    const ticket = await tickets.issue(claims, 0);
    const ttl = await redis.ttl((await redis.keys("web-ticket:*"))[0]!);
    expect(ttl).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await tickets.redeem(ticket, "oauth")).toBeNull();
    expect(await tickets.redeem("../../etc", "oauth")).toBeNull();
    expect(await tickets.redeem(`${ticket.slice(0, -1)}A`, "oauth")).toBeNull();
  });

  it("keep a browser's binding beside the ticket, no longer than it, and end with /cancel's revoke", async () => {
    const tickets = createWebTickets(redis);
    const own = { ...claims, userId: 7_000_002, chatId: 7_000_002 };
    const ticket = await tickets.issue(own, 0);
    expect(await tickets.bind(ticket, "webapp", "x")).toBe(false);
    expect(await tickets.bind(ticket, "oauth", "first")).toBe(true);
    expect(await tickets.bind(ticket, "oauth", "second")).toBe(true);
    const bound = (await redis.keys("web-ticket:*:bound")).length;
    expect(bound).toBeGreaterThan(0);
    expect(await tickets.redeemBound(ticket, "oauth")).toMatchObject({
      claims: { userId: 7_000_002 },
      binding: "second",
    });
    expect(await tickets.redeemBound(ticket, "oauth")).toBeNull();
    expect(await tickets.bind(ticket, "oauth", "late")).toBe(false);
    expect(await redis.keys("web-ticket:*:bound")).toHaveLength(bound - 1);

    const unbound = await tickets.issue(own, 0);
    expect(await tickets.redeemBound(unbound, "oauth")).toMatchObject({ binding: null });

    const revoked = await tickets.issue(own, 0);
    await tickets.bind(revoked, "oauth", "nonce");
    await tickets.revoke(own.userId, "oauth");
    expect(await tickets.peek(revoked, "oauth")).toBeNull();
    expect(await tickets.redeemBound(revoked, "oauth")).toBeNull();
    await tickets.revoke(own.userId, "oauth");
  });
});
