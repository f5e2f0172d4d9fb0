import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";

/**
 * Lets Fedify answer the requests it knows (actors, inboxes, WebFinger, NodeInfo) and
 * passes the rest on to the application's routes. When Fedify has the resource but not
 * in the representation asked for (a browser on an actor or course URL), the routes may
 * answer: the web interface draws pages for browsers, its "not found" page included.
 */
export function federationMiddleware<T>(
  federation: Federation<T>,
  contextData: (request: Request) => T,
): MiddlewareHandler {
  return async (c, next) => {
    const route = async () => {
      await next();
      return c.res;
    };
    const response = await federation.fetch(c.req.raw, {
      contextData: contextData(c.req.raw),
      onNotFound: route,
      onNotAcceptable: async () => {
        const routed = await route();
        if (routed.status !== 404 || routed.headers.get("content-type")?.startsWith("text/html"))
          return routed;
        return new Response("Not acceptable: ask for application/activity+json.\n", {
          status: 406,
          headers: { "content-type": "text/plain; charset=utf-8", vary: "Accept" },
        });
      },
    });
    if (response !== c.res) c.res = response;
  };
}
