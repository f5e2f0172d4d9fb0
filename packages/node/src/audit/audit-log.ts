import { count, desc } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { auditLog } from "../db/schema.postgres.ts";
import type { AuditActorKind } from "../vocabulary/audit-actors.ts";

/**
 * Every admin action recorded, from the web pages and the API alike, and what admins and
 * teachers do across the Moodle boundary (restores asked for or refused, overrides,
 * confirmed merges and replaces, teachers' permissions).
 */
export const AUDIT_ACTIONS = [
  "follow-request.accept",
  "follow-request.reject",
  "target.add",
  "target.probe",
  "target.remove",
  "target.edit",
  "target.teacher-categories",
  "target.node-url",
  "target.grant",
  "target.revoke",
  "restore.request",
  "restore.refuse",
  "restore.override",
  "restore.confirm",
  "rule.add",
  "rule.remove",
  "teacher.add",
  "site.register",
  "site.unregister",
  "site.moodle-access",
  "site.teacher-add",
  "site.user-revoke",
  "account.add",
  "account.role",
  "account.reset-password",
  "account.remove",
  "account.disable",
  "account.enable",
  "token.create",
  "token.revoke",
  "settings.federation",
  "settings.auto-accept",
  "settings.reset",
  "settings.moodle-users",
  "report.send",
  "report.answer",
  "report.resolve",
  "settings.network-search",
  "settings.logo",
  "settings.logo-removed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = Omit<typeof auditLog.$inferSelect, "action"> & { action: AuditAction };

/** Who did it: a web account (its username) or an API token (its name). */
export interface AuditActor {
  readonly kind: AuditActorKind;
  readonly name: string;
}

/**
 * The admin acting, as the audit log names them, and the log their action goes on: a
 * service that changes what the node does takes it, so that the web and the API record
 * the same action the same way.
 */
export interface AdminOnRecord {
  readonly auditActor: AuditActor;
  readonly auditLog: AuditLog;
}

/** The audit log of admin actions: appended to, read newest first, never changed. */
export class AuditLog {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async record(
    by: AuditActor,
    action: AuditAction,
    target: string | null,
    details: Record<string, unknown> | null = null,
  ): Promise<void> {
    const { auditLog } = this.#db.tables;
    await this.#db
      .insert(auditLog)
      .values({ at: Date.now(), byKind: by.kind, byName: by.name, action, target, details });
  }

  /** A page of entries, newest first, and how many there are in all. */
  async page(options: {
    limit: number;
    offset: number;
  }): Promise<{ entries: AuditEntry[]; total: number }> {
    const { auditLog } = this.#db.tables;
    const entries = (await this.#db
      .select()
      .from(auditLog)
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(options.limit)
      .offset(options.offset)) as AuditEntry[];
    const [row] = await this.#db.select({ total: count() }).from(auditLog);
    return { entries, total: row?.total ?? 0 };
  }
}
