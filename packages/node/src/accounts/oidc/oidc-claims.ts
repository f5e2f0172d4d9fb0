import { createHash } from "node:crypto";
import { HANDLE } from "../../actors/handle.ts";
import type { WebRole } from "../../vocabulary/account-roles.ts";

/** Which claim values give which role. */
export interface RoleMapping {
  /** A claim name, or a dotted path into nested claims (`realm_access.roles`). */
  readonly claim: string;
  readonly admin: readonly string[];
  readonly teacher: readonly string[];
  /** The role of someone the values name for neither; undefined refuses them. */
  readonly otherwise: WebRole | undefined;
}

export type Claims = Readonly<Record<string, unknown>>;

/**
 * The role these claims give: the highest any of the claim's values maps to, else the
 * mapping's default. Undefined means the person may not sign in.
 */
export function roleFromClaims(claims: Claims, mapping: RoleMapping): WebRole | undefined {
  const values = claimValues(claims, mapping.claim);
  if (values.some((value) => mapping.admin.includes(value))) return "admin";
  if (values.some((value) => mapping.teacher.includes(value))) return "teacher";
  return mapping.otherwise;
}

/**
 * The string values at a claim: one string, or the strings of an array. A name holding
 * dots is first looked up whole, since providers namespace custom claims with URLs
 * (`https://univ.example/roles`); only when no such claim exists is it read as a path.
 */
export function claimValues(claims: Claims, path: string): string[] {
  const found = Object.hasOwn(claims, path)
    ? claims[path]
    : path
        .split(".")
        .reduce<unknown>(
          (node, key) =>
            typeof node === "object" && node !== null && Object.hasOwn(node, key)
              ? (node as Record<string, unknown>)[key]
              : undefined,
          claims,
        );
  const list = Array.isArray(found) ? found : [found];
  return list.filter((value): value is string => typeof value === "string");
}

/**
 * A username and display name for the account a first sign-in makes. The username must
 * be a handle (a teacher's actor is named after it), so it is drawn from
 * preferred_username or the e-mail's local part with other characters replaced, else
 * from the subject's hash. It may be taken already: the account store decides.
 */
export function accountNames(
  issuer: string,
  subject: string,
  claims: Claims,
): { username: string; displayName: string } {
  const candidates = [claims.preferred_username, claims.email]
    .filter((value): value is string => typeof value === "string")
    .map((value) =>
      (value.split("@")[0] ?? "")
        .toLowerCase()
        .replace(/[^a-z0-9_.-]+/g, "-")
        .replace(/^[.-]+/, "")
        .slice(0, 64),
    );
  const username =
    candidates.find((candidate) => HANDLE.test(candidate)) ??
    `user-${createHash("sha256").update(`${issuer} ${subject}`).digest("hex").slice(0, 12)}`;
  const given = [claims.given_name, claims.family_name].filter(
    (part): part is string => typeof part === "string" && part.trim() !== "",
  );
  const displayName =
    (typeof claims.name === "string" && claims.name.trim()) || given.join(" ").trim() || username;
  return { username, displayName };
}
