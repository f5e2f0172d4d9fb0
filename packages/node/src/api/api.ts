import type { Federation, Context as FederationContext } from "@fedify/fedify";
import { OpenAPIHono } from "@hono/zod-openapi";
import { hasControlCharacters } from "../control-characters.ts";
import type { FederationServices } from "../federation/context.ts";
import { problemOf } from "../http/error-problems.ts";
import { checkJsonBody } from "../http/json-body.ts";
import { problem } from "../http/problem.ts";
import type { ApiDependencies } from "./api-dependencies.ts";
import { type ApiEnv, requireToken } from "./auth.ts";
import { catalogRoutes } from "./routes/catalog.ts";
import { courseRoutes } from "./routes/courses.ts";
import { followRoutes } from "./routes/follows.ts";
import { moodleTargetRoutes } from "./routes/moodle-targets.ts";
import { networkSearchRoutes } from "./routes/network-search.ts";
import { peerRoutes } from "./routes/peers.ts";
import { reportRoutes } from "./routes/reports.ts";
import { restoreRoutes } from "./routes/restores.ts";
import { revisionChangesRoutes } from "./routes/revision-changes.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { siteRoutes } from "./routes/site.ts";
import { siteCourseRoutes } from "./routes/site-courses.ts";
import { siteImportRoutes } from "./routes/site-imports.ts";
import { teacherRoutes } from "./routes/teachers.ts";
import { uploadRoutes } from "./routes/uploads.ts";

/**
 * The HTTP API under /api/v1: everything the CLI (and the web interface) does, with
 * token auth, `{error: {code, message}}` errors, and its OpenAPI description at
 * /api/openapi.json generated from the route definitions.
 */
export function createApi(dependencies: ApiDependencies): OpenAPIHono {
  const v1 = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return problem(
          c,
          400,
          "invalid_request",
          "The request does not match the API description.",
          result.error.issues,
        );
      }
    },
  });
  // A 400 that says why, rather than the 500 of a route passing NUL to PostgreSQL.
  v1.use(async (c, next) => {
    if (!hasControlCharacters(new URL(c.req.url))) return next();
    return problem(
      c,
      400,
      "invalid_request",
      "The address holds control characters (a line break, a tab, NUL or the like) in its path or its query; no request to this API needs them: remove them.",
    );
  });
  v1.use(requireToken(dependencies.tokens, dependencies.services, dependencies.moodleSites));
  // Only once the caller is known: an unauthenticated body is never parsed.
  v1.use(checkJsonBody({ whateverItsType: false }));
  uploadRoutes(v1, dependencies);
  courseRoutes(v1, dependencies);
  catalogRoutes(v1, dependencies);
  revisionChangesRoutes(v1, dependencies);
  networkSearchRoutes(v1, dependencies);
  followRoutes(v1, dependencies);
  teacherRoutes(v1, dependencies);
  peerRoutes(v1, dependencies);
  reportRoutes(v1, dependencies);
  moodleTargetRoutes(v1, dependencies);
  restoreRoutes(v1, dependencies);
  ruleRoutes(v1, dependencies);
  settingsRoutes(v1, dependencies);
  siteRoutes(v1, dependencies);
  siteCourseRoutes(v1, dependencies);
  siteImportRoutes(v1, dependencies);

  const api = new OpenAPIHono();
  api.route("/api/v1", v1);
  api.openAPIRegistry.registerComponent("securitySchemes", "token", {
    type: "http",
    scheme: "bearer",
  });
  api.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: { title: "coursefed node API", version: "1" },
    security: [{ token: [] }],
  });
  // A refusal of the domain that a route let through is answered the same on every route.
  api.onError((error, c) => {
    const refused = problemOf(error);
    if (refused) {
      return problem(c, refused.status, refused.code, refused.message, refused.details);
    }
    console.error(error);
    return problem(
      c,
      500,
      "internal",
      "Something went wrong on the node; the error is in its log.",
    );
  });
  return api;
}

export function federationContextFor(
  federation: Federation<FederationServices>,
  services: FederationServices,
): (request: Request) => FederationContext<FederationServices> {
  return (request) => federation.createContext(request, services);
}
