import type { Context } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import { NetworkSearchAnswer } from "../network-search/network-search-answer.ts";
import { networkSearchParams } from "../network-search/network-search-query.ts";
import type { CatalogIntake, PeerSearch } from "../network-search/network-search-service.ts";
import { ITEMS_PER_NODE } from "../network-search/network-search-service.ts";
import { checkAddressAllowed } from "./actor-lookup.ts";
import type { FederationServices } from "./context.ts";
import { fetchCourse, receiveCourse, takesCoursesFrom } from "./inbox/courses.ts";
import { IF_IT_LASTS, PeerDocumentError, readPeerDocument } from "./peer-document.ts";
import { sanitizeRemoteHtml } from "./remote-html.ts";
import { institutionSigner } from "./signed-fetch.ts";

/** Where a node answers signed searches (docs/network-search.md). */
export const NETWORK_SEARCH_PATH = "/federation/search";

/** The most a node's answer may weigh: 20 results with long summaries fit well within it. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Asks other nodes for their courses, each request signed as our institution (so a node
 * shows the followers-only courses of the actors we follow), never to a private address
 * unless the node was started to allow them: the nodes asked one hop further are named
 * by other servers. An answer is read within a size limit, checked against the answer's
 * shape, and its summaries sanitized as any remote HTML.
 */
export function peerSearch(ctx: Context<FederationServices>): PeerSearch {
  let signer: ReturnType<typeof institutionSigner> | undefined;
  return {
    async ask(origin, query, signal) {
      const url = new URL(NETWORK_SEARCH_PATH, origin);
      url.search = networkSearchParams(query).toString();
      url.searchParams.set("limit", String(ITEMS_PER_NODE));
      await checkAddressAllowed(url.hostname, ctx.data.allowPrivateAddresses);
      signer ??= institutionSigner(ctx);
      const document = await readPeerDocument(url, {
        sign: await signer,
        accept: "application/json",
        maxBytes: MAX_ANSWER_BYTES,
        signal,
      });
      const parsed = NetworkSearchAnswer.safeParse(document);
      if (!parsed.success) {
        throw new PeerDocumentError(
          "WRONG_SHAPE",
          `${url.host} answered something that is not a search answer (${parsed.error.issues[0]?.path.join(".") || "its shape"}): ${IF_IT_LASTS}.`,
        );
      }
      const answer = parsed.data;
      if (new URL(answer.node).origin !== url.origin) {
        throw new PeerDocumentError(
          "WRONG_SHAPE",
          `${url.host} answered in the name of ${answer.node}, so its answer is dropped: ${IF_IT_LASTS}.`,
        );
      }
      return {
        ...answer,
        items: answer.items.map((item) => ({
          ...item,
          summary: item.summary === null ? null : sanitizeRemoteHtml(item.summary),
        })),
      };
    },
  };
}

/**
 * Brings a course named by a search result into the catalog the way a delivered one
 * enters it: the object read from its own server signed as our institution, attributed
 * to an actor of that server, its manifest verified; and only if the publisher, or the
 * institution on its server that announces its teachers' courses, is followed here
 * (takesCoursesFrom). A search answer never puts anything in the catalog by itself.
 */
export function catalogIntake(ctx: Context<FederationServices>): CatalogIntake {
  return {
    async bring(objectUri, institution) {
      await checkAddressAllowed(objectUri.hostname, ctx.data.allowPrivateAddresses);
      const fetched = await fetchCourse(ctx, objectUri);
      if (!fetched) return { kept: false, reason: "not-a-course" };
      const { object, json } = fetched;
      const attribution = object.attributionId;
      if (!attribution || attribution.origin !== objectUri.origin) {
        return { kept: false, reason: "not-a-course" };
      }
      if (!(await takesCoursesFrom(ctx, attribution, institution))) {
        return { kept: false, reason: "not-followed", publisher: attribution.href };
      }
      const publisher = await object.getAttribution({
        documentLoader: await ctx.getDocumentLoader({ identifier: "institution" }),
        contextLoader: ctx.contextLoader,
      });
      if (!isActor(publisher) || publisher.id?.href !== attribution.href) {
        return { kept: false, reason: "not-a-course" };
      }
      const kept = await receiveCourse(ctx, object, publisher, { announcedBy: institution }, json);
      return kept ? { kept: true } : { kept: false, reason: "not-a-course" };
    },
  };
}
