import { afterEach, describe, expect, it } from "vitest";
import { canaryCredentials } from "./support/canaries.js";
import { repliesUntil, submitKey } from "./support/flows.js";
import { ROOMY_CHATS, startHarness, type Harness } from "./support/harness.js";

// Issue 21, defect 1 (from an attack pass), read as a new follower: what the holder of a key frozen as shared hears next.
let h: Harness;
afterEach(() => h.stop());

describe("a key frozen because it was shared", () => {
  it("sent again by its holder, is refused without a reason that is not true", async () => {
    h = await startHarness({ telegramLimits: ROOMY_CHATS });
    const creds = canaryCredentials();
    h.bybit.addKey({ ...creds, note: "shared-key" });
    const alice = h.follower();
    expect(await submitKey(alice, creds)).toContain("✅ Connected");
    const bob = h.follower();
    expect(await submitKey(bob, creds)).toContain("already connected to another account here");
    expect((await h.credentials.current(alice.user.id))?.status).toBe("frozen");
    // Told by the key watch, a moment later: heard before she sends the key again.
    await repliesUntil(alice, "the same key was found in another account here");

    const again = await submitKey(alice, creds, "/connect");
    // Before the fix: "❌ This key was frozen as leaked (with /panic, or because it could move money), so I will never use
    // it again..." — Alice sent no /panic and the key cannot move money: it was frozen because it was shared.
    // Expected: a reason that is true ("it was found in another account here"), or one that names no cause.
    expect(again).not.toMatch(/with \/panic, or because it could move money/);
  });
});
