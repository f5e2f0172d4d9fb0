import { AuditLog } from "../../packages/node/src/audit/audit-log.ts";
import type { RestorePerson } from "../../packages/node/src/restores/restore-permissions.ts";
import type { TestNode } from "./test-node.ts";

/**
 * Someone asking a test node for a restore in code, as the API would: an admin acting as
 * the institution by default, or a teacher (their actor) with `teacherActorId`.
 */
export function restorePerson(
  peer: TestNode,
  who: { readonly teacherActorId?: number; readonly name?: string } = {},
): RestorePerson {
  const teacher = who.teacherActorId !== undefined;
  return {
    actorId: who.teacherActorId ?? peer.node.institution.id,
    admin: !teacher,
    auditActor: { kind: "api", name: who.name ?? (teacher ? "test teacher" : "test admin") },
    auditLog: new AuditLog(peer.node.db),
  };
}
