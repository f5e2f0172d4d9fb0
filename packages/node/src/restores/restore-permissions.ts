import type { RestoreDestination } from "@coursefed/moodle";
import type { AuditActor, AuditLog } from "../audit/audit-log.ts";
import type { CatalogRepository } from "../catalog/catalog-repository.ts";
import type { MoodleTarget, MoodleTargetRepository } from "../moodle-targets/target-repository.ts";
import type { RestoreRepository } from "./restore-repository.ts";

/** What deciding who may restore over a Moodle course looks at. */
export interface RestorePermissionStores {
  readonly catalog: CatalogRepository;
  readonly moodleTargets: MoodleTargetRepository;
  readonly restores: RestoreRepository;
}

/**
 * A person asking for a restore, from the web or the API: their local actor (a teacher's
 * Person, or the institution for an admin), whether they are an admin, and how the audit
 * log names them.
 */
export interface RestorePerson {
  readonly actorId: number;
  readonly admin: boolean;
  readonly auditActor: AuditActor;
  readonly auditLog: AuditLog;
  /**
   * A Moodle site (its site token, acting for one of its users) asks, and it checked the
   * user's Moodle capabilities on the destination: the site, not the node's teacher
   * grants, decides which of its own categories and courses they may restore into.
   */
  readonly vouchedBySite?: boolean | undefined;
}

/** Why a person may not restore as asked; undefined when they may. */
export type RestoreRefusal =
  | { readonly code: "NOT_PERMITTED"; readonly message: string }
  | { readonly code: "OVERRIDE_NOT_PERMITTED"; readonly message: string }
  | { readonly code: "NEEDS_CONFIRMATION"; readonly message: string };

/** A Moodle course as people know it: its id, and its name when this node can tell. */
export interface MoodleCourseLabel {
  readonly id: number;
  readonly name?: string | undefined;
}

/**
 * What this node knows a Moodle course by: the drivers cannot ask Moodle for a course's
 * name, but a course this node restored was named after its catalog title.
 */
export async function moodleCourseLabel(
  services: RestorePermissionStores,
  target: MoodleTarget,
  moodleCourseId: number,
): Promise<MoodleCourseLabel> {
  const lineage = await services.restores.lineageOf(target.id, moodleCourseId);
  const entry = lineage ? await services.catalog.catalogEntry(lineage.objectUri) : undefined;
  return entry ? { id: moodleCourseId, name: entry.title } : { id: moodleCourseId };
}

export function describeMoodleCourse(label: MoodleCourseLabel, target: MoodleTarget): string {
  return label.name === undefined
    ? `Moodle course ${label.id} on ${target.name}`
    : `Moodle course ${label.id} ("${label.name}") on ${target.name}`;
}

/**
 * The Moodle boundary for people (rules are made by admins and not checked here): only
 * an admin may override the compatibility check; a teacher restores new courses only
 * into the categories an admin opened to teachers on that target, and into existing
 * courses only those their own restores created there or that an admin granted them
 * (unless their Moodle site vouches for them: see RestorePerson.vouchedBySite);
 * restoring into an existing course (merge or replace) is confirmed by whoever asks.
 */
export async function checkRestorePermission(
  services: RestorePermissionStores,
  person: RestorePerson,
  target: MoodleTarget,
  destination: RestoreDestination,
  asked: { readonly override: boolean; readonly confirmed: boolean },
): Promise<RestoreRefusal | undefined> {
  if (asked.override && !person.admin) {
    return {
      code: "OVERRIDE_NOT_PERMITTED",
      message:
        "Only an admin may override the compatibility check; ask one to restore this course, or restore a revision the site can take.",
    };
  }
  if (!person.admin && !person.vouchedBySite) {
    const refusal =
      destination.kind === "new-course"
        ? categoryRefusal(target, destination.categoryId)
        : await existingCourseRefusal(services, person, target, destination.courseId);
    if (refusal) return { code: "NOT_PERMITTED", message: refusal };
  }
  if (destination.kind === "existing-course" && !asked.confirmed) {
    const course = describeMoodleCourse(
      await moodleCourseLabel(services, target, destination.courseId),
      target,
    );
    const effect =
      destination.mode === "replace"
        ? "deletes its contents and puts the backup's in their place"
        : "adds the backup's contents to it";
    return {
      code: "NEEDS_CONFIRMATION",
      message: `Restoring into ${course} ${effect}: confirm that this is the course you mean (confirm: true, or --confirm).`,
    };
  }
  return undefined;
}

function categoryRefusal(target: MoodleTarget, categoryId: number): string | undefined {
  const allowed = target.teacherCategoryIds;
  if (allowed.includes(categoryId)) return undefined;
  return allowed.length === 0
    ? `Teachers may not restore into ${target.name}: an admin has not opened any of its categories to teachers. Ask an admin to (coursefed moodle teachers ${target.name} --categories ...).`
    : `Teachers may not restore into category ${categoryId} of ${target.name}; they may restore new courses into ${allowed.length === 1 ? "category" : "categories"} ${allowed.join(", ")}.`;
}

async function existingCourseRefusal(
  services: RestorePermissionStores,
  person: RestorePerson,
  target: MoodleTarget,
  moodleCourseId: number,
): Promise<string | undefined> {
  if (await services.restores.createdBy(target.id, moodleCourseId, person.actorId)) return;
  if (
    (await services.moodleTargets.grants(target, person.actorId)).some(
      (grant) => grant.moodleCourseId === moodleCourseId,
    )
  )
    return;
  return `You may restore into an existing course of ${target.name} only if your own restore created it or an admin granted it to you; course ${moodleCourseId} is neither. Restore as a new course, or ask an admin to grant it (coursefed moodle grant ${target.name} --course ${moodleCourseId} --teacher HANDLE).`;
}
