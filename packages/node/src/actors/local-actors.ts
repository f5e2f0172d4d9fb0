import type { webcrypto } from "node:crypto";
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import { and, eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { localActors } from "../db/schema.postgres.ts";
import { HANDLE } from "./handle.ts";

export type LocalActor = typeof localActors.$inferSelect;

const ALGORITHMS = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;

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
        manuallyApprovesFollowers: true,
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
        manuallyApprovesFollowers: true,
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
        const pair = await generateCryptoKeyPair(algorithm);
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

  async #storedKey(actor: LocalActor, algorithm: (typeof ALGORITHMS)[number]) {
    const { actorKeys } = this.#db.tables;
    const [key] = await this.#db
      .select()
      .from(actorKeys)
      .where(and(eq(actorKeys.actorId, actor.id), eq(actorKeys.algorithm, algorithm)))
      .limit(1);
    return key;
  }
}
