import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { page } from "../layout.ts";
import type { WebContext } from "../web-env.ts";

/** Where a refused page leads, when it is not the catalog: the form to try again. */
export interface WayBack {
  readonly href: string;
  readonly label: string;
}

/** A refusal or failure, as a page with a way back. */
export function errorPage(
  c: WebContext,
  status: ContentfulStatusCode,
  title: string,
  explanation: string,
  headers?: Record<string, string>,
  back?: WayBack,
) {
  const t = c.get("t");
  return page(c, {
    title,
    status,
    ...(headers ? { headers } : {}),
    main: html`<article class="notice notice-error" role="alert">
<h1>${title}</h1>
<p>${explanation}</p>
<p><a href="${back?.href ?? "/catalog"}">${back?.label ?? t.backToCatalog}</a></p>
</article>`,
  });
}
