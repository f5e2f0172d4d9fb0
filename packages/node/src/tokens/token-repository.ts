import { and, asc, count, eq } from "drizzle-orm";
import { hashBearerSecret, newBearerSecret } from "../bearer-secrets.ts";
import type { NodeDatabase } from "../db/database.ts";
import type { apiTokens } from "../db/schema.postgres.ts";
import type { Role } from "../vocabulary/token-roles.ts";

export type ApiToken = typeof apiTokens.$inferSelect;

/** The database or a transaction of it: what writing a token needs. */
type TokenWriter = Pick<NodeDatabase, "insert" | "delete">;

/** API tokens: made here, shown once, kept as a hash. */
export class TokenRepository {
  readonly #db: NodeDatabase;

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async isEmpty(): Promise<boolean> {
    const { apiTokens } = this.#db.tables;
    const [row] = await this.#db.select({ total: count() }).from(apiTokens);
    return (row?.total ?? 0) === 0;
  }

  /** Makes a token and returns it in clear: the only time it exists outside the caller. */
  async create(
    name: string,
    role: Exclude<Role, "site">,
    actorId: number,
  ): Promise<{ token: string; record: ApiToken }> {
    return await this.#insert(this.#db, { name, role, actorId, moodleTargetId: null });
  }

  /**
   * Makes the site token of a Moodle target, acting as `actorId` (the institution), and
   * deletes the target's previous site tokens in the same transaction: a target has one
   * registration at a time, and issuing a new one is how an old one is withdrawn.
   */
  async replaceSiteToken(
    moodleTargetId: number,
    name: string,
    actorId: number,
  ): Promise<{ token: string; record: ApiToken; revoked: ApiToken[] }> {
    return await this.#db.transaction(async (tx) => {
      const revoked = await this.#deleteSiteTokens(tx, moodleTargetId);
      const made = await this.#insert(tx, { name, role: "site", actorId, moodleTargetId });
      return { ...made, revoked };
    });
  }

  /** Deletes the target's site tokens: the site's registration no longer works. */
  async revokeSiteTokens(moodleTargetId: number): Promise<ApiToken[]> {
    return await this.#deleteSiteTokens(this.#db, moodleTargetId);
  }

  /** The target's site token's record, if the target is registered. */
  async siteTokenOf(moodleTargetId: number): Promise<ApiToken | undefined> {
    const { apiTokens } = this.#db.tables;
    const [record] = await this.#db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.role, "site"), eq(apiTokens.moodleTargetId, moodleTargetId)))
      .limit(1);
    return record;
  }

  async #deleteSiteTokens(db: TokenWriter, moodleTargetId: number): Promise<ApiToken[]> {
    const { apiTokens } = this.#db.tables;
    return await db
      .delete(apiTokens)
      .where(and(eq(apiTokens.role, "site"), eq(apiTokens.moodleTargetId, moodleTargetId)))
      .returning();
  }

  async #insert(
    db: TokenWriter,
    values: Pick<ApiToken, "name" | "role" | "actorId" | "moodleTargetId">,
  ): Promise<{ token: string; record: ApiToken }> {
    const { apiTokens } = this.#db.tables;
    const token = `cf_${newBearerSecret()}`;
    const [record] = await db
      .insert(apiTokens)
      .values({ ...values, tokenHash: hashBearerSecret(token), createdAt: Date.now() })
      .returning();
    // An insert returns its one row.
    return { token, record: record as ApiToken };
  }

  /** Every token's record (never the token itself), oldest first. */
  async all(): Promise<ApiToken[]> {
    const { apiTokens } = this.#db.tables;
    return await this.#db.select().from(apiTokens).orderBy(asc(apiTokens.id));
  }

  /** Deletes the token: it is refused from now on. Returns its record, if there was one. */
  async revoke(id: number): Promise<ApiToken | undefined> {
    const { apiTokens } = this.#db.tables;
    const [revoked] = await this.#db.delete(apiTokens).where(eq(apiTokens.id, id)).returning();
    return revoked;
  }

  /** The token's record, if the token is valid; notes its use. */
  async authenticate(token: string): Promise<ApiToken | undefined> {
    const { apiTokens } = this.#db.tables;
    const [record] = await this.#db
      .update(apiTokens)
      .set({ lastUsedAt: Date.now() })
      .where(eq(apiTokens.tokenHash, hashBearerSecret(token)))
      .returning();
    return record;
  }
}
