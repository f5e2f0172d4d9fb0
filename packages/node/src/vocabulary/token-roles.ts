/** What an API token may do: an admin's everything, a teacher's their own courses. */
export const ROLES = ["admin", "teacher"] as const;
export type Role = (typeof ROLES)[number];
