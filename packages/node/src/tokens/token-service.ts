import type { LocalActor } from "../actors/local-actors.ts";
import type { AdminOnRecord } from "../audit/audit-log.ts";
import { CodedError } from "../coded-error.ts";
import type { ApiToken, TokenRepository } from "./token-repository.ts";

export class TokenError extends CodedError<"NOT_FOUND"> {
  override readonly name = "TokenError";
}

/**
 * Makes a token that acts as `actor`, on the audit log, and returns it in clear: the
 * institution's tokens are admin tokens, a teacher's act as that teacher only.
 */
export async function createToken(
  tokens: TokenRepository,
  admin: AdminOnRecord,
  name: string,
  actor: LocalActor,
): Promise<string> {
  const role = actor.type === "Organization" ? "admin" : "teacher";
  const { token } = await tokens.create(name, role, actor.id);
  await admin.auditLog.record(admin.auditActor, "token.create", name, {
    role,
    actor: actor.handle,
  });
  return token;
}

/** Revokes a token, on the audit log; a TokenError NOT_FOUND if there is none of that id. */
export async function revokeToken(
  tokens: TokenRepository,
  admin: AdminOnRecord,
  id: number,
): Promise<ApiToken> {
  const revoked = Number.isSafeInteger(id) ? await tokens.revoke(id) : undefined;
  if (!revoked) throw new TokenError("NOT_FOUND", `There is no token ${id}.`);
  await admin.auditLog.record(admin.auditActor, "token.revoke", revoked.name, {
    role: revoked.role,
  });
  return revoked;
}
