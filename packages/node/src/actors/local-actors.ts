import type { JsonWebKey, webcrypto } from "node:crypto";
import { and, count, countDistinct, eq, gte, isNull, ne } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { localActors } from "../db/schema.postgres.ts";
import { HANDLE } from "./handle.ts";

export type LocalActor = typeof localActors.$inferSelect;

const ALGORITHMS = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
type KeyAlgorithm = (typeof ALGORITHMS)[number];

/**
 * New RSA keys are 2048 bits with SHA-256, the size Mastodon makes for its accounts: each
 * delivery of a fan-out needs its own signature, and a 4096-bit one costs five times the
 * CPU (1.6 s per 1,000 here against 0.3 s). Keys of either size, stored by earlier
 * versions, still load: they are made, stored and read in the form Fedify's helpers use.
 */
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

function generateKeyPair(algorithm: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  const params =
    algorithm === "Ed25519"
      ? { name: "Ed25519" }
      : { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
  return crypto.subtle.generateKey(params, true, [
    "sign",
    "verify",
  ]) as Promise<webcrypto.CryptoKeyPair>;
}

async function exportJwk(key: webcrypto.CryptoKey): Promise<JsonWebKey> {
  const jwk = await crypto.subtle.exportKey("jwk", key);
  // Fedify's form, which earlier versions stored: the curve named as the algorithm too.
  if (jwk.crv === "Ed25519") jwk.alg = "Ed25519";
  return jwk as JsonWebKey;
}

function importJwk(jwk: JsonWebKey, type: "public" | "private"): Promise<webcrypto.CryptoKey> {
  const usages: webcrypto.KeyUsage[] = type === "public" ? ["verify"] : ["sign"];
  if (jwk.kty === "RSA" && jwk.alg === "RS256") {
    return crypto.subtle.importKey("jwk", jwk, RSA, true, usages);
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    return crypto.subtle.importKey("jwk", jwk, "Ed25519", true, usages);
  }
  throw new ActorError(
    `A stored ${type} key of an actor is neither RS256 nor Ed25519 (kty ${jwk.kty}); the actor_keys table holds a key this node cannot use: delete that row and a new key is made.`,
  );
}

export class ActorError extends Error {
  override readonly name = "ActorError";
}

/** The actors this node speaks for, and their keys. */
export class LocalActorRepository {
  readonly #db: NodeDatabase;
  readonly #keyPairs = new Map<number, Promise<webcrypto.CryptoKeyPair[]>>();

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async byIdentifier(identifier: string): Promise<LocalActor | undefined> {
    const { localActors } = this.#db.tables;
    const [actor] = await this.#db
      .select()
      .from(localActors)
      .where(eq(localActors.identifier, identifier))
      .limit(1);
    return actor;
  }

  async byId(id: number): Promise<LocalActor | undefined> {
    const { localActors } = this.#db.tables;
    const [actor] = await this.#db
      .select()
      .from(localActors)
      .where(eq(localActors.id, id))
      .limit(1);
    return actor;
  }

  async byHandle(handle: string): Promise<LocalActor | undefined> {
    const { localActors } = this.#db.tables;
    const [actor] = await this.#db
      .select()
      .from(localActors)
      .where(eq(localActors.handle, handle))
      .limit(1);
    return actor;
  }

  /**
   * Creates the institution actor on first start, or brings its handle and name in line
   * with the configuration. Its identifier never changes, so its URL stays valid.
   */
  async ensureInstitution(handle: string, name: string): Promise<LocalActor> {
    const { localActors } = this.#db.tables;
    const existing =
      (await this.byIdentifier("institution")) ?? (await this.#createInstitution(handle, name));
    if (existing.handle === handle && existing.name === name) return existing;
    const [updated] = await this.#db
      .update(localActors)
      .set({ handle, name })
      .where(eq(localActors.id, existing.id))
      .returning();
    return updated as LocalActor;
  }

  /**
   * Several processes of one node may start together on the same database: the first
   * insert makes the institution, the others find it. No conflict target: with one,
   * PostgreSQL would still raise when the other process's row takes the handle first.
   */
  async #createInstitution(handle: string, name: string): Promise<LocalActor> {
    const { localActors } = this.#db.tables;
    await this.#db
      .insert(localActors)
      .values({
        identifier: "institution",
        handle,
        type: "Organization",
        name,
        createdAt: Date.now(),
      })
      .onConflictDoNothing();
    const institution = await this.byIdentifier("institution");
    if (!institution) throw new ActorError(`The handle "${handle}" is taken.`);
    return institution;
  }

  /**
   * A teacher account: a Person whose followers, like the institution's, need approval
   * (by the teacher, or an admin), so that followers-only means followers someone chose.
   */
  async createTeacher(handle: string, name: string): Promise<LocalActor> {
    if (!HANDLE.test(handle)) {
      throw new ActorError(
        `"${handle}" is not a usable handle; use letters, digits, "_", "-" or "." (at most 64).`,
      );
    }
    if (await this.byHandle(handle)) throw new ActorError(`The handle "${handle}" is taken.`);
    const { localActors } = this.#db.tables;
    const [teacher] = await this.#db
      .insert(localActors)
      .values({
        identifier: crypto.randomUUID(),
        handle,
        type: "Person",
        name,
        createdAt: Date.now(),
      })
      .returning();
    return teacher as LocalActor;
  }

  async all(): Promise<LocalActor[]> {
    const { localActors } = this.#db.tables;
    return await this.#db.select().from(localActors);
  }

  async teachers(): Promise<LocalActor[]> {
    const { localActors } = this.#db.tables;
    return await this.#db.select().from(localActors).where(eq(localActors.type, "Person"));
  }

  /**
   * What NodeInfo reports: the actors (the institution and its teachers), those that
   * published a revision within the last 30 and 180 days (the only activity of a local
   * actor the node sees: no one reads or posts anything else here), and the courses
   * published and not withdrawn, the private ones apart (they are nobody's posts but
   * their author's).
   */
  async usage(now: number): Promise<{
    total: number;
    activeMonth: number;
    activeHalfyear: number;
    localPosts: number;
  }> {
    const { localActors, courses, courseRevisions } = this.#db.tables;
    const activeSince = async (since: number) => {
      const [row] = await this.#db
        .select({ total: countDistinct(courses.actorId) })
        .from(courseRevisions)
        .innerJoin(courses, eq(courses.id, courseRevisions.courseId))
        .where(gte(courseRevisions.publishedAt, since));
      return row?.total ?? 0;
    };
    const [actors] = await this.#db.select({ total: count() }).from(localActors);
    const [posts] = await this.#db
      .select({ total: count() })
      .from(courses)
      .where(and(isNull(courses.deletedAt), ne(courses.visibility, "private")));
    const day = 24 * 3600 * 1000;
    return {
      total: actors?.total ?? 0,
      activeMonth: await activeSince(now - 30 * day),
      activeHalfyear: await activeSince(now - 180 * day),
      localPosts: posts?.total ?? 0,
    };
  }

  /**
   * The actor's RSA and Ed25519 key pairs, made on first use. Fedify asks for them on
   * every signature and every actor fetch: they are read and imported once per actor.
   */
  keyPairs(actor: LocalActor): Promise<webcrypto.CryptoKeyPair[]> {
    let pairs = this.#keyPairs.get(actor.id);
    if (!pairs) {
      pairs = this.#loadKeyPairs(actor);
      this.#keyPairs.set(actor.id, pairs);
      pairs.catch(() => this.#keyPairs.delete(actor.id));
    }
    return pairs;
  }

  async #loadKeyPairs(actor: LocalActor): Promise<webcrypto.CryptoKeyPair[]> {
    const { actorKeys } = this.#db.tables;
    const pairs: webcrypto.CryptoKeyPair[] = [];
    for (const algorithm of ALGORITHMS) {
      let stored = await this.#storedKey(actor, algorithm);
      if (!stored) {
        const pair = await generateKeyPair(algorithm);
        const privateKey = await exportJwk(pair.privateKey);
        const publicKey = await exportJwk(pair.publicKey);
        // Another request, or another process, may be making the same key: the first one
        // written is the key.
        await this.#db
          .insert(actorKeys)
          .values({ actorId: actor.id, algorithm, privateKey, publicKey, createdAt: Date.now() })
          .onConflictDoNothing();
        stored = (await this.#storedKey(actor, algorithm)) as NonNullable<typeof stored>;
      }
      pairs.push({
        privateKey: await importJwk(stored.privateKey, "private"),
        publicKey: await importJwk(stored.publicKey, "public"),
      });
    }
    return pairs;
  }

  async #storedKey(actor: LocalActor, algorithm: KeyAlgorithm) {
    const { actorKeys } = this.#db.tables;
    const [key] = await this.#db
      .select()
      .from(actorKeys)
      .where(and(eq(actorKeys.actorId, actor.id), eq(actorKeys.algorithm, algorithm)))
      .limit(1);
    return key;
  }
}
