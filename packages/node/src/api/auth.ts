import type { MiddlewareHandler } from "hono";
import type { LocalActor } from "../actors/local-actors.ts";
import type { AuditActor } from "../audit/audit-log.ts";
import type { FederationServices } from "../federation/context.ts";
import { problem } from "../http/problem.ts";
import {
  ACTING_USER_HEADER,
  ActingUserError,
  type MoodleUser,
  parseActingUser,
} from "../moodle-sites/acting-user.ts";
import { type MoodleSiteService, MoodleUserRefused } from "../moodle-sites/moodle-site-service.ts";
import type { ApiToken, TokenRepository } from "../tokens/token-repository.ts";

/**
 * A registered Moodle site calling with its site token (role "site"): the one Moodle
 * target it speaks for and, when it named one, the Moodle user the request is for.
 */
export interface SitePrincipal {
  readonly targetId: number;
  readonly targetName: string;
  /**
   * The Moodle user the site acts for (Coursefed-Moodle-User); `actor` is then their
   * teacher. Moodle already checked this user's capabilities for what they ask.
   */
  readonly moodleUser?: MoodleUser;
}

/**
 * Who is calling: the token and the actor it acts as; `site` for a Moodle site's token.
 *
 * Routes read it as `c.get("principal")`. For a site (`principal.site` set):
 * - confine what it asks to its own target: refuse any other with `mayUseTarget` (403);
 * - `actor` is the teacher of `site.moodleUser` when the site named one, else the
 *   institution; without a Moodle user this middleware already refused every write
 *   outside /api/v1/site/;
 * - `token.role` is "site": `requireAdmin` refuses it, as admin endpoints must;
 * - the node trusts the site for WHICH Moodle course or category its user may act on
 *   (the plugin checked Moodle's capabilities), so a teacher's category grants are not
 *   asked of a site principal with a Moodle user (see docs/security.md).
 */
export interface Principal {
  readonly token: ApiToken;
  readonly actor: LocalActor;
  readonly site?: SitePrincipal;
}

export type ApiEnv = { Variables: { principal: Principal } };

/**
 * Requires `Authorization: Bearer <token>` on every API route, and reads the
 * Coursefed-Moodle-User header, which only a site token may send.
 */
export function requireToken(
  tokens: TokenRepository,
  services: FederationServices,
  moodleSites: MoodleSiteService,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match ? await tokens.authenticate(match[1] as string) : undefined;
    const actor = token ? await services.actors.byId(token.actorId) : undefined;
    const target =
      token?.role === "site" && token.moodleTargetId !== null
        ? await services.moodleTargets.byId(token.moodleTargetId)
        : undefined;
    if (!token || !actor || (token.role === "site" && !target)) {
      return problem(
        c,
        401,
        "unauthorized",
        match
          ? "This token is not valid (revoked, or mistyped)."
          : "Send an API token: Authorization: Bearer <token>.",
      );
    }
    const actingUser = c.req.header(ACTING_USER_HEADER);
    if (!target) {
      if (actingUser !== undefined) {
        return problem(
          c,
          400,
          "acting_user_not_allowed",
          `Only a Moodle site's token may name a Moodle user (${ACTING_USER_HEADER}); this is a ${token.role} token: remove the header.`,
        );
      }
      c.set("principal", { token, actor });
      return next();
    }
    const site = { targetId: target.id, targetName: target.name };
    if (actingUser === undefined) {
      const path = new URL(c.req.url).pathname;
      if (!["GET", "HEAD"].includes(c.req.method) && !path.startsWith("/api/v1/site/")) {
        return problem(
          c,
          403,
          "forbidden",
          `A Moodle site's token acting as the institution may only read, apart from /api/v1/site/: name the Moodle user this is done for in ${ACTING_USER_HEADER}.`,
        );
      }
      c.set("principal", { token, actor, site });
      return next();
    }
    try {
      const moodleUser = parseActingUser(actingUser);
      const teacher = await moodleSites.actingTeacher(target, moodleUser, {
        kind: "api",
        name: token.name,
      });
      c.set("principal", { token, actor: teacher, site: { ...site, moodleUser } });
    } catch (error) {
      if (error instanceof ActingUserError) {
        return problem(c, 400, "invalid_acting_user", error.message);
      }
      if (error instanceof MoodleUserRefused) {
        return problem(c, 403, "moodle_user_refused", error.message);
      }
      throw error;
    }
    return next();
  };
}

/** The caller as the audit log names it: the token's name, and a site's Moodle user. */
export function auditActorOf(principal: Principal): AuditActor {
  const user = principal.site?.moodleUser;
  return {
    kind: "api",
    name: user ? `${principal.token.name} (Moodle user ${user.username})` : principal.token.name,
  };
}

/** Refuses a caller whose role is not admin. */
export const requireAdmin: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.get("principal").token.role !== "admin") {
    return problem(c, 403, "forbidden", "Only an admin token may do this.");
  }
  await next();
};

/** Refuses a caller that is not a registered Moodle site (the /site/* endpoints). */
export const requireSite: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (!c.get("principal").site) {
    return problem(
      c,
      403,
      "forbidden",
      "Only a Moodle site's token (from a registration code) may do this.",
    );
  }
  await next();
};

/**
 * Whether the caller may act on the Moodle target `targetId`: any for admins and
 * teachers (their own rules apply), only its own for a site.
 */
export function mayUseTarget(principal: Principal, targetId: number): boolean {
  return !principal.site || principal.site.targetId === targetId;
}

/** The message of a site's refusal to touch another target, for a 403. */
export function otherTargetMessage(principal: Principal): string {
  return `This Moodle site's token may only act on its own Moodle target "${principal.site?.targetName}".`;
}
