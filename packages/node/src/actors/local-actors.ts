import type { webcrypto } from "node:crypto";
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import { and, eq } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import { actorKeys, localActors } from "../db/schema.ts";
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

  byIdentifier(identifier: string): LocalActor | undefined {
    return this.#db.select().from(localActors).where(eq(localActors.identifier, identifier)).get();
  }

  byId(id: number): LocalActor | undefined {
    return this.#db.select().from(localActors).where(eq(localActors.id, id)).get();
  }

  byHandle(handle: string): LocalActor | undefined {
    return this.#db.select().from(localActors).where(eq(localActors.handle, handle)).get();
  }

  /**
   * Creates the institution actor on first start, or brings its handle and name in line
   * with the configuration. Its identifier never changes, so its URL stays valid.
   */
  ensureInstitution(handle: string, name: string): LocalActor {
    const existing = this.#db
      .select()
      .from(localActors)
      .where(eq(localActors.identifier, "institution"))
      .get();
    if (existing) {
      if (existing.handle === handle && existing.name === name) return existing;
      return this.#db
        .update(localActors)
        .set({ handle, name })
        .where(eq(localActors.id, existing.id))
        .returning()
        .get();
    }
    return this.#db
      .insert(localActors)
      .values({
        identifier: "institution",
        handle,
        type: "Organization",
        name,
        manuallyApprovesFollowers: true,
        createdAt: Date.now(),
      })
      .returning()
      .get();
  }

  /** A teacher account: a Person whose followers need no approval. */
  createTeacher(handle: string, name: string): LocalActor {
    if (!HANDLE.test(handle)) {
      throw new ActorError(
        `"${handle}" is not a usable handle; use letters, digits, "_", "-" or "." (at most 64).`,
      );
    }
    if (this.byHandle(handle)) throw new ActorError(`The handle "${handle}" is taken.`);
    return this.#db
      .insert(localActors)
      .values({
        identifier: crypto.randomUUID(),
        handle,
        type: "Person",
        name,
        manuallyApprovesFollowers: false,
        createdAt: Date.now(),
      })
      .returning()
      .get();
  }

  all(): LocalActor[] {
    return this.#db.select().from(localActors).all();
  }

  teachers(): LocalActor[] {
    return this.#db.select().from(localActors).where(eq(localActors.type, "Person")).all();
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
    const pairs: webcrypto.CryptoKeyPair[] = [];
    for (const algorithm of ALGORITHMS) {
      let stored = this.#storedKey(actor, algorithm);
      if (!stored) {
        const pair = await generateCryptoKeyPair(algorithm);
        // Another request may be making the same key: the first one written is the key.
        this.#db
          .insert(actorKeys)
          .values({
            actorId: actor.id,
            algorithm,
            privateKey: await exportJwk(pair.privateKey),
            publicKey: await exportJwk(pair.publicKey),
            createdAt: Date.now(),
          })
          .onConflictDoNothing()
          .run();
        stored = this.#storedKey(actor, algorithm) as NonNullable<typeof stored>;
      }
      pairs.push({
        privateKey: await importJwk(stored.privateKey, "private"),
        publicKey: await importJwk(stored.publicKey, "public"),
      });
    }
    return pairs;
  }

  #storedKey(actor: LocalActor, algorithm: (typeof ALGORITHMS)[number]) {
    return this.#db
      .select()
      .from(actorKeys)
      .where(and(eq(actorKeys.actorId, actor.id), eq(actorKeys.algorithm, algorithm)))
      .get();
  }
}
