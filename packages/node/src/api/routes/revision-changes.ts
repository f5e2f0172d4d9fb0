import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { catalogChanges } from "../../catalog/revision-changes.ts";
import { ownCourseChanges } from "../../courses/revision-changes.ts";
import { domainServices } from "../../federation/domain-services.ts";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { changesBeforeUpdate } from "../../restores/update-changes.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, mayUseTarget, otherTargetMessage } from "../auth.ts";

const SectionRef = z.object({
  id: z.number().int().nullable(),
  number: z.number().int().nullable(),
  title: z.string(),
});
const ActivityRef = z.object({
  id: z.number().int().nullable(),
  module: z.string().openapi({ description: "quiz, page, forum, ..." }),
  title: z.string(),
});
const SettingChange = z.object({
  key: z.string(),
  old: z.string().nullable(),
  new: z.string().nullable(),
});
const FileChange = z.object({
  component: z.string(),
  filearea: z.string(),
  filepath: z.string(),
  filename: z.string(),
  activity: ActivityRef.nullable(),
  oldHash: z.string().nullable(),
  newHash: z.string().nullable(),
  oldSize: z.number().int().nullable(),
  newSize: z.number().int().nullable(),
});
const Side = z.object({
  sha256: z.string(),
  size: z.number().int(),
  name: z.string(),
  backupDate: z.string().nullable(),
  moodleRelease: z.string(),
  courseFullname: z.string(),
});

/** BackupDiff of @coursefed/mbz, as docs/diff-json.md describes it. */
export const BackupDiff = z
  .object({
    version: z.number().int(),
    from: Side,
    to: Side,
    matchedBy: z.enum(["ids", "names"]),
    unchanged: z.boolean(),
    sections: z.object({
      added: z.array(SectionRef),
      removed: z.array(SectionRef),
      renamed: z.array(SectionRef.extend({ oldTitle: z.string() })),
      moved: z.array(SectionRef.extend({ oldNumber: z.number().int().nullable() })),
    }),
    activities: z.object({
      added: z.array(ActivityRef.extend({ section: SectionRef.nullable() })),
      removed: z.array(ActivityRef.extend({ section: SectionRef.nullable() })),
      renamed: z.array(ActivityRef.extend({ oldTitle: z.string() })),
      moved: z.array(
        ActivityRef.extend({
          fromSection: SectionRef.nullable(),
          toSection: SectionRef.nullable(),
        }),
      ),
    }),
    questions: z.object({
      old: z.number().int(),
      new: z.number().int(),
      byQtype: z.array(
        z.object({ qtype: z.string(), old: z.number().int(), new: z.number().int() }),
      ),
    }),
    files: z.object({
      added: z.array(FileChange),
      removed: z.array(FileChange),
      changed: z.array(FileChange),
    }),
    settings: z.object({ course: z.array(SettingChange), backup: z.array(SettingChange) }),
  })
  .openapi("BackupDiff", {
    description: "What changed from one backup to another (docs/diff-json.md)",
  });

/** The mbz library's types are readonly throughout; the JSON is the same. */
type DiffJson = z.infer<typeof BackupDiff>;

const revisionNumber = z.coerce.number().int().min(1);

const catalogRoute = createRoute({
  method: "get",
  path: "/catalog/changes",
  summary: "What changed between two revisions of a catalog course",
  description:
    "Worked out from the two archives: each is fetched from its publisher (verified against its signed digest) unless this node holds it already, and kept. Sections and activities added, removed, renamed or moved, question counts by type, files by content hash, settings.",
  request: {
    query: z.object({
      object: z.string().url(),
      from: revisionNumber.openapi({ description: "The older revision" }),
      to: revisionNumber.openapi({ description: "The newer revision" }),
    }),
  },
  responses: {
    200: {
      description: "The changes",
      content: {
        "application/json": {
          schema: z.object({
            object: z.string().url(),
            from: z.number().int(),
            to: z.number().int(),
            diff: BackupDiff,
          }),
        },
      },
    },
    ...refusals({
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
      withdrawn: "Withdrawn by its publisher",
      foreign_archive: "Its archive is elsewhere than its publisher",
      invalid_backup: "An archive is not a readable Moodle backup",
      archive_unavailable: "A revision's archive is no longer available from its publisher",
      not_federated: "The publisher's server is not federated",
    }),
  },
});

const courseRoute = createRoute({
  method: "get",
  path: "/courses/{id}/changes",
  summary: "What changed between two revisions of a course published here",
  description:
    "Its author and admins may ask about any of their courses; others about a course they may read (public).",
  request: {
    params: z.object({ id: z.string() }),
    query: z.object({
      from: revisionNumber.openapi({ description: "The older revision" }),
      to: revisionNumber.openapi({ description: "The newer revision" }),
    }),
  },
  responses: {
    200: {
      description: "The changes",
      content: {
        "application/json": {
          schema: z.object({
            course: z.string(),
            from: z.number().int(),
            to: z.number().int(),
            diff: BackupDiff,
          }),
        },
      },
    },
    ...refusals({
      course_not_found: "No such course (or not the caller's to see)",
      no_such_revision: "No such revision",
      archive_missing: "A revision's archive is no longer on this node",
      invalid_backup: "An archive is not a readable Moodle backup",
    }),
  },
});

const updateRoute = createRoute({
  method: "get",
  path: "/restores/changes",
  summary: "What restoring a revision into an existing Moodle course would change there",
  description:
    "For a Moodle course this node restored from the same catalog course: the changes from the revision it holds (the restores' lineage) to the one asked for, worked out from the two archives as GET /catalog/changes does. changes is null when the Moodle course holds another course, none this node restored, or already that revision. Ask it before applying an update.",
  request: {
    query: z.object({
      object: z.string().url(),
      target: z.string().openapi({ description: "The Moodle target's name" }),
      course: revisionNumber.openapi({ description: "The existing Moodle course's id" }),
      revision: revisionNumber.optional().openapi({ description: "The latest by default" }),
    }),
  },
  responses: {
    200: {
      description: "The changes, or null",
      content: {
        "application/json": {
          schema: z.object({
            changes: z
              .object({
                object: z.string().url(),
                from: z.number().int(),
                to: z.number().int(),
                diff: BackupDiff,
              })
              .nullable(),
          }),
        },
      },
    },
    ...refusals({
      target_not_found: "No such target",
      not_in_catalog: "Not in the catalog",
      no_such_revision: "No such revision",
      invalid_backup: "An archive is not a readable Moodle backup",
      archive_unavailable: "A revision's archive is no longer available from its publisher",
      forbidden: "The token may not do this, or it is a Moodle site's asking about another target",
    }),
  },
});

export function revisionChangesRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, context }: ApiDependencies,
): void {
  app.openapi(catalogRoute, async (c) => {
    const { object, from, to } = c.req.valid("query");
    const changes = await catalogChanges(domainServices(context(c.req.raw)), object, from, to);
    return c.json({ ...changes, diff: changes.diff as DiffJson }, 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { object, target, course, revision } = c.req.valid("query");
    const principal = c.get("principal");
    const named = await services.moodleTargets.byName(target);
    if (named && !mayUseTarget(principal, named.id)) {
      return problem(c, 403, "forbidden", otherTargetMessage(principal));
    }
    const changes = await changesBeforeUpdate(
      domainServices(context(c.req.raw)),
      { targetName: target, moodleCourseId: course },
      object,
      revision,
    );
    return c.json({ changes: changes && { ...changes, diff: changes.diff as DiffJson } }, 200);
  });

  app.openapi(courseRoute, async (c) => {
    const { token, actor } = c.get("principal");
    const { from, to } = c.req.valid("query");
    const changes = await ownCourseChanges(
      services,
      { actorId: actor.id, admin: token.role === "admin" },
      c.req.valid("param").id,
      from,
      to,
    );
    return c.json({ ...changes, diff: changes.diff as DiffJson }, 200);
  });
}
