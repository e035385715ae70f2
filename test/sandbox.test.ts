import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// `npm run sandbox` as a newcomer runs it: a real process, driven through stdin. The bot's wording
// changes (it moves to locale files), so these look at what the sandbox itself prints: message
// numbers, button listings, and its markers for presses, edits, deletions and the group.

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$/m;
const dataDir = mkdtempSync(join(tmpdir(), "sandbox-test-"));
const running: ChildProcess[] = [];
afterAll(async () => {
  // SIGTERM, not SIGKILL: the sandbox then stops the bot it started (and the bot its redis-server).
  const left = running.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(left.map((child) => new Promise((resolve) => child.once("exit", resolve).kill("SIGTERM"))));
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

interface Run {
  output(): string;
  type(line: string): void;
  /** Waits for the output after `from` to match; returns the match. */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
  /** Ends the sandbox with !quit; resolves with its exit code. */
  quit(): Promise<number | null>;
}

function startSandbox(...args: string[]): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/sandbox.ts", "--data-dir", dataDir, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    output: () => output,
    type: (line) => child.stdin!.write(`${line}\n`),
    async waitFor(pattern, from = 0) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const match = pattern.exec(output.slice(from));
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${pattern} in the sandbox's output:\n${output.slice(from)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async quit() {
      child.stdin!.write("!quit\n");
      return exited;
    },
  };
}

/** The message numbers the sandbox printed, with how many buttons each was listed with. */
function messages(output: string): Map<number, number> {
  const found = new Map<number, number>();
  let current: number | undefined;
  for (const line of output.split("\n")) {
    const start = /^#(\d+)(?: \[group\])? (?:bot|edited)> /.exec(line);
    if (start) found.set((current = Number(start[1])), 0);
    else if (current !== undefined && /^\s+buttons: /.test(line)) found.set(current, line.match(/\d+ \[/g)!.length);
  }
  return found;
}

function sampleKey(output: string, label: string): string {
  const line = new RegExp(`^  ${label} +(CK7\\w+ CS9\\w+)`, "m").exec(output);
  if (!line) throw new Error(`no sample key ${label} in:\n${output}`);
  return line[1]!;
}

describe("npm run sandbox", () => {
  let firstMainKey: string;

  it("plays a follower's chat, in private and in a group, and no input makes it fail", async () => {
    const sandbox = startSandbox();
    await sandbox.waitFor(/the bot is up/);
    firstMainKey = sampleKey(sandbox.output(), "main");
    expect(sandbox.output()).toMatch(/^ {2}withdraw +CK7\w+ CS9\w+/m);

    // The welcome offers one button; it opens the two ways (and Cancel); the second asks for key and secret.
    sandbox.type("/start");
    await sandbox.waitFor(/^ +buttons: 1 \[.+\] +→ !press 1 <n>$/m);
    sandbox.type("!press 1 1");
    await sandbox.waitFor(/^you> \[pressed “.+” on #1\]$/m);
    await sandbox.waitFor(/^ +buttons: 1 \[.+\] {2}2 \[.+\] {2}3 \[.+\] +→ !press 2 <n>$/m);
    sandbox.type("!press 2 2");
    await sandbox.waitFor(/^#3 bot> /m);

    // A key in the private chat: the bot deletes your message, and the sandbox says so.
    let mark = sandbox.output().length;
    sandbox.type(firstMainKey);
    await sandbox.waitFor(/^\[deleted your message “CK7/m, mark);
    await sandbox.waitFor(/^#5 bot> /m, mark);

    // Connected: /connect asks whether to replace the key (two buttons); the second keeps it, by an edit.
    mark = sandbox.output().length;
    sandbox.type("/connect");
    const question = Number((await sandbox.waitFor(/^ +buttons: 1 \[.+\] {2}2 \[.+\] +→ !press (\d+) <n>$/m, mark))[1]);
    sandbox.type(`!press ${question} 2`);
    await sandbox.waitFor(new RegExp(`^#${question} edited> .+\\n +\\(no buttons now\\)$`, "m"), mark);

    // A press on an older message still reaches the bot; a press where there is no button is one line.
    mark = sandbox.output().length;
    sandbox.type("!press 1 1");
    await sandbox.waitFor(/^you> \[pressed “.+” on #1\]$/m, mark);
    const plainMessage = [...messages(sandbox.output())].find(([, buttons]) => buttons === 0)![0];
    sandbox.type(`!press ${plainMessage} 1`);
    await sandbox.waitFor(new RegExp(`^\\(#${plainMessage} has no buttons\\)$`, "m"), mark);
    sandbox.type("!press 999 1");
    await sandbox.waitFor(/^\(there is no message #999/m, mark);
    sandbox.type("!press no such button anywhere");
    await sandbox.waitFor(
      /^\(no message on screen has a button “no such button anywhere”; the buttons of #\d+: 1 \[/m,
      mark,
    );

    // The group: the bot's replies are marked, and it deletes a key said there.
    mark = sandbox.output().length;
    sandbox.type("!group /connect");
    await sandbox.waitFor(/^#\d+ \[group\] bot> \S/m, mark);
    sandbox.type(`!group here it is ${sampleKey(sandbox.output(), "withdraw")}`);
    await sandbox.waitFor(/^\[deleted your message in the group “here it is CK7/m, mark);

    mark = sandbox.output().length;
    for (const line of ["!frob", "!press", "!group", "!revoke nothing-like-it", "!selfkey", "!help"])
      sandbox.type(line);
    await sandbox.waitFor(/^\(unknown command “!frob”; !help lists the sandbox commands\)$/m, mark);
    await sandbox.waitFor(/^ +!quit +stop/m, mark);

    expect(await sandbox.quit()).toBe(0);
    expect(sandbox.output()).not.toMatch(STACK_LINE);
    expect(sandbox.output()).not.toContain("Error");
  }, 120_000);

  it("starts fresh each run, and --keep keeps the data folder and the sample keys", async () => {
    writeFileSync(join(dataDir, "left-from-before"), "");
    const kept = startSandbox("--keep");
    await kept.waitFor(/the bot is up/);
    expect(kept.output()).toContain("Kept from the last run (--keep)");
    expect(sampleKey(kept.output(), "main")).toBe(firstMainKey);
    expect(existsSync(join(dataDir, "left-from-before"))).toBe(true);

    // Russian on demand, and the reminders of the key kept from the first run, brought forward.
    let mark = kept.output().length;
    kept.type("!lang ru");
    await kept.waitFor(/^\(your Telegram speaks “ru” now/m, mark);
    kept.type("/status");
    await kept.waitFor(/^#\d+ bot> .*[А-Яа-я]{4}/m, mark);
    mark = kept.output().length;
    kept.type("!clock +90d");
    await kept.waitFor(/^\(brought forward: the rotate reminder due in \d+ days/m, mark);
    await kept.waitFor(/^\(brought forward: the expiry reminder due in \d+ days/m, mark);
    await kept.waitFor(/^#\d+ bot> 🔁.*[А-Яа-я]{4}/m, mark);
    kept.type("!clock soon");
    await kept.waitFor(/^\(!clock needs a span ahead/m, mark);
    expect(await kept.quit()).toBe(0);

    const fresh = startSandbox();
    await fresh.waitFor(/the bot is up/);
    expect(fresh.output()).toContain("A fresh start");
    expect(sampleKey(fresh.output(), "main")).not.toBe(firstMainKey);
    expect(existsSync(join(dataDir, "left-from-before"))).toBe(false);
    expect(await fresh.quit()).toBe(0);
  }, 120_000);

  it("leaves a folder it did not make alone", async () => {
    const foreign = mkdtempSync(join(tmpdir(), "not-a-sandbox-"));
    writeFileSync(join(foreign, "precious"), "");
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/sandbox.ts", "--data-dir", foreign], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(existsSync(join(foreign, "precious"))).toBe(true);
    rmSync(foreign, { recursive: true, force: true });
  }, 60_000);
  it("prints the Mini App's address, signed for you, and the page answers there", async () => {
    const sandbox = startSandbox();
    const [, printed] = await sandbox.waitFor(/the Mini App, signed for you for 10 minutes: (\S+);/);
    const url = new URL(printed!);
    expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(url)).status).toBe(200);
    const initData = new URLSearchParams(url.hash.slice(1)).get("tgWebAppData")!;
    const words = await fetch(new URL("/app/api/words", url), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `tma ${initData}` },
      body: "{}",
    });
    expect(words.status).toBe(200);
    const mark = sandbox.output().length;
    sandbox.type("!page connect");
    await sandbox.waitFor(/^\(send \/connect first/m, mark);
    expect(await sandbox.quit()).toBe(0);
  });
});
