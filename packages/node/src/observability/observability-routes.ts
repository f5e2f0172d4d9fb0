import type { MessageQueue } from "@fedify/fedify";
import { Hono } from "hono";
import type { NodeDatabase } from "../db/database.ts";
import { checkHealth } from "./health.ts";
import type { NodeMetrics } from "./metrics.ts";

/**
 * GET /healthz (the database and the queues answer: 200, or 503 with what does not) and
 * GET /metrics (Prometheus' text format). node.ts mounts them ahead of the federation
 * guard and the pages, which must not refuse a probe.
 */
export function observabilityRoutes(
  db: NodeDatabase,
  queues: Readonly<Record<string, MessageQueue>>,
  metrics: NodeMetrics,
): Hono {
  const routes = new Hono();
  routes.get("/healthz", async (c) => {
    const report = await checkHealth(db, queues);
    return c.json(report, report.status === "ok" ? 200 : 503);
  });
  routes.get("/metrics", async (c) => {
    const { contentType, body } = await metrics.exposition();
    return c.body(body, 200, { "content-type": contentType });
  });
  return routes;
}
