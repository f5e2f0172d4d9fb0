import type { MiddlewareHandler } from "hono";
import { hasControlCharacters } from "../control-characters.ts";
import { errorPage } from "./pages/error-page.ts";
import type { WebEnv } from "./web-env.ts";

/** Answers with a 400 page an address whose path or query holds control characters. */
export const refuseControlCharacters: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (hasControlCharacters(new URL(c.req.url))) {
    const t = c.get("t");
    return errorPage(c, 400, t.controlCharactersTitle, t.controlCharacters);
  }
  await next();
};
