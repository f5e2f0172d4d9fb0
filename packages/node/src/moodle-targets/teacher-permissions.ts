import type { LocalActorRepository } from "../actors/local-actors.ts";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import { CodedError } from "../coded-error.ts";
import {
  type MoodleTarget,
  type MoodleTargetRepository,
  noSuchTargetMessage,
} from "./target-repository.ts";

/** The teachers and the Moodle targets whose permissions are granted. */
export interface TeacherPermissionStores {
  readonly actors: LocalActorRepository;
  readonly moodleTargets: MoodleTargetRepository;
}

export class TeacherPermissionError extends CodedError<
  "NO_SUCH_TARGET" | "NO_SUCH_TEACHER" | "INVALID"
> {
  override readonly name = "TeacherPermissionError";
}

/** An existing Moodle course an admin let one teacher restore into. */
export interface CourseGrant {
  readonly moodleCourseId: number;
  /** The teacher's handle (@handle@host's user part). */
  readonly teacher: string;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

/** Moodle's ids are positive; a category list is at most a few hundred. */
const MAX_TEACHER_CATEGORIES = 500;

async function targetNamed(services: TeacherPermissionStores, name: string): Promise<MoodleTarget> {
  const target = await services.moodleTargets.byName(name);
  if (!target) throw new TeacherPermissionError("NO_SUCH_TARGET", noSuchTargetMessage(name));
  return target;
}

async function teacherNamed(services: TeacherPermissionStores, handle: string) {
  const teacher = await services.actors.byHandle(handle.replace(/^@/, ""));
  if (teacher?.type !== "Person") {
    throw new TeacherPermissionError(
      "NO_SUCH_TEACHER",
      `There is no teacher with the handle ${handle} on this node; see coursefed teachers.`,
    );
  }
  return teacher;
}

function checkMoodleId(id: number, what: string): void {
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new TeacherPermissionError(
      "INVALID",
      `${id} is not a Moodle ${what} id: use a whole number from 1 up, as in the ${what}'s address (?id=...).`,
    );
  }
}

/**
 * Category ids as admins type them, in the console or on the command line: "3, 5", "3 5"
 * or "3,5"; "none" or nothing for none.
 */
export function categoryIdsFrom(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "none") return [];
  const parts = trimmed.split(/[\s,]+/).filter((part) => part !== "");
  return parts.map((part) => {
    if (!/^\d{1,15}$/.test(part) || !Number.isSafeInteger(Number(part)) || Number(part) < 1) {
      throw new TeacherPermissionError(
        "INVALID",
        `"${part}" is not a Moodle category id: give whole numbers from 1 up separated by commas, e.g. 3,5 (or none).`,
      );
    }
    return Number(part);
  });
}

/**
 * Sets the categories of a target where teachers may restore new courses; an empty list
 * closes the target to teachers' new courses (grants and their own courses stay).
 */
export async function setTeacherCategories(
  services: TeacherPermissionStores,
  admin: AdminOnRecord,
  targetName: string,
  categoryIds: readonly number[],
): Promise<MoodleTarget> {
  const target = await targetNamed(services, targetName);
  for (const id of categoryIds) checkMoodleId(id, "category");
  if (categoryIds.length > MAX_TEACHER_CATEGORIES) {
    throw new TeacherPermissionError(
      "INVALID",
      `At most ${MAX_TEACHER_CATEGORIES} categories may be opened to teachers on one target; open a parent category instead.`,
    );
  }
  const saved = await services.moodleTargets.setTeacherCategories(target, categoryIds);
  await admin.auditLog.record(admin.auditActor, "target.teacher-categories", target.name, {
    before: target.teacherCategoryIds,
    after: saved.teacherCategoryIds,
  });
  return saved;
}

/** A change of one teacher's grant of one Moodle course on a target (names as admins type them). */
type GrantChange = (
  services: TeacherPermissionStores,
  admin: AdminOnRecord,
  targetName: string,
  moodleCourseId: number,
  teacherHandle: string,
) => Promise<boolean>;

/** Lets a teacher restore into an existing course; false if they already could by a grant. */
export const grantCourse: GrantChange = (...change) => changeGrant("target.grant", ...change);

/** Takes a grant back; false if the teacher had none for that course. */
export const revokeCourse: GrantChange = (...change) => changeGrant("target.revoke", ...change);

/**
 * Grants or revokes: the target and the teacher found by name, then the change, on the
 * audit log when it changed anything. A grant needs a real course id; revoking one that
 * is not names no grant, and changes nothing.
 */
async function changeGrant(
  action: "target.grant" | "target.revoke",
  services: TeacherPermissionStores,
  admin: AdminOnRecord,
  targetName: string,
  moodleCourseId: number,
  teacherHandle: string,
): Promise<boolean> {
  const target = await targetNamed(services, targetName);
  if (action === "target.grant") checkMoodleId(moodleCourseId, "course");
  const teacher = await teacherNamed(services, teacherHandle);
  const changed =
    action === "target.grant"
      ? await services.moodleTargets.grant(
          target,
          moodleCourseId,
          teacher.id,
          admin.auditActor.name,
        )
      : await services.moodleTargets.revoke(target, moodleCourseId, teacher.id);
  if (changed) {
    await admin.auditLog.record(admin.auditActor, action, target.name, {
      course: moodleCourseId,
      teacher: teacher.handle,
    });
  }
  return changed;
}

/** A target's grants, each with its teacher's handle. */
export async function courseGrants(
  services: TeacherPermissionStores,
  targetName: string,
): Promise<CourseGrant[]> {
  const target = await targetNamed(services, targetName);
  const grants = await services.moodleTargets.grants(target);
  const handles = new Map<number, string>();
  for (const grant of grants) {
    if (handles.has(grant.actorId)) continue;
    handles.set(grant.actorId, (await services.actors.byId(grant.actorId))?.handle ?? "?");
  }
  return grants.map((grant) => ({
    moodleCourseId: grant.moodleCourseId,
    teacher: handles.get(grant.actorId) as string,
    grantedBy: grant.grantedBy,
    grantedAt: grant.grantedAt,
  }));
}
