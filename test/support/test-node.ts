import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../packages/node/src/config.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../packages/node/src/db/test-database.ts";
import { type CoursefedNode, createNode } from "../../packages/node/src/node.ts";
import { startServer } from "../../packages/node/src/server.ts";
import { Temporal } from "../../packages/node/src/temporal.ts";

/**
 * Test nodes try a failed incoming activity again after 1, 2 and 4 s, not over the
 * hour a production node takes: tests see the retries and the drop within seconds.
 */
export const TEST_INBOX_RETRY_SCHEDULE = ["PT1S", "PT2S", "PT4S"].map((delay) =>
  Temporal.Duration.from(delay),
);

export interface TestNode {
  readonly node: CoursefedNode;
  readonly url: URL;
  /** The admin API token the node made on its first start. */
  readonly token: string;
  /** Stops answering HTTP (as if the server were down), and starts again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** A TCP port nothing listens on now. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A real node on a loopback port with its own data directory, as a peer would see it.
 * When the tests run on PostgreSQL, it gets a fresh database of its own there; otherwise
 * the SQLite file in its data directory. `oidc` gives the COURSEFED_OIDC_* variables it
 * starts with, from its URL (a provider must know the node's callback to register it).
 */
export async function startTestNode(
  handle: string,
  name = handle,
  settings: {
    autoAccept?: string;
    maxUpload?: string;
    federation?: string;
    domains?: string;
    trustProxy?: string;
    /** true unless given: test nodes are peers on loopback. */
    allowPrivateAddresses?: boolean;
    oidc?: (nodeUrl: URL) => Promise<Readonly<Record<string, string>>>;
    /** Network searches one server may ask per minute (the node's default unless given). */
    networkSearchRequestsPerMinute?: number;
  } = {},
): Promise<TestNode> {
  const { oidc, networkSearchRequestsPerMinute, ...flags } = settings;
  const dataDir = mkdtempSync(join(tmpdir(), `coursefed-node-${handle}-`));
  let database: TemporaryDatabase | undefined;
  let node: CoursefedNode | undefined;
  // The data directory goes however the node ends, also when it fails to start or its
  // closing throws: nothing else would remove it from the temporary folder.
  const remove = async () => {
    try {
      await node?.close();
      await database?.remove();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    if (process.env[TEST_POSTGRES_ENVIRONMENT]) database = await temporaryDatabase();
    const config = resolveConfig(
      {
        dataDir,
        databaseUrl: database?.location,
        listen: `127.0.0.1:${port}`,
        handle,
        name,
        allowPrivateAddresses: true,
        ...flags,
      },
      oidc ? await oidc(new URL(`http://127.0.0.1:${port}/`)) : {},
    );
    const started = await createNode({
      ...config,
      inboxRetrySchedule: TEST_INBOX_RETRY_SCHEDULE,
      networkSearchRequestsPerMinute,
    });
    node = started;
    let server = await startServer(started);
    return {
      node: started,
      url: config.publicUrl,
      token: started.initialAdminToken as string,
      pause: () => server.close(),
      async resume() {
        server = await startServer(started, port);
      },
      async stop() {
        try {
          await server.close();
        } finally {
          await remove();
        }
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
