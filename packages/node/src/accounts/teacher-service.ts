import type { LocalActor, LocalActorRepository } from "../actors/local-actors.ts";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import type { TokenRepository } from "../tokens/token-repository.ts";

/** Where adding a teacher writes: their actor, and their first token. */
export interface TeacherStores {
  readonly actors: LocalActorRepository;
  readonly tokens: TokenRepository;
}

/**
 * Adds a teacher: their actor (an ActorError if the handle is taken) with its keys made
 * now, and a token that acts as them, returned in clear; on the audit log.
 */
export async function addTeacher(
  stores: TeacherStores,
  admin: AdminOnRecord,
  handle: string,
  name: string,
): Promise<{ teacher: LocalActor; token: string }> {
  const teacher = await stores.actors.createTeacher(handle, name);
  await stores.actors.keyPairs(teacher);
  const { token } = await stores.tokens.create(`teacher ${handle}`, "teacher", teacher.id);
  await admin.auditLog.record(admin.auditActor, "teacher.add", handle, { name });
  return { teacher, token };
}
