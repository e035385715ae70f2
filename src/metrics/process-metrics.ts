import { collectDefaultMetrics, Gauge, type Registry } from "prom-client";

/**
 * How often the event loop's delay is sampled. prom-client's 10 ms woke the main thread 100 times a
 * second, idle; every 100 ms, a block shorter than that is seen only by how far it pushes a sample back.
 */
const SAMPLED_EVERY_MS = 100;
/** Node's histogram records the time between two samples, the sampling interval included; not its spread. */
const SHIFTED = ["min", "max", "mean", "p50", "p90", "p99"];

/**
 * prom-client's process metrics (CPU, memory, handles, GC, the event loop's lag). The lag's figures are
 * served net of the sampling interval, what the loop was late by: as they were, an idle process read
 * 0.1 s at every percentile (0.01 s with prom-client's default), and any alert on them fired at once.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: SAMPLED_EVERY_MS });
  for (const figure of SHIFTED) {
    const name = `nodejs_eventloop_lag_${figure}_seconds`;
    const sampled = registry.getSingleMetric(name) as Gauge;
    registry.removeSingleMetric(name);
    // Registered after nodejs_eventloop_lag_seconds, whose collection reads the histogram into `sampled`.
    new Gauge({
      name,
      help: `The ${figure} of the event loop's recorded delays, beyond the ${SAMPLED_EVERY_MS} ms between two samples.`,
      registers: [registry],
      async collect() {
        const { values } = await sampled.get();
        this.set(Math.max(0, (values[0]?.value ?? 0) - SAMPLED_EVERY_MS / 1000));
      },
    });
  }
}
