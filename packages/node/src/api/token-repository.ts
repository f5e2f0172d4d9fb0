import { createHash, randomBytes } from "node:crypto";
import { asc, count, eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { apiTokens, type Role } from "../db/schema.ts";

export type ApiToken = typeof apiTokens.$inferSelect;

/** API tokens: made here, shown once, kept as a hash. */
export class TokenRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  isEmpty(): boolean {
    const [row] = this.#db.select({ total: count() }).from(apiTokens).all();
    return (row?.total ?? 0) === 0;
  }

  /** Makes a token and returns it in clear: the only time it exists outside the caller. */
  create(name: string, role: Role, actorId: number): { token: string; record: ApiToken } {
    const token = `cf_${randomBytes(32).toString("base64url")}`;
    const record = this.#db
      .insert(apiTokens)
      .values({ name, role, actorId, tokenHash: hashToken(token), createdAt: Date.now() })
      .returning()
      .get();
    return { token, record };
  }

  /** Every token's record (never the token itself), oldest first. */
  all(): ApiToken[] {
    return this.#db.select().from(apiTokens).orderBy(asc(apiTokens.id)).all();
  }

  /** Deletes the token: it is refused from now on. Returns its record, if there was one. */
  revoke(id: number): ApiToken | undefined {
    return this.#db.delete(apiTokens).where(eq(apiTokens.id, id)).returning().get();
  }

  /** The token's record, if the token is valid; notes its use. */
  authenticate(token: string): ApiToken | undefined {
    return this.#db
      .update(apiTokens)
      .set({ lastUsedAt: Date.now() })
      .where(eq(apiTokens.tokenHash, hashToken(token)))
      .returning()
      .get();
  }
}

// Tokens are 256 random bits: a plain hash is enough, no slow KDF is needed.
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
