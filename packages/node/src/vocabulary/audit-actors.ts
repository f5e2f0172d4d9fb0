/** Where an admin action recorded in the audit log came from. */
export const AUDIT_ACTORS = ["web", "api"] as const;
export type AuditActorKind = (typeof AUDIT_ACTORS)[number];
