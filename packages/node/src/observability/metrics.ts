import cluster from "node:cluster";
import type { MessageQueueDepth } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the gauges read when scraped: the database's view, the same from every process. */
export interface MetricSources {
  queueDepths(): Promise<Readonly<Record<string, MessageQueueDepth>>>;
  restoreJobsByState(): Promise<Readonly<Record<string, number>>>;
  peersByState(): Promise<Readonly<Record<string, number>>>;
  deliveries(): Promise<{ readonly delivered: number; readonly failed: number }>;
}

/**
 * The node's Prometheus metrics. Gauges read from the database are cluster-wide already,
 * so when several processes' metrics are put together ("first") they are not summed;
 * request timings and process figures are each process's own, and are.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #requests: Histogram<"method" | "route" | "status">;

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: "coursefed_" });
    this.#requests = new Histogram({
      name: "coursefed_http_request_duration_seconds",
      help: "Time to answer HTTP requests, by route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    const gauge = <Label extends string>(
      name: string,
      help: string,
      labelNames: Label[],
      collect: (set: (labels: Record<Label, string>, value: number) => void) => Promise<void>,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        aggregator: "first",
        registers: [this.registry],
        async collect() {
          this.reset();
          await collect((labels, value) => this.set(labels, value));
        },
      });
    gauge(
      "coursefed_queue_messages",
      "Messages waiting in each queue: ready to handle now, or delayed (retries, scheduled)",
      ["queue", "state"],
      async (set) => {
        for (const [queue, depth] of Object.entries(await sources.queueDepths())) {
          set({ queue, state: "ready" }, depth.ready ?? 0);
          set({ queue, state: "delayed" }, depth.delayed ?? 0);
        }
      },
    );
    gauge("coursefed_restore_jobs", "Restore jobs by state", ["state"], async (set) => {
      for (const [state, total] of Object.entries(await sources.restoreJobsByState())) {
        set({ state }, total);
      }
    });
    gauge(
      "coursefed_peers",
      "Peer servers by delivery state (ok, retrying, failing, blocked)",
      ["state"],
      async (set) => {
        for (const [state, total] of Object.entries(await sources.peersByState())) {
          set({ state }, total);
        }
      },
    );
    gauge(
      "coursefed_deliveries",
      "Activities delivered to peers, and delivery attempts that failed, since the node began counting",
      ["outcome"],
      async (set) => {
        const { delivered, failed } = await sources.deliveries();
        set({ outcome: "delivered" }, delivered);
        set({ outcome: "failed" }, failed);
      },
    );
    if (cluster.isWorker) {
      // A worker answers the primary's requests for its figures from this registry;
      // prom-client starts listening for them when an AggregatorRegistry is made.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  /** Times every request, labelled with the route pattern (not the path: bounded labels). */
  timeRequests(): MiddlewareHandler {
    return async (c, next) => {
      const end = this.#requests.startTimer({ method: c.req.method });
      try {
        await next();
      } finally {
        end({ route: c.req.routePath, status: String(c.res.status) });
      }
    };
  }

  /** The text a scrape gets: this process's, or every worker's when run as several. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    if (cluster.isWorker) {
      return { contentType: this.registry.contentType, body: await askPrimaryForMetrics() };
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const METRICS_REQUEST = "coursefed:metrics";

/** In the primary of several processes: answers workers asking for everyone's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: { type?: string; id?: number }) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: METRICS_REQUEST, id: message.id, body }),
      (error: Error) =>
        worker.send({ type: METRICS_REQUEST, id: message.id, error: error.message }),
    );
  });
}

let nextRequest = 0;

async function askPrimaryForMetrics(): Promise<string> {
  const id = ++nextRequest;
  return await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off("message", answer);
      reject(new Error("the primary process did not send the metrics within 10 s"));
    }, 10_000);
    const answer = (message: { type?: string; id?: number; body?: string; error?: string }) => {
      if (message?.type !== METRICS_REQUEST || message.id !== id) return;
      clearTimeout(timer);
      process.off("message", answer);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.body ?? "");
    };
    process.on("message", answer);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}
