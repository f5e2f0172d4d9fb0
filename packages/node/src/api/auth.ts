import type { MiddlewareHandler } from "hono";
import type { LocalActor } from "../actors/local-actors.ts";
import type { AuditActor } from "../audit/audit-log.ts";
import type { FederationServices } from "../federation/context.ts";
import { problem } from "../http/problem.ts";
import type { ApiToken, TokenRepository } from "../tokens/token-repository.ts";

/** Who is calling: the token and the actor it acts as. */
export interface Principal {
  readonly token: ApiToken;
  readonly actor: LocalActor;
}

export type ApiEnv = { Variables: { principal: Principal } };

/** Requires `Authorization: Bearer <token>` on every API route. */
export function requireToken(
  tokens: TokenRepository,
  services: FederationServices,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match ? await tokens.authenticate(match[1] as string) : undefined;
    const actor = token ? await services.actors.byId(token.actorId) : undefined;
    if (!token || !actor) {
      return problem(
        c,
        401,
        "unauthorized",
        match
          ? "This token is not valid (revoked, or mistyped)."
          : "Send an API token: Authorization: Bearer <token>.",
      );
    }
    c.set("principal", { token, actor });
    await next();
  };
}

/** The caller as the audit log names it: the token's name. */
export function auditActorOf(principal: Principal): AuditActor {
  return { kind: "api", name: principal.token.name };
}

/** Refuses a caller whose role is not admin. */
export const requireAdmin: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.get("principal").token.role !== "admin") {
    return problem(c, 403, "forbidden", "Only an admin token may do this.");
  }
  await next();
};
