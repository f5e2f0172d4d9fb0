import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountRepository,
  type WebAccount,
} from "../../packages/node/src/accounts/account-repository.ts";
import {
  AccountError,
  checkCredentials,
  createAccount,
  resetPassword,
} from "../../packages/node/src/accounts/account-service.ts";
import {
  LOGIN_FAILURES_ALLOWED,
  LOGIN_WINDOW_MS,
  LoginThrottle,
} from "../../packages/node/src/accounts/login-throttle.ts";
import { hashPassword, verifyPassword } from "../../packages/node/src/accounts/password.ts";
import {
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SessionRepository,
} from "../../packages/node/src/accounts/session-repository.ts";
import { LocalActorRepository } from "../../packages/node/src/actors/local-actors.ts";
import type { NodeDatabase } from "../../packages/node/src/db/database.ts";
import {
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../packages/node/src/db/test-database.ts";

describe("password hashing", () => {
  it("stores scrypt with its parameters and a fresh salt, and verifies only the right password", async () => {
    const first = await hashPassword("correct horse");
    const second = await hashPassword("correct horse");
    expect(first).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(second).not.toBe(first);
    expect(await verifyPassword("correct horse", first)).toBe(true);
    expect(await verifyPassword("correct horse ", first)).toBe(false);
    expect(await verifyPassword("correct horse", "sha256$abc")).toBe(false);
  });

  it("verifies a hash made with other parameters, as written in it", async () => {
    const stored = await hashPassword("pw");
    const [, , , , salt] = stored.split("$");
    const { scryptSync } = await import("node:crypto");
    const key = scryptSync("pw", Buffer.from(salt as string, "base64url"), 32, {
      N: 2 ** 14,
      r: 8,
      p: 1,
    });
    expect(await verifyPassword("pw", `scrypt$14$8$1$${salt}$${key.toString("base64url")}`)).toBe(
      true,
    );
  });
});

describe("accounts, sessions and the login throttle", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let accounts: AccountRepository;
  let actors: LocalActorRepository;
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    accounts = new AccountRepository(db);
    actors = new LocalActorRepository(db);
    await actors.ensureInstitution("univ", "Université");
  });
  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("links admins to the institution and teachers to their own Person actor", async () => {
    const admin = await createAccount({ actors, accounts }, { username: "root", role: "admin" });
    const teacher = await createAccount(
      { actors, accounts },
      { username: "marie", role: "teacher", displayName: "Marie" },
    );
    expect((await actors.byId(admin.account.actorId))?.identifier).toBe("institution");
    const person = await actors.byId(teacher.account.actorId);
    expect(person).toMatchObject({ type: "Person", handle: "marie", name: "Marie" });
    expect(await checkCredentials(accounts, "marie", teacher.password)).toMatchObject({
      username: "marie",
    });
    expect(await checkCredentials(accounts, "marie", admin.password)).toBeUndefined();
    expect(await checkCredentials(accounts, "nobody", admin.password)).toBeUndefined();
    await expect(
      createAccount({ actors, accounts }, { username: "marie", role: "viewer" }),
    ).rejects.toThrow(AccountError);
    await expect(
      createAccount({ actors, accounts }, { username: "no spaces", role: "viewer" }),
    ).rejects.toThrow(/not a usable username/);
  });

  it("ends a session after its idle time, renews it while used, and never past its maximum", async () => {
    const sessions = new SessionRepository(db, clock);
    const account = (await accounts.byUsername("root")) as WebAccount;
    const { id } = await sessions.create(account.id);
    now += SESSION_IDLE_MS - 1000;
    const renewed = await sessions.authenticate(id);
    expect(renewed?.expiresAt).toBe(now + SESSION_IDLE_MS);
    now += SESSION_IDLE_MS - 1000;
    expect(await sessions.authenticate(id)).toBeDefined();
    now += SESSION_IDLE_MS + 1;
    expect(await sessions.authenticate(id)).toBeUndefined();

    const { id: busy } = await sessions.create(account.id);
    const start = now;
    while (now < start + SESSION_MAX_MS - SESSION_IDLE_MS) {
      now += SESSION_IDLE_MS / 2;
      expect(await sessions.authenticate(busy)).toBeDefined();
    }
    now = start + SESSION_MAX_MS;
    expect(await sessions.authenticate(busy)).toBeUndefined();
    expect(await sessions.authenticate("not-a-session")).toBeUndefined();
  });

  it("ends every session of an account whose password is reset", async () => {
    const sessions = new SessionRepository(db, clock);
    const account = (await accounts.byUsername("marie")) as WebAccount;
    const { id } = await sessions.create(account.id);
    const password = await resetPassword(accounts, "marie");
    expect(await sessions.authenticate(id)).toBeUndefined();
    expect(await checkCredentials(accounts, "marie", password)).toBeDefined();
  });

  it("blocks a username from one address after too many failures, for the rest of the window", async () => {
    const throttle = new LoginThrottle(db, clock);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) {
      expect(await throttle.blockedUntil("root", "10.0.0.1")).toBeUndefined();
      await throttle.recordFailure("root", "10.0.0.1");
      now += 1000;
    }
    const until = await throttle.blockedUntil("root", "10.0.0.1");
    expect(until).toBe(now - LOGIN_FAILURES_ALLOWED * 1000 + LOGIN_WINDOW_MS);
    expect(await throttle.blockedUntil("root", "10.0.0.2")).toBeUndefined();
    expect(await throttle.blockedUntil("ROOT", "10.0.0.1")).toBe(until);
    now = until as number;
    expect(await throttle.blockedUntil("root", "10.0.0.1")).toBeUndefined();
  });
});
