import { html } from "hono/html";
import type { CatalogPublisher } from "../catalog/catalog-repository.ts";
import { hostOf } from "./format.ts";
import type { Markup } from "./layout.ts";

/**
 * Who published a catalog course, by name: the author's display name (their handle on
 * hover, or beside it with `handles`) and their institution's name (its server on hover).
 * An institution's own course names it once. Names never seen fall back to the handle,
 * then the address.
 */
export function publisherByline(
  actorUri: string,
  publisher: CatalogPublisher | undefined,
  options: { readonly link?: boolean; readonly handles?: boolean } = {},
): Markup {
  const host = hostOf(actorUri);
  const author = publisher?.author;
  const institution = publisher?.institution;
  const institutionName = institution?.name ?? host;
  const institutionMarkup = html`<span class="institution" title="${host}">${institutionName}</span>${options.handles && institution?.name ? html` <small class="handle">${host}</small>` : ""}`;
  if (author && (author.type === "Organization" || author.uri === institution?.uri)) {
    const name = author.name ?? institutionName;
    return options.link
      ? html`<a href="${actorUri}" rel="external" class="institution" title="${host}">${name}</a>`
      : html`<span class="institution" title="${host}">${name}</span>`;
  }
  const handle = author?.handle ? `@${author.handle}` : undefined;
  const name = author?.name ?? handle ?? actorUri;
  const authorMarkup = options.link
    ? html`<a href="${actorUri}" rel="external" class="author"${handle ? html` title="${handle}"` : ""}>${name}</a>`
    : html`<span class="author"${handle ? html` title="${handle}"` : ""}>${name}</span>`;
  const shownHandle =
    options.handles && handle && author?.name ? html` <small class="handle">${handle}</small>` : "";
  return html`${authorMarkup}${shownHandle} · ${institutionMarkup}`;
}
