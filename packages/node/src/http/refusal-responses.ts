import type { ContentfulStatusCode } from "hono/utils/http-status";
import { problemStatus } from "./error-problems.ts";
import { ErrorSchema } from "./problem.ts";

/**
 * The problem codes the API answers itself rather than from a service's error: its token
 * and request checks (auth.ts, api.ts), and a route's own lookups. `moodle_*` stands for
 * the Moodle driver's failures, each its own code (moodle_unreachable, moodle_timeout, ...),
 * all but moodle_not_found answered 502.
 */
const API_PROBLEMS: ReadonlyMap<string, ContentfulStatusCode> = new Map([
  ["unauthorized", 401],
  ["acting_user_not_allowed", 400],
  ["invalid_acting_user", 400],
  ["invalid_json_ld", 400],
  ["not_found", 404],
  ["upload_not_found", 404],
  ["revision_not_found", 404],
  ["restore_not_found", 404],
  ["share_job_not_found", 404],
  ["import_not_found", 404],
  ["grant_not_found", 404],
  ["moodle_user_not_found", 404],
  ["no_such_actor", 404],
  ["not_registered", 404],
  ["other_target", 403],
  ["site_token_required", 403],
  ["moodle_user_required", 403],
  ["moodle_user_refused", 403],
  ["private_course", 409],
  ["gone", 410],
  ["moodle_*", 502],
]);

/** The status the API answers a problem code with, a service's or its own. */
export function problemCodeStatus(code: string): ContentfulStatusCode | undefined {
  return problemStatus(code) ?? API_PROBLEMS.get(code);
}

/** When the Moodle driver's failures (`moodle_*`) are answered. */
export const MOODLE_FAILED =
  "Moodle failed or could not be reached: the code is moodle_ + the driver's reason (moodle_unreachable, moodle_misconfigured, ...), details.log what Moodle printed";

/** What every route of /api/v1 may answer, since each asks for a token of some role. */
const TOKEN_REFUSALS = {
  unauthorized: "No valid token",
  forbidden: "The token may not do this",
};

/** How the OpenAPI description gives one status of a route's refusals. */
export interface RefusalResponse {
  readonly description: string;
  readonly content: { readonly "application/json": { readonly schema: typeof ErrorSchema } };
}

/**
 * A route's error responses for its OpenAPI description, from the refusals it can answer:
 * each problem code with when it happens. The statuses come from the error-problems table
 * (or API_PROBLEMS), never from the route, so the description cannot give a refusal
 * another status than the one it is answered with; each status lists its codes, as a
 * program reads them in `error.code`. The token's refusals are every route's.
 */
export function refusals(described: Readonly<Record<string, string>> = {}): {
  readonly [Status in ContentfulStatusCode]?: RefusalResponse;
} {
  const byStatus = new Map<number, string[]>();
  for (const [code, when] of Object.entries({ ...TOKEN_REFUSALS, ...described })) {
    const status = problemCodeStatus(code);
    if (status === undefined) {
      throw new Error(
        `The problem code ${code} has no status: add it to http/error-problems.ts (a service's refusal) or to API_PROBLEMS in http/refusal-responses.ts (the API's own).`,
      );
    }
    byStatus.set(status, [...(byStatus.get(status) ?? []), `${code}: ${when}`]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, lines]) => [
      status,
      { description: lines.join("; "), content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );
}
