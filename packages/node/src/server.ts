import { type ServerType, serve } from "@hono/node-server";
import type { CoursefedNode } from "./node.ts";

export interface RunningServer {
  /** Where the server actually listens (the port is known once bound, e.g. for port 0). */
  readonly address: { readonly host: string; readonly port: number };
  /**
   * Stops listening. With `drainMs`, requests under way get that long to finish (idle
   * connections close at once); without, every connection is cut.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Serves the node over HTTP on its configured address. */
export async function startServer(
  node: CoursefedNode,
  port = node.config.listen.port,
): Promise<RunningServer> {
  const server: ServerType = await new Promise((resolve, reject) => {
    const publicOrigin = node.config.publicUrl;
    const started = serve(
      {
        // env carries the socket (getConnInfo reads the client's address from it).
        fetch: (request, env) => node.app.fetch(atPublicOrigin(request, publicOrigin), env),
        hostname: node.config.listen.host,
        port,
      },
      () => resolve(started),
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
    close: (options) =>
      new Promise<void>((resolve, reject) => {
        const cutOff =
          options?.drainMs === undefined
            ? undefined
            : setTimeout(() => closeAllConnections(server), options.drainMs);
        server.close((error) => {
          clearTimeout(cutOff);
          if (error) reject(error);
          else resolve();
        });
        if (cutOff === undefined) closeAllConnections(server);
        else if ("closeIdleConnections" in server) server.closeIdleConnections();
      }),
  };
}

function closeAllConnections(server: ServerType): void {
  if ("closeAllConnections" in server) server.closeAllConnections();
}

/**
 * The request as addressed to the node's public URL. Behind a TLS-terminating proxy the
 * socket says http://127.0.0.1:8321 while peers signed https://courses.univ.example/...
 * (RFC 9421 signs the target URI), and links must name the public address. The node
 * answers for one origin only, so it is taken from the configuration rather than from
 * X-Forwarded-* headers, which a client could set when no proxy overwrites them.
 */
function atPublicOrigin(request: Request, publicUrl: URL): Request {
  const url = new URL(request.url);
  if (url.origin === publicUrl.origin) return request;
  const rewritten = new URL(`${url.pathname}${url.search}`, publicUrl);
  return new Request(rewritten, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    // A streamed body (an upload) goes on as it arrives.
    duplex: "half",
  } as RequestInit);
}
