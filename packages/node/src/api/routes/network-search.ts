import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { domainServices } from "../../federation/domain-services.ts";
import { catalogIntake, peerSearch } from "../../federation/network-search-client.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { NetworkSearchHit } from "../../network-search/network-search-answer.ts";
import { networkSearchQueryFrom } from "../../network-search/network-search-query.ts";
import {
  bringIntoCatalog,
  DEFAULT_BUDGET_MS,
  MAX_BUDGET_MS,
  MIN_BUDGET_MS,
  searchNetwork,
  setNetworkSearchOneHop,
} from "../../network-search/network-search-service.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const NetworkResult = NetworkSearchHit.extend({
  node: z.string().url().openapi({ description: "The node that answered: the course's server" }),
  hop: z
    .union([z.literal(1), z.literal(2)])
    .openapi({ description: "1: a node this node follows; 2: a node one of those follows" }),
  inCatalog: z
    .object({ revision: z.number().int() })
    .nullable()
    .openapi({ description: "The revision the local catalog holds; null when not there yet" }),
  publisherFollowed: z.boolean().openapi({
    description:
      "This node follows the course's teacher or institution: POST /network-search/catalog brings it in; otherwise follow first",
  }),
}).openapi("NetworkSearchResult");

const search = createRoute({
  method: "get",
  path: "/network-search",
  summary: "Search the courses of the nodes this node follows (and one hop further, if set)",
  description:
    "Each node answers for its own courses (docs/network-search.md); the answers that come within the time budget are merged, one result per course, best text match first then the newest. Nothing enters the catalog.",
  request: {
    query: z.object({
      q: z.string().max(200).optional().openapi({ description: "Words of title, summary or tags" }),
      tag: z.string().max(200).optional(),
      institution: z
        .string()
        .max(253)
        .optional()
        .openapi({ description: "A server's host: its courses" }),
      teacher: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: "Text of a teacher's handle or name" }),
      language: z.string().max(20).optional(),
      moodle: z.string().max(20).optional().openapi({
        description: "Backups made on this Moodle branch (major.minor) or older, e.g. 4.1",
      }),
      plugin: z.string().max(100).optional(),
      withoutPlugins: z.string().max(5).optional().openapi({ description: "true or false" }),
      budget: z.coerce
        .number()
        .int()
        .min(MIN_BUDGET_MS)
        .max(MAX_BUDGET_MS)
        .default(DEFAULT_BUDGET_MS)
        .openapi({ description: "How long to wait for the nodes, in ms" }),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: "The merged results, and which nodes answered, were late or failed",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(NetworkResult),
            answered: z.array(z.string()),
            late: z.array(z.string()).openapi({
              description: "Nodes that did not answer within the budget: their answers are dropped",
            }),
            failed: z.array(z.object({ node: z.string(), reason: z.string() })),
            budgetMs: z.number().int(),
            oneHop: z.boolean(),
            tookMs: z.number().int(),
          }),
        },
      },
    },
    ...refusals({
      invalid_query: "A filter that cannot be read",
    }),
  },
});

const bring = createRoute({
  method: "post",
  path: "/network-search/catalog",
  summary: "Bring a course found on the network into the catalog, to fetch or restore it",
  description:
    "The course is read from its own server and verified as a delivered one; it enters only if this node follows its teacher or institution (409 not_followed names whom to follow).",
  request: {
    body: jsonBody(
      z.object({
        object: z.string().url(),
        institution: z.string().url().optional().openapi({
          description:
            "The institution actor the result named, which announces its teachers' courses",
        }),
      }),
    ),
  },
  responses: {
    200: {
      description: "In the catalog",
      content: {
        "application/json": {
          schema: z.object({
            object: z.string().url(),
            revision: z.number().int(),
            alreadyHeld: z.boolean(),
          }),
        },
      },
    },
    ...refusals({
      invalid_query: "Not a course address",
      not_followed: "Its publisher is not followed here: follow first",
      not_federated: "The federation policy excludes its server",
      not_a_course: "Not a course that can be verified",
      unreachable: "Its server could not be reached",
    }),
  },
});

const NetworkSearchSettings = z
  .object({
    oneHop: z.boolean().openapi({
      description: "Searches also ask the nodes the followed nodes follow (off by default)",
    }),
    changedBy: z.string().nullable(),
    changedAt: z.string().nullable(),
  })
  .openapi("NetworkSearchSettings");

const showSettings = createRoute({
  method: "get",
  path: "/settings/network-search",
  summary: "Whether network searches go one hop further (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: "The setting in force",
      content: { "application/json": { schema: NetworkSearchSettings } },
    },
    ...refusals(),
  },
});

const changeSettings = createRoute({
  method: "put",
  path: "/settings/network-search",
  summary: "Turn the network search's second hop on or off (admin)",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(z.object({ oneHop: z.boolean() })),
  },
  responses: {
    200: {
      description: "The setting in force",
      content: { "application/json": { schema: NetworkSearchSettings } },
    },
    ...refusals(),
  },
});

/** The network search for the CLI and programs: the same service as the web page's. */
export function networkSearchRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, audit, context }: ApiDependencies,
): void {
  app.openapi(search, async (c) => {
    const { budget, limit } = c.req.valid("query");
    // The filters are read as the nodes read them, with the same refusals.
    const query = networkSearchQueryFrom(new URL(c.req.url).searchParams);
    const ctx = context(c.req.raw);
    const result = await searchNetwork(
      { ...services, origin: ctx.origin, peerSearch: peerSearch(ctx) },
      query,
      { budgetMs: budget, limit },
    );
    return c.json(result, 200);
  });

  app.openapi(bring, async (c) => {
    const { object, institution } = c.req.valid("json");
    const ctx = context(c.req.raw);
    const kept = await bringIntoCatalog(
      { ...domainServices(ctx), catalogIntake: catalogIntake(ctx) },
      object,
      institution,
    );
    return c.json(
      { object: kept.objectUri, revision: kept.revision, alreadyHeld: kept.alreadyHeld },
      200,
    );
  });

  const settingsJson = (setting: Awaited<ReturnType<typeof services.settings.networkSearch>>) => ({
    oneHop: setting.oneHop.value,
    changedBy: setting.oneHop.override?.updatedBy ?? null,
    changedAt: setting.oneHop.override
      ? new Date(setting.oneHop.override.updatedAt).toISOString()
      : null,
  });

  app.openapi(showSettings, async (c) =>
    c.json(settingsJson(await services.settings.networkSearch()), 200),
  );

  app.openapi(changeSettings, async (c) => {
    const { oneHop } = c.req.valid("json");
    const changed = await setNetworkSearchOneHop(
      services.settings,
      { auditActor: auditActorOf(c.get("principal")), auditLog: audit },
      oneHop,
    );
    return c.json(settingsJson(changed), 200);
  });
}
