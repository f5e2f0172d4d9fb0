import type { AdminOnRecord } from "../audit/audit-log.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import type { FollowRepository } from "../follows/follow-repository.ts";
import { federatesWith } from "../settings/federation-policy.ts";
import type { NodeSettings } from "../settings/node-settings.ts";
import type { NetworkSearchAnswer, NetworkSearchHit } from "./network-search-answer.ts";
import { NetworkSearchError, type NetworkSearchQuery } from "./network-search-query.ts";
import { searchWords, textRelevance } from "./text-relevance.ts";

/** How long a search waits for the nodes, unless told: about what a person waits for a list. */
export const DEFAULT_BUDGET_MS = 1500;
/** The longest wait a search may be given. */
export const MAX_BUDGET_MS = 10_000;
/** The shortest: below it, even a node on the same network seldom answers. */
export const MIN_BUDGET_MS = 100;
/** Nodes asked at the same time: enough to hide each one's latency, few enough for 2 cores. */
export const FAN_OUT_CONCURRENCY = 8;
/** Nodes asked one hop further at most, whatever the nodes we follow say they follow. */
export const MAX_SECOND_HOP_NODES = 50;
/** Results asked of each node: the merged list is cut at the caller's limit anyway. */
export const ITEMS_PER_NODE = 20;

/** Asks one node for its courses; federation/ signs the request as our institution. */
export interface PeerSearch {
  ask(origin: string, query: NetworkSearchQuery, signal: AbortSignal): Promise<NetworkSearchAnswer>;
}

/**
 * Brings a course found on the network into the catalog: fetched from its own server and
 * checked as a delivered one (attribution, signed manifest), which also applies the rule
 * of what may enter the catalog. federation/ does it.
 */
export interface CatalogIntake {
  bring(
    objectUri: URL,
    institution: URL | undefined,
  ): Promise<
    | { readonly kept: true }
    | { readonly kept: false; readonly reason: "not-followed"; readonly publisher: string }
    | { readonly kept: false; readonly reason: "not-a-course" }
  >;
}

/** What a network search uses. */
export interface NetworkSearchStores {
  readonly follows: FollowRepository;
  readonly catalog: CatalogRepository;
  readonly settings: NodeSettings;
  /** This node's origin, never asked. */
  readonly origin: string;
  readonly peerSearch: PeerSearch;
}

/** One merged result, marked for the person reading it. */
export interface NetworkSearchResultItem extends NetworkSearchHit {
  /** The node that answered (the course's own server). */
  readonly node: string;
  /** 1: a node we follow; 2: a node one of those follows. */
  readonly hop: 1 | 2;
  /** The local catalog holds it already (its revision here, which may be older). */
  readonly inCatalog: { readonly revision: number } | null;
  /** We follow its teacher or its institution: it may be brought into the catalog now. */
  readonly publisherFollowed: boolean;
}

export interface NetworkSearchResult {
  readonly items: NetworkSearchResultItem[];
  /** Every node that answered, even with nothing. */
  readonly answered: string[];
  /** Nodes asked (or waiting to be) when the budget ran out: their answers, if any, are dropped. */
  readonly late: string[];
  /** Nodes that answered with an error, or could not be reached. */
  readonly failed: Array<{ readonly node: string; readonly reason: string }>;
  readonly budgetMs: number;
  readonly oneHop: boolean;
  readonly tookMs: number;
}

/**
 * Searches the nodes this node follows (the servers of the actors followed with an
 * accepted follow, those the federation policy allows), and, if the admin turned it on,
 * the nodes they say they follow, one hop further and no more than MAX_SECOND_HOP_NODES.
 * No index anywhere: each node answers for its own courses, within `budgetMs`; answers
 * that come later are dropped and their nodes listed as late. The answers are merged:
 * one result per object, best text match first then the newest, each marked as held by
 * the catalog or not and as restorable-after-intake or needing a follow first.
 */
export async function searchNetwork(
  stores: NetworkSearchStores,
  query: NetworkSearchQuery,
  options: { readonly budgetMs?: number | undefined; readonly limit?: number | undefined } = {},
): Promise<NetworkSearchResult> {
  const started = performance.now();
  const budgetMs = Math.min(
    MAX_BUDGET_MS,
    Math.max(MIN_BUDGET_MS, options.budgetMs ?? DEFAULT_BUDGET_MS),
  );
  const limit = options.limit ?? 50;
  const policy = await stores.settings.federationPolicy();
  const oneHop = await stores.settings.networkSearchOneHop();
  const followedActors = new Set(await stores.follows.acceptedFollowingUris());
  const own = new URL(stores.origin).origin;
  const seen = new Set<string>([own]);
  const waiting: Array<{ node: string; hop: 1 | 2 }> = [];
  const enqueue = (uri: string, hop: 1 | 2) => {
    if (!URL.canParse(uri)) return false;
    const url = new URL(uri);
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    if (seen.has(url.origin) || !federatesWith(policy, url)) return false;
    seen.add(url.origin);
    waiting.push({ node: url.origin, hop });
    return true;
  };
  for (const actor of followedActors) enqueue(actor, 1);

  const answers: Array<{ node: string; hop: 1 | 2; answer: NetworkSearchAnswer }> = [];
  const asking = new Set<string>();
  const failed: NetworkSearchResult["failed"] = [];
  const budget = new AbortController();
  let secondHop = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => budget.abort(), budgetMs);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    budget.signal.addEventListener("abort", finish, { once: true });
    const next = () => {
      if (budget.signal.aborted) return;
      while (asking.size < FAN_OUT_CONCURRENCY && waiting.length > 0) {
        const { node, hop } = waiting.shift() as { node: string; hop: 1 | 2 };
        asking.add(node);
        stores.peerSearch
          .ask(node, query, budget.signal)
          .then(
            (answer) => {
              if (budget.signal.aborted) return;
              answers.push({ node, hop, answer });
              if (oneHop && hop === 1) {
                for (const further of answer.following) {
                  if (secondHop >= MAX_SECOND_HOP_NODES) break;
                  if (enqueue(further, 2)) secondHop++;
                }
              }
            },
            (error: unknown) => {
              if (!budget.signal.aborted) failed.push({ node, reason: reasonOf(error) });
            },
          )
          .finally(() => {
            if (budget.signal.aborted) return;
            asking.delete(node);
            next();
          });
      }
      if (asking.size === 0 && waiting.length === 0) finish();
    };
    next();
  });
  const late = [...asking, ...waiting.map(({ node }) => node)];
  // Whatever is still on its way is not waited for: the search is answered.
  budget.abort();

  const items = await markedResults(stores, query, answers, followedActors, limit);
  return {
    items,
    answered: answers.map(({ node }) => node),
    late,
    failed,
    budgetMs,
    oneHop,
    tookMs: Math.round(performance.now() - started),
  };
}

/**
 * The answers merged into one ranked list. A node answers for its own courses only: an
 * item whose object, teacher or institution is on another server is dropped (a node
 * cannot vouch for another's courses, nor push them up another's list), and so is one
 * that does not hold the words asked, which every coursefed node checks the same way.
 * Ranked by the words' relevance as this node computes it (scores given by nodes cannot
 * be compared, nor trusted), then the newest; one result per object.
 */
async function markedResults(
  stores: NetworkSearchStores,
  query: NetworkSearchQuery,
  answers: ReadonlyArray<{ node: string; hop: 1 | 2; answer: NetworkSearchAnswer }>,
  followedActors: ReadonlySet<string>,
  limit: number,
): Promise<NetworkSearchResultItem[]> {
  const words = searchWords(query.q ?? "");
  const merged = new Map<
    string,
    { hit: NetworkSearchHit; node: string; hop: 1 | 2; score: number }
  >();
  for (const { node, hop, answer } of answers) {
    for (const hit of answer.items) {
      const onNode = [hit.object, hit.institution.actor, hit.teacher?.actor].every(
        (uri) => uri === undefined || new URL(uri).origin === node,
      );
      if (!onNode || merged.has(hit.object)) continue;
      const score = textRelevance(words, hit);
      if (score === undefined) continue;
      merged.set(hit.object, { hit, node, hop, score });
    }
  }
  const ranked = [...merged.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        Date.parse(b.hit.updated) - Date.parse(a.hit.updated) ||
        a.hit.object.localeCompare(b.hit.object),
    )
    .slice(0, limit);
  // Marked once cut to what is shown: a catalog lookup each, not one per answer received.
  return await Promise.all(
    ranked.map(async ({ hit, node, hop }) => {
      const held = await stores.catalog.catalogEntry(hit.object);
      return {
        ...hit,
        node,
        hop,
        inCatalog: held && held.deletedAt === null ? { revision: held.revision } : null,
        publisherFollowed:
          followedActors.has(hit.institution.actor) ||
          (hit.teacher !== null && followedActors.has(hit.teacher.actor)),
      };
    }),
  );
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What bringing a result into the catalog uses. */
export interface CatalogIntakeStores {
  readonly catalog: CatalogRepository;
  readonly settings: NodeSettings;
  readonly catalogIntake: CatalogIntake;
}

/**
 * Brings a course found by a network search into the catalog, where it can be fetched and
 * restored as any other. Nothing a search answered is taken on its word: the course is
 * read from its own server and checked as if its publisher had delivered it, and it
 * enters only if a local actor follows its teacher or its institution (the one rule of
 * what enters the catalog); otherwise the refusal names whom to follow first.
 * `institution` is the institution actor a result named, heard only on its own server.
 */
export async function bringIntoCatalog(
  stores: CatalogIntakeStores,
  objectUri: string,
  institution?: string,
): Promise<{ objectUri: string; revision: number; alreadyHeld: boolean }> {
  if (!URL.canParse(objectUri) || !/^https?:$/.test(new URL(objectUri).protocol)) {
    throw new NetworkSearchError(
      "INVALID_QUERY",
      `"${objectUri}" is not a course's address; give the object URL a search result names.`,
    );
  }
  const object = new URL(objectUri);
  const held = await stores.catalog.catalogEntry(object.href);
  if (held && held.deletedAt === null) {
    return { objectUri: held.objectUri, revision: held.revision, alreadyHeld: true };
  }
  if (!federatesWith(await stores.settings.federationPolicy(), object)) {
    throw new NetworkSearchError(
      "NOT_FEDERATED",
      `This node does not federate with ${object.hostname}; its courses cannot enter the catalog.`,
    );
  }
  const announcer =
    institution && URL.canParse(institution) && new URL(institution).origin === object.origin
      ? new URL(institution)
      : undefined;
  let outcome: Awaited<ReturnType<CatalogIntake["bring"]>>;
  try {
    outcome = await stores.catalogIntake.bring(object, announcer);
  } catch (error) {
    throw new NetworkSearchError(
      "UNREACHABLE",
      `${object.host} did not give the course: ${reasonOf(error)}. Try again later.`,
    );
  }
  if (!outcome.kept) {
    throw outcome.reason === "not-followed"
      ? new NetworkSearchError(
          "NOT_FOLLOWED",
          `This node keeps only courses of actors it follows: follow ${outcome.publisher} (or its institution) first, then bring the course in again.`,
        )
      : new NetworkSearchError(
          "NOT_A_COURSE",
          `${object.href} is not a course this node can verify (no course object attributed to an actor of its server, or its signed manifest does not check).`,
        );
  }
  const kept = await stores.catalog.catalogEntry(object.href);
  if (!kept) {
    throw new NetworkSearchError(
      "NOT_A_COURSE",
      `${object.href} could not be kept in the catalog.`,
    );
  }
  return { objectUri: kept.objectUri, revision: kept.revision, alreadyHeld: false };
}

/** Turns the second hop on or off for an admin, on the audit log. */
export async function setNetworkSearchOneHop(
  settings: NodeSettings,
  admin: AdminOnRecord,
  oneHop: boolean,
): Promise<Awaited<ReturnType<NodeSettings["networkSearch"]>>> {
  const changed = await settings.setNetworkSearchOneHop(oneHop, admin.auditActor.name);
  await admin.auditLog.record(admin.auditActor, "settings.network-search", null, { oneHop });
  return changed;
}
