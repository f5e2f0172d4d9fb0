/**
 * What an API token may do: an admin's everything, a teacher's their own courses, a site's
 * what one Moodle site (its target) asks, as the institution or for one of its users.
 */
export const ROLES = ["admin", "teacher", "site"] as const;
export type Role = (typeof ROLES)[number];
