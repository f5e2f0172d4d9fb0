import { type BackupFacts, checkCompatibility, type MoodleSiteInfo } from "@coursefed/moodle";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { boostCourse } from "../../catalog/boost-service.ts";
import {
  activeCatalogFilters,
  CATALOG_FILTERS,
  catalogEmptyMessage,
  catalogEmptyReason,
} from "../../catalog/catalog-empty-reason.ts";
import {
  CATALOG_COUNT_BUDGET,
  CATALOG_COUNT_LIMIT,
  type CatalogEntry as CatalogEntryRow,
  type CatalogPublisher,
  type PublisherActor,
} from "../../catalog/catalog-repository.ts";
import { probedSites } from "../../catalog/catalog-restorable.ts";
import { fetchCatalogArchive } from "../../catalog/fetch-service.ts";
import { mayReadArchive } from "../../courses/access.ts";
import { lineageOf } from "../../courses/licence-lineage.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { serveBlob } from "../../http/serve-blob.ts";
import type { CourseManifest } from "../../manifests/course-manifest.ts";
import type { MoodleTarget } from "../../moodle-targets/target-repository.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import type { ApiEnv } from "../auth.ts";
import { binarySchema } from "../binary-body.ts";
import { jsonBody } from "../json-request-body.ts";
import { RestoreProblem } from "../restore-problem.ts";

const Publisher = z.object({
  actor: z.string().url().nullable(),
  name: z.string().nullable().openapi({ description: "Display name" }),
  handle: z.string().nullable().openapi({ description: "user@host" }),
});

const EmptyReason = z
  .object({
    code: z.enum(["no_probed_target", "filtered", "catalog_empty"]),
    message: z.string(),
    filters: z
      .array(z.enum(CATALOG_FILTERS))
      .optional()
      .openapi({ description: "filtered: the criteria given, any of which may be removed" }),
  })
  .openapi("CatalogEmptyReason", {
    description:
      "Why nothing was found: no Moodle target probed (for restorable), criteria that match nothing, or a catalog that is empty",
  });

const CatalogEntry = z
  .object({
    object: z.string().url(),
    actor: z.string().url(),
    title: z.string(),
    summary: z.string().nullable().openapi({ description: "Sanitized HTML" }),
    tags: z.array(z.string()),
    revision: z.number().int().openapi({ description: "The latest revision received" }),
    sha256: z.string(),
    size: z.number().int(),
    archive: z.string().url(),
    moodleRelease: z.string().optional(),
    languages: z.array(z.string()),
    requiredPlugins: z
      .array(z.string())
      .openapi({ description: "Plugins a standard Moodle lacks that the course needs" }),
    publishedAt: z.string(),
    author: Publisher.nullable().openapi({
      description: "The course's actor as this node last saw it; null if never seen",
    }),
    institution: Publisher.extend({ host: z.string() }).openapi({
      description:
        "The institution on the author's server: its host always, its name and actor once this node has seen it",
    }),
  })
  .openapi("CatalogEntry");

const CatalogRevision = z
  .object({
    revision: z.number().int(),
    sha256: z.string(),
    size: z.number().int(),
    archive: z.string().url(),
    manifest: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The publisher's signed manifest, verified" }),
    publishedAt: z.string(),
    receivedAt: z.string(),
    changes: z.record(z.string(), z.string()).nullable().openapi({
      description:
        "What the publisher's Update said this revision changed, by language (its summaryMap; `und` for a summary without a language); null when it said nothing",
    }),
  })
  .openapi("CatalogRevision");

const list = createRoute({
  method: "get",
  path: "/catalog",
  summary: "Courses received from the actors this node follows",
  request: {
    query: z.object({
      q: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: "Words to find in title, summary or tags" }),
      actor: z.string().url().optional(),
      teacher: z.string().max(200).optional().openapi({
        description:
          "Courses of a teacher (a Person, not an institution) whose handle or name holds this text, e.g. marie or marie@univ.example (see GET /catalog/teachers)",
      }),
      institution: z
        .string()
        .max(253)
        .optional()
        .openapi({ description: "A server's host (e.g. courses.univ.example): its courses" }),
      tag: z.string().optional(),
      language: z.string().max(20).optional().openapi({ description: "e.g. fr" }),
      moodle: z
        .string()
        .regex(/^\d+\.\d+$/)
        .optional()
        .openapi({ description: "Only backups made on this Moodle branch or older, e.g. 4.1" }),
      plugin: z
        .string()
        .max(100)
        .optional()
        .openapi({ description: "Only courses needing this plugin, e.g. qtype_stack" }),
      withoutPlugins: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "true: only courses a standard Moodle restores whole" }),
      restorable: z.enum(["true", "false", "site"]).optional().openapi({
        description:
          "true: only courses one of this node's probed Moodle targets can restore faithfully, as GET /catalog/compatibility judges (branch, plugins and their versions, size); site (a Moodle site's token): only those its own target can",
      }),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0).openapi({
        description: "How many to skip; on large catalogs, follow nextCursor instead",
      }),
      cursor: z.string().max(100).optional().openapi({
        description: "The nextCursor of the page before: the page after it (without offset)",
      }),
    }),
  },
  responses: {
    200: {
      description: "Matching courses, best matches (with q) or newest first",
      content: {
        "application/json": {
          schema: z.object({
            total: z
              .number()
              .int()
              .openapi({
                description: `How many courses match, counted up to ${CATALOG_COUNT_LIMIT}: when more do, total is ${CATALOG_COUNT_LIMIT} and totalExact false ("more than ${CATALOG_COUNT_LIMIT}"); on PostgreSQL a count also stops after reading ${CATALOG_COUNT_BUDGET} candidates, and total is then what it found (totalExact false, "at least")`,
              }),
            totalExact: z.boolean(),
            totalBound: z.enum(["exact", "moreThan", "atLeast"]).openapi({
              description:
                'What total says: "exact"; "moreThan", more courses match than total; "atLeast", total match and more may',
            }),
            nextCursor: z
              .string()
              .optional()
              .openapi({ description: "Asks for the next page (cursor=); absent on the last" }),
            items: z.array(CatalogEntry),
            emptyReason: EmptyReason.optional().openapi({
              description: "When total is 0: why, if known",
            }),
          }),
        },
      },
    },
    ...refusals({
      invalid_request: "restorable=site asked with a token that is not a Moodle site's",
      invalid_cursor: "A cursor this node did not make",
    }),
  },
});

const teachers = createRoute({
  method: "get",
  path: "/catalog/teachers",
  summary: "The teachers (Person actors) whose courses are in the catalog, by name",
  responses: {
    200: {
      description: "Teachers, as this node last saw them",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(
              z.object({
                actor: z.string().url(),
                name: z.string().nullable(),
                handle: z.string().nullable().openapi({ description: "user@host" }),
              }),
            ),
          }),
        },
      },
    },
    ...refusals(),
  },
});

const LineageAncestorSchema = z
  .object({
    object: z.string(),
    revision: z.number().int(),
    title: z.string().nullable(),
    authors: z.array(z.string()),
    institution: z.string().nullable(),
    license: z.string().nullable(),
    url: z.string(),
    known: z.enum(["ours", "catalog", "credited", "unknown"]),
  })
  .openapi("LineageAncestor");

const show = createRoute({
  method: "get",
  path: "/catalog/course",
  summary: "One catalog course with every revision received",
  request: { query: z.object({ object: z.string().url() }) },
  responses: {
    200: {
      description: "The course, its revisions newest first",
      content: {
        "application/json": {
          schema: CatalogEntry.extend({
            withdrawn: z.boolean(),
            revisions: z.array(CatalogRevision),
            lineage: z.array(LineageAncestorSchema).openapi({
              description:
                "Every course this one adapts (derivedFrom, then its source's, ...), the source first, with authors, institution and licence; known says where the node read it (ours, catalog, credited: from the signed credits of a descendant it holds, unknown: nowhere, the chain stops there)",
            }),
          }),
        },
      },
    },
    ...refusals({
      not_in_catalog: "Not in the catalog",
    }),
  },
});

const compatibility = createRoute({
  method: "get",
  path: "/catalog/compatibility",
  summary: "Whether each Moodle target can restore a catalog course faithfully",
  description:
    "Judged on the course's signed manifest and each target's last probe, before anything is downloaded. A target never probed is listed with probed: false (probe it: POST /moodle/targets/{name}/probe). A Moodle site's token sees its own target only.",
  request: {
    query: z.object({
      object: z.string().url(),
      revision: z.coerce
        .number()
        .int()
        .min(1)
        .optional()
        .openapi({ description: "The latest received by default" }),
    }),
  },
  responses: {
    200: {
      description: "One verdict per target, by name",
      content: {
        "application/json": {
          schema: z.object({
            object: z.string().url(),
            revision: z.number().int(),
            targets: z.array(
              z.object({
                target: z.string(),
                probed: z.boolean(),
                probedAt: z.string().optional(),
                restorable: z.boolean().optional(),
                problems: z.array(RestoreProblem).optional(),
              }),
            ),
          }),
        },
      },
    },
    ...refusals({
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
    }),
  },
});

const fetchArchive = createRoute({
  method: "post",
  path: "/catalog/fetch",
  summary: "Bring a catalog course's archive to this node, verified against its signed digest",
  description: "Resumes an earlier interrupted download. Then GET /archives/{sha256} serves it.",
  request: {
    body: jsonBody(
      z.object({
        object: z.string().url(),
        revision: z
          .number()
          .int()
          .min(1)
          .optional()
          .openapi({ description: "An older revision; the latest by default" }),
      }),
    ),
  },
  responses: {
    200: {
      description: "Here, verified",
      content: {
        "application/json": {
          schema: z.object({
            sha256: z.string(),
            size: z.number().int(),
            revision: z.number().int(),
          }),
        },
      },
    },
    ...refusals({
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
      withdrawn: "Withdrawn by its publisher",
      foreign_archive: "Its archive is elsewhere than its publisher",
      download_failed: "The download failed, or the archive did not match its digest",
      not_federated: "The publisher's server is not federated",
    }),
  },
});

const downloadArchive = createRoute({
  method: "get",
  path: "/archives/{sha256}",
  summary: "Download an archive this node holds (Range, If-Range and ETag supported)",
  description:
    "Only an archive the token may read: of a catalog course (received from a peer), or of a course published here that is the token's own, public, or any for an admin token. Uploads waiting to be published and the originals of backups published sanitized are never served.",
  request: { params: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) },
  responses: {
    200: {
      description: "The archive",
      content: {
        "application/vnd.moodle.backup": { schema: binarySchema },
      },
    },
    ...refusals({
      not_found: "Not held here, or not an archive of a course",
      forbidden: "Held, but not for this token: another teacher's course that is not public",
    }),
  },
});

const boost = createRoute({
  method: "post",
  path: "/catalog/boost",
  summary: "Share a public catalog course with your own followers (an Announce)",
  description:
    "The followers' servers fetch the course from its publisher and verify it there; a followers-only course cannot be boosted.",
  request: {
    body: jsonBody(z.object({ object: z.string().url() })),
  },
  responses: {
    202: {
      description: "Announced to the followers of the token's actor",
      content: { "application/json": { schema: z.object({ announce: z.string().url() }) } },
    },
    ...refusals({
      not_in_catalog: "Not in the catalog",
      withdrawn: "Withdrawn by its publisher",
      not_public: "Not public: a followers-only course cannot be boosted",
    }),
  },
});

export function catalogRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, context }: ApiDependencies,
): void {
  app.openapi(fetchArchive, async (c) => {
    const { object, revision } = c.req.valid("json");
    const stored = await fetchCatalogArchive(domainServices(context(c.req.raw)), object, revision);
    return c.json(stored, 200);
  });

  app.openapi(downloadArchive, async (c) => {
    const { sha256 } = c.req.valid("param");
    const { token, actor } = c.get("principal");
    const readable = await mayReadArchive(
      services,
      { actorId: actor.id, admin: token.role === "admin" },
      sha256,
    );
    if (readable && (await services.blobs.has(sha256))) {
      return (await serveBlob(c, services.blobs, sha256, "private")) as never;
    }
    if (!readable && (await services.courses.revisionsWithArchive(sha256)).length > 0) {
      return problem(
        c,
        403,
        "forbidden",
        "This archive is of another teacher's course that is not public; ask its author or an admin.",
      );
    }
    return problem(
      c,
      404,
      "not_found",
      "This node holds no course archive with that digest: fetch a catalog course first (POST /catalog/fetch).",
    );
  });

  app.openapi(list, async (c) => {
    const { withoutPlugins, restorable, ...query } = c.req.valid("query");
    const targets = await targetsOf(c, services);
    if (restorable === "site" && !c.get("principal").site) {
      return problem(
        c,
        400,
        "invalid_request",
        "restorable=site is for a Moodle site's token (its own target); use restorable=true for every target of this node.",
      );
    }
    const sites = probedSites(targets);
    const { total, totalExact, totalBound, nextCursor, entries } =
      await services.catalog.searchCatalog({
        ...query,
        withoutPlugins: withoutPlugins === "true",
        restorableOn: restorable === "true" || restorable === "site" ? sites : undefined,
      });
    const publishers = await services.catalog.catalogPublishers(
      entries.map((entry) => entry.actorUri),
    );
    const filters = activeCatalogFilters({
      ...query,
      withoutPlugins: withoutPlugins === "true",
      restorable: restorable === "true" || restorable === "site",
    });
    const reason = await catalogEmptyReason(services.catalog, filters, total, sites.length);
    return c.json(
      {
        total,
        totalExact,
        totalBound,
        ...(nextCursor ? { nextCursor } : {}),
        items: entries.map((entry) => catalogEntryJson(entry, publishers.get(entry.actorUri))),
        ...(reason
          ? {
              emptyReason: {
                ...reason,
                filters: reason.code === "filtered" ? [...reason.filters] : undefined,
                message: catalogEmptyMessage(reason),
              },
            }
          : {}),
      },
      200,
    );
  });

  app.openapi(teachers, async (c) => {
    const items = (await services.catalog.catalogTeachers()).map(({ uri, name, handle }) => ({
      actor: uri,
      name,
      handle,
    }));
    return c.json({ items }, 200);
  });

  app.openapi(compatibility, async (c) => {
    const { object, revision: number } = c.req.valid("query");
    const entry = await services.catalog.catalogEntry(object);
    if (!entry) {
      return problem(c, 404, "not_in_catalog", `${object} is not in this node's catalog.`);
    }
    const revision = await services.catalog.catalogRevision(object, number ?? entry.revision);
    if (!revision) {
      return problem(
        c,
        404,
        "no_such_revision",
        `This node has not received revision ${number} of ${object}.`,
      );
    }
    const facts = revision.manifest as unknown as CourseManifest satisfies BackupFacts;
    const targets = (await targetsOf(c, services)).map((target) => {
      if (target.siteInfo === null || target.probedAt === null)
        return { target: target.name, probed: false };
      const report = checkCompatibility(facts, target.siteInfo as unknown as MoodleSiteInfo);
      return {
        target: target.name,
        probed: true,
        probedAt: new Date(target.probedAt).toISOString(),
        restorable: report.restorable,
        problems: [...report.problems] as z.infer<typeof RestoreProblem>[],
      };
    });
    return c.json({ object, revision: revision.revision, targets }, 200);
  });

  app.openapi(boost, async (c) => {
    const announce = await boostCourse(
      domainServices(context(c.req.raw)),
      c.get("principal").actor,
      c.req.valid("json").object,
    );
    return c.json({ announce: announce.href }, 202);
  });

  app.openapi(show, async (c) => {
    const { object } = c.req.valid("query");
    const entry = await services.catalog.catalogEntry(object);
    if (!entry) {
      return problem(c, 404, "not_in_catalog", `${object} is not in this node's catalog.`);
    }
    const revisions = (await services.catalog.catalogRevisions(object)).map((revision) => ({
      revision: revision.revision,
      sha256: revision.sha256,
      size: revision.size,
      archive: revision.archiveUrl,
      manifest: revision.manifest,
      publishedAt: new Date(revision.publishedAt).toISOString(),
      receivedAt: new Date(revision.receivedAt).toISOString(),
      changes: revision.changes,
    }));
    const publishers = await services.catalog.catalogPublishers([entry.actorUri]);
    return c.json(
      {
        ...catalogEntryJson(entry, publishers.get(entry.actorUri)),
        withdrawn: entry.deletedAt !== null,
        revisions,
        lineage: (
          await lineageOf(
            { ...services, origin: context(c.req.raw).origin },
            (entry.manifest as unknown as CourseManifest).derivedFrom,
            (entry.manifest as unknown as CourseManifest).credits,
          )
        ).map((ancestor) => ({ ...ancestor, authors: [...ancestor.authors] })),
      },
      200,
    );
  });
}

/** The Moodle targets a caller may see: a Moodle site's token, its own target only. */
async function targetsOf(
  c: Context<ApiEnv>,
  services: ApiDependencies["services"],
): Promise<MoodleTarget[]> {
  const all = await services.moodleTargets.all();
  const { site } = c.get("principal");
  return site ? all.filter((target) => target.id === site.targetId) : all;
}

function publisherJson(actor: PublisherActor | undefined) {
  return { actor: actor?.uri ?? null, name: actor?.name ?? null, handle: actor?.handle ?? null };
}

function catalogEntryJson(entry: CatalogEntryRow, publisher: CatalogPublisher | undefined) {
  const release = (entry.manifest as { moodle?: { release?: unknown } }).moodle?.release;
  return {
    object: entry.objectUri,
    actor: entry.actorUri,
    title: entry.title,
    summary: entry.summary,
    tags: entry.tags,
    revision: entry.revision,
    sha256: entry.sha256,
    size: entry.size,
    archive: entry.archiveUrl,
    ...(typeof release === "string" ? { moodleRelease: release } : {}),
    languages: entry.languages,
    requiredPlugins: entry.requiredPlugins,
    publishedAt: new Date(entry.publishedAt).toISOString(),
    author: publisher?.author ? publisherJson(publisher.author) : null,
    institution: { ...publisherJson(publisher?.institution), host: new URL(entry.actorUri).host },
  };
}
