// CPU time from /proc, for a process with all its threads and descendants, and thread by thread.
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100;
const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

/** The fields of a /proc stat file after the parenthesised name (field 3 is index 0); undefined once it is gone. */
function statFields(path: string): string[] | undefined {
  try {
    const text = readFileSync(path, "utf8");
    return text.slice(text.lastIndexOf(") ") + 2).split(" ");
  } catch {
    return undefined;
  }
}
const field = (fields: string[], number: number) => Number(fields[number - 3]);

export interface TreeCpu {
  /** All threads of the process, those ended included. */
  threads: number;
  /** Its children reaped and every descendant still running. */
  children: number;
}

/**
 * A process's CPU in ms: all its threads (utime + stime, fields 14 and 15), the children it has reaped
 * (cutime + cstime, 16 and 17), and every descendant still running (found through the ppid of /proc/<pid>/stat).
 */
export function treeCpuMs(pid: number): TreeCpu {
  const sum = (fields: string[] | undefined, ...numbers: number[]) =>
    fields ? ticksToMs(numbers.reduce((ticks, number) => ticks + field(fields, number), 0)) : 0;
  const total = (fields: string[] | undefined) => sum(fields, 14, 15, 16, 17);
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(`/proc/${entry}/stat`);
    if (!fields) continue;
    const parent = field(fields, 4);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  let descendants = 0;
  const queue = [...(children.get(pid) ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    descendants += total(statFields(`/proc/${next}/stat`));
    queue.push(...(children.get(next) ?? []));
  }
  const own = statFields(`/proc/${pid}/stat`);
  return { threads: sum(own, 14, 15), children: sum(own, 16, 17) + descendants };
}
export const processCpuMs = (pid: number) => {
  const { threads, children } = treeCpuMs(pid);
  return threads + children;
};
export const minus = (after: TreeCpu, before: TreeCpu): TreeCpu => ({
  threads: after.threads - before.threads,
  children: after.children - before.children,
});

interface ThreadCpu {
  comm: string;
  ms: number;
  nice: number;
  startTicks: number;
}

/** Every thread of a process: its name (comm), its CPU so far (utime + stime), its nice value and start time. */
export function threadsOf(pid: number): Map<number, ThreadCpu> {
  const threads = new Map<number, ThreadCpu>();
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (!fields) continue;
    const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
    threads.set(tid, {
      comm,
      ms: ticksToMs(field(fields, 14) + field(fields, 15)),
      nice: field(fields, 19),
      startTicks: field(fields, 22),
    });
  }
  return threads;
}

/**
 * What each thread is, from its name. Node 20 names every thread "node"; then, from the order Node 20 starts them
 * in (checked on this machine by making the libuv pool hash and the heap churn): main thread; the V8 platform's
 * delayed-task thread and its 4 workers; the SIGUSR1 watcher; the libuv pool (UV_THREADPOOL_SIZE, 4); then worker
 * threads, the key maker being the one at nice 19.
 */
function roles(pid: number, threads: Map<number, ThreadCpu>): Map<number, string> {
  const comms = new Set([...threads.values()].map((thread) => thread.comm));
  if (comms.size > 1)
    return new Map([...threads].map(([tid, { comm }]) => [tid, tid === pid ? `${comm} (main)` : comm]));
  const comm = [...comms][0] ?? "?";
  const libuv = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const ordered = [...threads].sort(([a, one], [b, other]) => one.startTicks - other.startTicks || a - b);
  return new Map(
    ordered.map(([tid, thread], rank) => {
      if (tid === pid) return [tid, `${comm}: main thread (event loop)`];
      if (thread.nice === 19) return [tid, `${comm}: key maker (worker thread, nice 19)`];
      if (rank <= 5) return [tid, `${comm}: V8 platform (GC, compiler; 4 + delayed tasks)`];
      if (rank === 6) return [tid, `${comm}: signal watcher`];
      if (rank <= 6 + libuv) return [tid, `${comm}: libuv pool (crypto, fs, dns, zlib)`];
      return [tid, `${comm}: other worker threads (tsx loader hooks, …)`];
    }),
  );
}

export interface ThreadShare {
  ms: number;
  threads: number;
}

/**
 * The CPU each kind of thread spent between two snapshots, grouped by name (or role, see `roles`); what the
 * process spent beyond the sum (threads that ended in between, rounding) and its descendants come last.
 */
export function threadBreakdown(
  pid: number,
  before: Map<number, ThreadCpu>,
  after: Map<number, ThreadCpu>,
  processMs: TreeCpu,
): Map<string, ThreadShare> {
  const labels = roles(pid, after);
  const groups = new Map<string, ThreadShare>();
  let sum = 0;
  for (const [tid, thread] of after) {
    const ms = thread.ms - (before.get(tid)?.ms ?? 0);
    sum += ms;
    const label = labels.get(tid)!;
    const group = groups.get(label) ?? { ms: 0, threads: 0 };
    groups.set(label, { ms: group.ms + ms, threads: group.threads + 1 });
  }
  const ended = [...before.keys()].filter((tid) => !after.has(tid)).length;
  groups.set("threads ended meanwhile, rounding", { ms: processMs.threads - sum, threads: ended });
  groups.set("descendant processes", { ms: processMs.children, threads: 0 });
  return groups;
}

/** Waits until the process has spent at most `maxCpuMs` in a whole `windowMs`; false if it never did. */
export async function waitUntilIdle(pid: number, windowMs = 1000, maxCpuMs = 20, tries = 20): Promise<boolean> {
  for (let attempt = 0; attempt < tries; attempt += 1) {
    const before = processCpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if (processCpuMs(pid) - before <= maxCpuMs) return true;
  }
  return false;
}
