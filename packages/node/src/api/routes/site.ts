import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import { targetNamed } from "../../moodle-targets/target-service.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin, requireSite } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const Site = z
  .object({
    institution: z.object({ name: z.string(), handle: z.string(), url: z.string().url() }),
    node: z.object({ url: z.string().url(), software: z.string(), version: z.string() }),
    target: z.object({
      name: z.string(),
      driver: z.string(),
      url: z.string(),
      moodleAccess: z.boolean().openapi({
        description:
          "ws: whether the node holds a token of the plugin's service for the site (PUT /site/moodle-access)",
      }),
    }),
    actingAs: z
      .object({ handle: z.string(), name: z.string(), url: z.string().url() })
      .nullable()
      .openapi({
        description: "The teacher the node acts as for the Moodle user named, if one was named",
      }),
  })
  .openapi("Site");

const show = createRoute({
  method: "get",
  path: "/site",
  summary: "What a registered Moodle site is connected to (site token)",
  description:
    "The plugin's settings page checks a registration code with this and shows the institution. With Coursefed-Moodle-User, says which teacher the node acts as for that Moodle user (made at first use when the node allows it).",
  middleware: [requireSite] as const,
  responses: {
    200: { description: "The site's node", content: { "application/json": { schema: Site } } },
    ...refusals({
      invalid_acting_user: "The Coursefed-Moodle-User header cannot be read",
    }),
  },
});

const moodleAccess = createRoute({
  method: "put",
  path: "/site/moodle-access",
  summary: "Give the node the site's web-service token (site token, ws targets)",
  description:
    "The plugin's \"Give the node access\": it makes (or reuses) its service user and token and sends the token here. The node probes the site with it and keeps it only if the probe succeeds; the target's previous token is replaced.",
  middleware: [requireSite] as const,
  request: {
    body: jsonBody(
      z.object({
        token: z.string().min(1).max(256).openapi({
          description: "A token of the local_coursefed plugin's 'coursefed' service",
        }),
      }),
    ),
  },
  responses: {
    200: {
      description: "Taken: the node reached the site with it",
      content: {
        "application/json": {
          schema: z.object({
            target: z.string(),
            release: z.string().openapi({ example: "4.5.6 (Build: 20250811)" }),
          }),
        },
      },
    },
    ...refusals({
      invalid_token: "Not a Moodle web-service token",
      not_ws_target: "The site's target uses the cli driver, which needs no token",
      moodle_access_failed: "The node could not probe the site with the token",
    }),
  },
});

const TargetParam = z.object({ name: z.string() });

const register = createRoute({
  method: "post",
  path: "/moodle/targets/{name}/registration",
  summary: "Issue a Moodle target's registration code (admin)",
  description:
    "A new site token bound to the target, in a code to paste on the local_coursefed plugin's settings page: coursefed-site: + base64url of {v, node, token}, node being the target's node URL if it has one (PUT /moodle/targets/{name}/node-url), else the node's public URL. The target's previous site token stops working at once. Shown this once.",
  middleware: [requireAdmin] as const,
  request: { params: TargetParam },
  responses: {
    201: {
      description: "Issued",
      content: {
        "application/json": {
          schema: z.object({
            target: z.string(),
            code: z.string(),
            replaced: z.boolean().openapi({ description: "Whether a previous code was revoked" }),
          }),
        },
      },
    },
    ...refusals({
      target_not_found: "No such target",
    }),
  },
});

const unregister = createRoute({
  method: "delete",
  path: "/moodle/targets/{name}/registration",
  summary: "Withdraw a Moodle target's registration: its site token stops working (admin)",
  middleware: [requireAdmin] as const,
  request: { params: TargetParam },
  responses: {
    204: { description: "Withdrawn" },
    ...refusals({
      target_not_found: "No such target",
      not_registered: "The target is not registered",
    }),
  },
});

const MoodleUser = z
  .object({
    moodleUserId: z.number().int(),
    username: z.string(),
    fullName: z.string(),
    email: z.string(),
    teacher: z.string().openapi({ description: "The handle of the node's teacher for them" }),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi("MoodleUser");

const listUsers = createRoute({
  method: "get",
  path: "/moodle/targets/{name}/moodle-users",
  summary: "The Moodle users a registered site acted for, and their teachers (admin)",
  middleware: [requireAdmin] as const,
  request: { params: TargetParam },
  responses: {
    200: {
      description: "Users",
      content: { "application/json": { schema: z.object({ items: z.array(MoodleUser) }) } },
    },
    ...refusals({
      target_not_found: "No such target",
    }),
  },
});

const revokeUser = createRoute({
  method: "post",
  path: "/moodle/targets/{name}/moodle-users/{moodleUserId}/revoke",
  summary: "Refuse a Moodle user from now on, rather than act for them as their teacher (admin)",
  middleware: [requireAdmin] as const,
  request: {
    params: TargetParam.extend({ moodleUserId: z.coerce.number().int().positive() }),
  },
  responses: {
    204: { description: "Revoked" },
    ...refusals({
      target_not_found: "No such target",
      moodle_user_not_found: "The node never acted for this Moodle user",
    }),
  },
});

/**
 * Registered Moodle sites: what a site token asks about its own registration (/site,
 * /site/moodle-access), and what admins do with registrations.
 */
export function siteRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, moodleSites, context }: ApiDependencies,
): void {
  app.openapi(show, async (c) => {
    const { site, actor } = c.get("principal");
    // requireSite let only a site through.
    const target = await services.moodleTargets.byId(site?.targetId as number);
    const institution = await services.actors.byIdentifier("institution");
    // The token middleware found the target a moment ago; only its removal since ends here.
    if (!target || !institution) throw new Error("The site's target or the institution is gone.");
    const ctx = context(c.req.raw);
    return c.json(
      {
        institution: {
          name: institution.name,
          handle: institution.handle,
          url: ctx.getActorUri(institution.identifier).href,
        },
        node: {
          url: ctx.origin,
          software: "coursefed",
          version: services.softwareVersion,
        },
        target: {
          name: target.name,
          driver: target.driver,
          url: target.url,
          moodleAccess: target.driver === "ws" && typeof target.settings.token === "string",
        },
        actingAs: site?.moodleUser
          ? {
              handle: actor.handle,
              name: actor.name,
              url: ctx.getActorUri(actor.identifier).href,
            }
          : null,
      },
      200,
    );
  });

  app.openapi(moodleAccess, async (c) => {
    const principal = c.get("principal");
    const target = await services.moodleTargets.byId(principal.site?.targetId as number);
    if (!target) throw new Error("The site's target is gone.");
    const given = await moodleSites.giveMoodleAccess(
      target,
      c.req.valid("json").token,
      auditActorOf(principal),
    );
    return c.json({ target: target.name, release: given.site.release }, 200);
  });

  app.openapi(register, async (c) => {
    const { name } = c.req.valid("param");
    const target = await targetNamed(services.moodleTargets, name);
    const { code, replaced } = await moodleSites.register(target, auditActorOf(c.get("principal")));
    return c.json({ target: target.name, code, replaced }, 201);
  });

  app.openapi(unregister, async (c) => {
    const { name } = c.req.valid("param");
    const target = await targetNamed(services.moodleTargets, name);
    if (!(await moodleSites.unregister(target, auditActorOf(c.get("principal"))))) {
      return problem(c, 404, "not_registered", `The Moodle target ${name} is not registered.`);
    }
    return c.body(null, 204);
  });

  app.openapi(listUsers, async (c) => {
    const { name } = c.req.valid("param");
    const target = await targetNamed(services.moodleTargets, name);
    const handles = new Map((await services.actors.teachers()).map((t) => [t.id, t.handle]));
    const iso = (time: number) => new Date(time).toISOString();
    const items = (await moodleSites.users(target)).map((user) => ({
      moodleUserId: user.moodleUserId,
      username: user.username,
      fullName: user.fullName,
      email: user.email,
      teacher: handles.get(user.actorId) ?? "",
      firstSeenAt: iso(user.createdAt),
      lastSeenAt: iso(user.lastSeenAt),
      revokedAt: user.revokedAt === null ? null : iso(user.revokedAt),
    }));
    return c.json({ items }, 200);
  });

  app.openapi(revokeUser, async (c) => {
    const { name, moodleUserId } = c.req.valid("param");
    const target = await targetNamed(services.moodleTargets, name);
    if (!(await moodleSites.revokeUser(target, moodleUserId, auditActorOf(c.get("principal"))))) {
      return problem(
        c,
        404,
        "moodle_user_not_found",
        `The node never acted for the Moodle user ${moodleUserId} of ${name}.`,
      );
    }
    return c.body(null, 204);
  });
}
