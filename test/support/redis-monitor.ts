import { connect, type Socket } from "node:net";
import type { RedisClient } from "../../src/infra/redis.js";

/**
 * A raw MONITOR connection: everything every client sends to Redis, as Redis prints it.
 * (ioredis' own monitor mode trips over a busy server's first lines.)
 */
export class RedisMonitor {
  private output = "";
  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (this.output += chunk));
  }

  static async start(redisUrl: string): Promise<RedisMonitor> {
    const { hostname, port } = new URL(redisUrl);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const monitor = new RedisMonitor(socket);
    socket.write("MONITOR\r\n");
    await monitor.waitFor("+OK");
    return monitor;
  }

  /** Every command seen so far, one per line. */
  commands(): string[] {
    return this.output.split("\r\n").filter((line) => line.startsWith("+") && line !== "+OK");
  }

  /** Waits until a command sent through `client` now has come through, so nothing earlier is missed. */
  async caughtUp(client: RedisClient): Promise<void> {
    const marker = `monitor-marker-${process.hrtime.bigint()}`;
    await client.echo(marker);
    await this.waitFor(marker);
  }

  stop(): void {
    this.socket.destroy();
  }

  private async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!this.output.includes(text)) {
      if (Date.now() > deadline) throw new Error(`MONITOR never showed ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
