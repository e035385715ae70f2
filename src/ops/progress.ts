/**
 * A progress bar on stderr: redrawn in place on a terminal (at most 10 times a second), a plain
 * line every 5 s otherwise (a log file, CI), and always a last one when done.
 */
export function progressBar(out: NodeJS.WriteStream = process.stderr): {
  show(done: number, total: number, note: string): void;
  end(): void;
} {
  const interactive = Boolean(out.isTTY);
  const startedAt = Date.now();
  let shownAt = 0;
  let last = "";
  const render = (done: number, total: number, note: string) => {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * 24);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    return `[${"#".repeat(filled)}${"-".repeat(24 - filled)}] ${Math.floor(share * 100)}%  ${note} · ${seconds} s`;
  };
  return {
    show(done, total, note) {
      last = render(done, total, note);
      const now = Date.now();
      if (now - shownAt < (interactive ? 100 : 5000)) return;
      shownAt = now;
      out.write(interactive ? `\r${last}` : `${last}\n`);
    },
    end() {
      if (last) out.write(interactive ? `\r${last}\n` : `${last}\n`);
    },
  };
}
