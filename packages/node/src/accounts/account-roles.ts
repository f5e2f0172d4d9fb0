import type { WebRole } from "../db/schema.ts";

/** Each role may do what the roles below it may. */
const RANK: Readonly<Record<WebRole, number>> = { viewer: 0, teacher: 1, admin: 2 };

export function hasRole(role: WebRole, atLeast: WebRole): boolean {
  return RANK[role] >= RANK[atLeast];
}
