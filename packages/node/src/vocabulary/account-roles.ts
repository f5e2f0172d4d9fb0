/** What a web account may do: each role may also do what the roles below it may. */
export const WEB_ROLES = ["admin", "teacher", "viewer"] as const;
export type WebRole = (typeof WEB_ROLES)[number];

const RANK: Readonly<Record<WebRole, number>> = { viewer: 0, teacher: 1, admin: 2 };

export function hasRole(role: WebRole, atLeast: WebRole): boolean {
  return RANK[role] >= RANK[atLeast];
}
