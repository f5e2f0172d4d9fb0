import { MAX_COURSES_PER_PAGE, type MoodleSiteInfo } from "@coursefed/moodle";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AdminOnRecord } from "../../audit/audit-log.ts";
import { problem } from "../../http/problem.ts";
import { MOODLE_FAILED, refusals } from "../../http/refusal-responses.ts";
import {
  type ListingViewer,
  targetCategories,
  targetCourses,
} from "../../moodle-targets/target-listing.ts";
import type { MoodleTarget } from "../../moodle-targets/target-repository.ts";
import {
  addTarget,
  editTarget,
  probeTargetNamed,
  removeTarget,
  setTargetNodeUrl,
} from "../../moodle-targets/target-service.ts";
import {
  courseGrants,
  grantCourse,
  revokeCourse,
  setTeacherCategories,
} from "../../moodle-targets/teacher-permissions.ts";
import { MOODLE_DRIVERS } from "../../vocabulary/moodle-drivers.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import {
  type ApiEnv,
  auditActorOf,
  mayUseTarget,
  otherTargetMessage,
  type Principal,
  requireAdmin,
} from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const TargetName = z
  .string()
  .openapi({ description: 'Letters, digits, "_" or "-", e.g. lyon-sciences' });

const Target = z
  .object({
    name: z.string(),
    driver: z.enum(MOODLE_DRIVERS),
    url: z.string().url(),
    defaultCategoryId: z.number().int(),
    teacherCategoryIds: z.array(z.number().int()).openapi({
      description:
        "Where teachers may restore new courses (PUT /moodle/targets/{name}/teachers); none: nowhere",
    }),
    timeoutMs: z.number().int(),
    nodeUrl: z.string().url().nullable().openapi({
      description:
        "The node's address as this site reaches it, for its archive links and registration code; null: the node's public URL",
    }),
    probe: z
      .object({
        version: z.string(),
        release: z.string(),
        branch: z.string(),
        plugins: z.number().int().openapi({ description: "How many plugins are installed" }),
        probedAt: z.string(),
      })
      .nullable()
      .openapi({ description: "What the last probe found; null if never probed" }),
    createdAt: z.string(),
  })
  .openapi("MoodleTarget", {
    description: "A Moodle site this node restores into (its driver's secrets are never shown)",
  });

const NodeUrl = z.string().openapi({
  description:
    "The node's address as this site reaches it, when not the node's public URL (a site inside the institution's network): an http(s) origin without credentials, e.g. http://coursefed.internal:8080. Archive links for this site's restores and its registration code are made with it",
});

const NewTarget = z
  .object({
    name: TargetName,
    driver: z.enum(MOODLE_DRIVERS).openapi({
      description:
        "cli: Moodle on this host, run through its PHP scripts; ws: a remote Moodle with the local_coursefed plugin, over web services",
    }),
    url: z.string().openapi({ description: "The site's address, for course links" }),
    moodleDir: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "cli: the Moodle code directory (holding config.php)" }),
    php: z.string().min(1).optional().openapi({ description: 'cli: the PHP binary ("php")' }),
    runAsUser: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "cli: run PHP as this user, e.g. www-data (the node runs as root)" }),
    token: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "ws: a token of the local_coursefed plugin's service" }),
    defaultCategoryId: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "Where restores go when no category is given; 1 by default" }),
    timeoutMs: z.number().int().min(1000).optional().openapi({
      description: "Longest a probe, restore or backup may take; 30 minutes by default",
    }),
    nodeUrl: NodeUrl.optional(),
  })
  .openapi("NewMoodleTarget");

const TargetChanges = z
  .object({
    url: z
      .string()
      .optional()
      .openapi({ description: "The site's new address (a site that moved)" }),
    moodleDir: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "cli: the Moodle code directory" }),
    php: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .openapi({ description: 'cli: the PHP binary; null: "php"' }),
    runAsUser: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .openapi({ description: "cli: run PHP as this user; null: as the node's own user" }),
    token: z.string().min(1).optional().openapi({
      description: "ws: a new token of the local_coursefed plugin's service (rotated)",
    }),
    defaultCategoryId: z.number().int().min(1).optional(),
    timeoutMs: z.number().int().min(1000).optional(),
    nodeUrl: NodeUrl.nullable().optional(),
  })
  .strict()
  .openapi("MoodleTargetChanges", {
    description: "Only the fields given change; the name and driver stay",
  });

const EditedTarget = Target.extend({
  changed: z
    .array(z.string())
    .openapi({ description: "The fields that changed (none: the target already was so)" }),
}).openapi("EditedMoodleTarget");

const Probe = z
  .object({
    target: z.string(),
    version: z.string().openapi({ example: "2024100706.00" }),
    release: z.string().openapi({ example: "4.5.6 (Build: 20250811)" }),
    branch: z.string().openapi({ example: "4.5" }),
    maxRestoreBytes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The largest backup the site restores; null when unlimited" }),
    plugins: z
      .record(z.string(), z.number())
      .openapi({ description: "Every installed plugin (frankenstyle) with its version" }),
    probedAt: z.string(),
  })
  .openapi("MoodleProbe");

const noSuchTarget = { target_not_found: "No such target" };

const list = createRoute({
  method: "get",
  path: "/moodle/targets",
  summary: "The Moodle sites this node restores into and publishes from (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: "Targets, by name",
      content: { "application/json": { schema: z.object({ items: z.array(Target) }) } },
    },
    ...refusals(),
  },
});

const create = createRoute({
  method: "post",
  path: "/moodle/targets",
  summary: "Add a Moodle site as a target (admin)",
  description:
    "Nothing is asked of the site yet: probe it next (POST /moodle/targets/{name}/probe) to check that the node reaches it.",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(NewTarget),
  },
  responses: {
    201: { description: "Added", content: { "application/json": { schema: Target } } },
    ...refusals({
      invalid_target: "Unusable name or URL, or settings missing (or not for this driver)",
      target_exists: "A target has this name already",
    }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/moodle/targets/{name}",
  summary: "Forget a target, its rules, restore jobs and lineage (admin); the site is untouched",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ name: z.string() }) },
  responses: { 204: { description: "Forgotten" }, ...refusals(noSuchTarget) },
});

const edit = createRoute({
  method: "patch",
  path: "/moodle/targets/{name}",
  summary: "Change a target's address, token, Moodle directory or default category (admin)",
  description:
    "Its rules, restore jobs, lineage, teacher grants and node address stay. A changed connection (url, token, moodleDir, php, runAsUser) is probed first and nothing is saved unless the site answers as the same Moodle site as before (by its site identifier, kept when a site moves): another site is refused, since the target's lineage, rules and grants name courses of its own site; add it as a new target. Audited, without the token.",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ name: z.string() }),
    body: jsonBody(TargetChanges),
  },
  responses: {
    200: {
      description: "The target as it is now",
      content: { "application/json": { schema: EditedTarget } },
    },
    ...refusals({
      ...noSuchTarget,
      invalid_target: "Not an http(s) address, settings of the other driver, or an empty token",
      target_other_site: "The new connection reaches another Moodle site: nothing was changed",
      "moodle_*":
        "The new connection failed its probe (moodle_unreachable, moodle_authentication, ...): nothing was changed",
    }),
  },
});

const probe = createRoute({
  method: "post",
  path: "/moodle/targets/{name}/probe",
  summary: "Ask the site what it runs: Moodle version and every plugin (admin)",
  description:
    "The answer is kept: the compatibility of catalog courses with the target is judged on it.",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: { description: "What the site runs", content: { "application/json": { schema: Probe } } },
    ...refusals({
      ...noSuchTarget,
      "moodle_*": MOODLE_FAILED,
    }),
  },
});

const Category = z
  .object({
    id: z.number().int(),
    name: z.string(),
    path: z.string().openapi({ example: "Sciences / Chimie" }),
    parentId: z.number().int().openapi({ description: "0 for a top-level category" }),
    courseCount: z.number().int(),
    visible: z.boolean().openapi({ description: "false: hidden from students" }),
  })
  .openapi("MoodleCategory", { description: "A category a new course may be restored into" });

const Course = z
  .object({
    id: z.number().int(),
    fullName: z.string(),
    shortName: z.string(),
    categoryId: z.number().int(),
    categoryPath: z.string().openapi({ example: "Sciences / Chimie" }),
    visible: z.boolean(),
  })
  .openapi("MoodleCourse", { description: "An existing course a backup may be restored into" });

/** A listing of a target's categories or courses: what it refuses. */
const LISTING_REFUSALS = {
  ...noSuchTarget,
  "moodle_*":
    "The site could not be listed: moodle_plugin_missing (a ws site's local_coursefed is missing or too old), moodle_authentication (its user may restore nowhere), moodle_unreachable, ...",
};

const categories = createRoute({
  method: "get",
  path: "/moodle/targets/{name}/categories",
  summary: "The categories of a target a new course may be restored into, by name",
  description:
    "As the site lists them (Moodle's order), with their path from the top. The cli driver lists every category; the ws driver those where the plugin's service user may create and restore courses. An admin token (or the target's own site token) gets all of them; a teacher's, only those an admin opened to teachers (PUT /moodle/targets/{name}/teachers), where its restores may go. Kept a minute.",
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: {
      description: "Categories",
      content: {
        "application/json": {
          schema: z.object({
            target: z.string(),
            onlyOpenToTeachers: z.boolean().openapi({
              description: "true: the caller sees only the categories opened to teachers",
            }),
            items: z.array(Category),
          }),
        },
      },
    },
    ...refusals({
      ...LISTING_REFUSALS,
      other_target: "A site token asking about another target",
    }),
  },
});

const courses = createRoute({
  method: "get",
  path: "/moodle/targets/{name}/courses",
  summary: "Search a target's courses by name (admin, or the target's own site)",
  description:
    "The courses whose full or short name holds every word of `search` (case-insensitive), by full name, a page at a time as the catalog pages. The ws driver lists those the plugin's service user may restore into.",
  request: {
    params: z.object({ name: z.string() }),
    query: z.object({
      search: z.string().max(200).optional().openapi({ description: "Words; none: every course" }),
      limit: z.coerce.number().int().min(1).max(MAX_COURSES_PER_PAGE).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: {
      description: "A page of courses, and how many the search finds",
      content: {
        "application/json": {
          schema: z.object({
            target: z.string(),
            total: z.number().int(),
            items: z.array(Course),
          }),
        },
      },
    },
    ...refusals({
      ...LISTING_REFUSALS,
      forbidden: "A teacher's token (teachers restore into the courses granted to them)",
      other_target: "A site token asking about another target",
    }),
  },
});

const CourseGrant = z
  .object({
    courseId: z.number().int().openapi({ description: "The Moodle course's id" }),
    teacher: z.string().openapi({ description: "The teacher's handle" }),
    grantedBy: z.string(),
    grantedAt: z.string(),
  })
  .openapi("MoodleCourseGrant", {
    description: "An existing Moodle course an admin let a teacher restore into",
  });

/** Teachers' categories and grants: what they refuse. */
const PERMISSION_REFUSALS = {
  ...noSuchTarget,
  invalid_request: "Not a Moodle id",
  teacher_not_found: "No such teacher",
};

const setTeachers = createRoute({
  method: "put",
  path: "/moodle/targets/{name}/teachers",
  summary: "Set the categories where teachers may restore new courses on this target (admin)",
  description:
    "Teachers restore new courses only into these categories, and into existing courses only those their own restores created or that an admin granted them (POST /moodle/targets/{name}/grants). An empty list closes the target to teachers' new courses. Audited.",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ name: z.string() }),
    body: jsonBody(z.object({ categoryIds: z.array(z.number().int()).max(500) })),
  },
  responses: {
    200: { description: "The target", content: { "application/json": { schema: Target } } },
    ...refusals(PERMISSION_REFUSALS),
  },
});

const setNodeUrl = createRoute({
  method: "put",
  path: "/moodle/targets/{name}/node-url",
  summary: "Set the node's address as this site reaches it (admin)",
  description:
    "For the links the site downloads archives by, and its next registration code (a code issued before keeps the address it was made with). null: the node's public URL. Audited.",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ name: z.string() }),
    body: jsonBody(z.object({ nodeUrl: NodeUrl.nullable() })),
  },
  responses: {
    200: { description: "The target", content: { "application/json": { schema: Target } } },
    ...refusals({
      ...noSuchTarget,
      invalid_target: "Not an http(s) origin, or one with credentials",
    }),
  },
});

const listGrants = createRoute({
  method: "get",
  path: "/moodle/targets/{name}/grants",
  summary: "The existing courses of this target granted to teachers (admin)",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: {
      description: "Grants, by course",
      content: { "application/json": { schema: z.object({ items: z.array(CourseGrant) }) } },
    },
    ...refusals(PERMISSION_REFUSALS),
  },
});

const addGrant = createRoute({
  method: "post",
  path: "/moodle/targets/{name}/grants",
  summary: "Let a teacher restore into an existing course of this target (admin)",
  description: "Merging into or replacing it still needs the teacher's confirmation. Audited.",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({ name: z.string() }),
    body: jsonBody(
      z.object({
        courseId: z.number().int().openapi({ description: "The Moodle course's id" }),
        teacher: z.string().min(1).openapi({ description: "The teacher's handle" }),
      }),
    ),
  },
  responses: {
    201: { description: "Granted" },
    200: { description: "Granted already" },
    ...refusals(PERMISSION_REFUSALS),
  },
});

const removeGrant = createRoute({
  method: "delete",
  path: "/moodle/targets/{name}/grants/{courseId}/{teacher}",
  summary: "Take back a teacher's grant of an existing course (admin)",
  middleware: [requireAdmin] as const,
  request: {
    params: z.object({
      name: z.string(),
      courseId: z.coerce.number().int(),
      teacher: z.string(),
    }),
  },
  responses: {
    204: { description: "Taken back" },
    ...refusals({
      ...PERMISSION_REFUSALS,
      grant_not_found: "No such grant",
    }),
  },
});

export function moodleTargetRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, audit }: ApiDependencies,
): void {
  app.openapi(list, async (c) =>
    c.json({ items: (await services.moodleTargets.all()).map(targetJson) }, 200),
  );

  const admin = (c: Context<ApiEnv>): AdminOnRecord => ({
    auditActor: auditActorOf(c.get("principal")),
    auditLog: audit,
  });

  app.openapi(create, async (c) => {
    const target = await addTarget(services.moodleTargets, admin(c), c.req.valid("json"));
    return c.json(targetJson(target), 201);
  });

  app.openapi(edit, async (c) => {
    const { saved, changed } = await editTarget(
      services.moodleTargets,
      admin(c),
      c.req.valid("param").name,
      c.req.valid("json"),
    );
    return c.json({ ...targetJson(saved), changed }, 200);
  });

  app.openapi(remove, async (c) => {
    await removeTarget(services.moodleTargets, admin(c), c.req.valid("param").name);
    return c.body(null, 204);
  });

  app.openapi(setTeachers, async (c) => {
    const target = await setTeacherCategories(
      services,
      admin(c),
      c.req.valid("param").name,
      c.req.valid("json").categoryIds,
    );
    return c.json(targetJson(target), 200);
  });

  app.openapi(setNodeUrl, async (c) => {
    const target = await setTargetNodeUrl(
      services.moodleTargets,
      admin(c),
      c.req.valid("param").name,
      c.req.valid("json").nodeUrl,
    );
    return c.json(targetJson(target), 200);
  });

  app.openapi(listGrants, async (c) => {
    const grants = await courseGrants(services, c.req.valid("param").name);
    const items = grants.map((grant) => ({
      courseId: grant.moodleCourseId,
      teacher: grant.teacher,
      grantedBy: grant.grantedBy,
      grantedAt: new Date(grant.grantedAt).toISOString(),
    }));
    return c.json({ items }, 200);
  });

  app.openapi(addGrant, async (c) => {
    const { courseId, teacher } = c.req.valid("json");
    const added = await grantCourse(
      services,
      admin(c),
      c.req.valid("param").name,
      courseId,
      teacher,
    );
    return c.body(null, added ? 201 : 200);
  });

  app.openapi(removeGrant, async (c) => {
    const { name, courseId, teacher } = c.req.valid("param");
    if (!(await revokeCourse(services, admin(c), name, courseId, teacher))) {
      return problem(
        c,
        404,
        "grant_not_found",
        `${teacher} has no grant of course ${courseId} on ${name}.`,
      );
    }
    return c.body(null, 204);
  });

  app.openapi(categories, async (c) => {
    const { name } = c.req.valid("param");
    const principal = c.get("principal");
    const refusal = await otherTargetRefusal(c, services.moodleTargets, principal, name);
    if (refusal) return refusal;
    const listed = await targetCategories(
      services.moodleTargets,
      name,
      listingViewerOf(principal),
      c.req.raw.signal,
    );
    return c.json(
      {
        target: listed.target.name,
        onlyOpenToTeachers: listed.onlyOpenToTeachers,
        items: [...listed.categories],
      },
      200,
    );
  });

  app.openapi(courses, async (c) => {
    const { name } = c.req.valid("param");
    const { search, limit, offset } = c.req.valid("query");
    const principal = c.get("principal");
    const refusal = await otherTargetRefusal(c, services.moodleTargets, principal, name);
    if (refusal) return refusal;
    const { target, page } = await targetCourses(
      services.moodleTargets,
      name,
      listingViewerOf(principal),
      { search, limit, offset, signal: c.req.raw.signal },
    );
    return c.json({ target: target.name, total: page.total, items: [...page.courses] }, 200);
  });

  app.openapi(probe, async (c) => {
    const { saved, info } = await probeTargetNamed(
      services.moodleTargets,
      admin(c),
      c.req.valid("param").name,
    );
    return c.json(
      {
        target: saved.name,
        version: info.version,
        release: info.release,
        branch: info.branch,
        maxRestoreBytes: info.maxRestoreBytes,
        plugins: { ...info.plugins },
        probedAt: new Date(saved.probedAt ?? Date.now()).toISOString(),
      },
      200,
    );
  });
}

/** An admin, or a site about its own target, sees what the site lists; a teacher, less. */
function listingViewerOf(principal: Principal): ListingViewer {
  return { seesWholeSite: principal.token.role === "admin" || principal.site !== undefined };
}

/** A site token asking about a target that is not its own: the 403 that says so. */
async function otherTargetRefusal(
  c: Context,
  targets: ApiDependencies["services"]["moodleTargets"],
  principal: Principal,
  name: string,
) {
  if (!principal.site) return undefined;
  const target = await targets.byName(name);
  if (target && mayUseTarget(principal, target.id)) return undefined;
  return problem(c, 403, "other_target", otherTargetMessage(principal));
}

function targetJson(target: MoodleTarget) {
  const site = target.siteInfo as MoodleSiteInfo | null;
  return {
    name: target.name,
    driver: target.driver,
    url: target.url,
    defaultCategoryId: target.defaultCategoryId,
    teacherCategoryIds: target.teacherCategoryIds,
    timeoutMs: target.timeoutMs,
    nodeUrl: target.nodeUrl,
    probe:
      site && target.probedAt !== null
        ? {
            version: site.version,
            release: site.release,
            branch: site.branch,
            plugins: Object.keys(site.plugins).length,
            probedAt: new Date(target.probedAt).toISOString(),
          }
        : null,
    createdAt: new Date(target.createdAt).toISOString(),
  };
}
