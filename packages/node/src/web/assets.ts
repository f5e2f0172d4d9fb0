import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Hono } from "hono";
import type { WebEnv } from "./web-env.ts";

const require = createRequire(import.meta.url);

/**
 * The stylesheets, served by the node itself (no CDN: pages work on a closed network and
 * leak nothing to third parties). Read once; they change only with the package.
 */
const STYLESHEETS: Readonly<Record<string, string>> = {
  "pico.min.css": readFileSync(require.resolve("@picocss/pico/css/pico.min.css"), "utf8"),
  "coursefed.css": readFileSync(new URL("./assets/coursefed.css", import.meta.url), "utf8"),
};

export function assetRoutes(app: Hono<WebEnv>): void {
  app.get("/assets/:name", (c) => {
    const css = STYLESHEETS[c.req.param("name")];
    if (css === undefined) return c.notFound();
    return c.body(css, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
    });
  });
}
