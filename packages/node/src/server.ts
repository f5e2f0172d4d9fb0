import { type ServerType, serve } from "@hono/node-server";
import type { CoursefedNode } from "./node.ts";

export interface RunningServer {
  /** Where the server actually listens (the port is known once bound, e.g. for port 0). */
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

/** Serves the node over HTTP on its configured address. */
export async function startServer(
  node: CoursefedNode,
  port = node.config.listen.port,
): Promise<RunningServer> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const started = serve({ fetch: node.app.fetch, hostname: node.config.listen.host, port }, () =>
      resolve(started),
    );
    started.once("error", reject);
  });
  const bound = server.address();
  const address =
    typeof bound === "object" && bound
      ? { host: bound.address, port: bound.port }
      : node.config.listen;
  return {
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ("closeAllConnections" in server) server.closeAllConnections();
      }),
  };
}
