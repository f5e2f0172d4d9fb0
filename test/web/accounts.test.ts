import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountRepository,
  type WebAccount,
} from "../../packages/node/src/accounts/account-repository.ts";
import {
  AccountError,
  checkCredentials,
  createAccount,
  disableAccount,
  enableAccount,
  type OidcIdentityRequest,
  oidcAccounts,
  resetPassword,
} from "../../packages/node/src/accounts/account-service.ts";
import {
  LOGIN_FAILURES_ALLOWED,
  LOGIN_WINDOW_MS,
  LoginThrottle,
} from "../../packages/node/src/accounts/login-throttle.ts";
import { oidcCookieSecret } from "../../packages/node/src/accounts/oidc/oidc-secret.ts";
import {
  hashPassword,
  NO_PASSWORD,
  verifyPassword,
} from "../../packages/node/src/accounts/password.ts";
import {
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  SessionRepository,
} from "../../packages/node/src/accounts/session-repository.ts";
import { LocalActorRepository } from "../../packages/node/src/actors/local-actors.ts";
import type { NodeDatabase } from "../../packages/node/src/db/database.ts";
import {
  TEST_POSTGRES_ENVIRONMENT,
  type TemporaryDatabase,
  temporaryDatabase,
} from "../../packages/node/src/db/test-database.ts";
import { coursefedBin } from "../support/coursefed-cli.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

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

  it("refuses every password for the hash of a single sign-on account, at once", async () => {
    for (const password of [NO_PASSWORD, "", "scrypt", "any password"]) {
      const started = performance.now();
      expect(await verifyPassword(password, NO_PASSWORD)).toBe(false);
      // No scrypt was run: nothing to compare it with.
      expect(performance.now() - started).toBeLessThan(5);
    }
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

describe("single sign-on accounts, disabled accounts and the cookie secret", () => {
  let database: TemporaryDatabase;
  let db: NodeDatabase;
  let accounts: AccountRepository;
  let actors: LocalActorRepository;
  const ISSUER = "https://login.univ.example/realms/staff";
  const person = (subject: string, more: Partial<OidcIdentityRequest> = {}) => ({
    issuer: ISSUER,
    subject,
    username: subject,
    displayName: `Person ${subject}`,
    role: "viewer" as const,
    ...more,
  });

  beforeAll(async () => {
    database = await temporaryDatabase();
    db = await database.open();
    accounts = new AccountRepository(db);
    actors = new LocalActorRepository(db);
    await actors.ensureInstitution("univ", "Université");
    await createAccount({ actors, accounts }, { username: "root", role: "admin" });
  });
  afterAll(async () => {
    await db.close();
    await database.remove();
  });

  it("opens one account per subject, even when its first sign-ins arrive together", async () => {
    const store = oidcAccounts({ actors, accounts });
    const [first, second] = await Promise.all([
      store.findOrCreate(person("twin")),
      store.findOrCreate(person("twin")),
    ]);
    expect(first).toEqual(second);
    expect((await accounts.all()).filter((a) => a.oidcSubject === "twin")).toHaveLength(1);
    // Another provider's subject of the same name is someone else.
    const elsewhere = await store.findOrCreate({
      ...person("twin"),
      issuer: "https://other.example",
    });
    expect(elsewhere).not.toEqual(first);
    expect(await accounts.byOidcSubject("https://other.example", "twin")).toMatchObject({
      username: "twin-2",
    });
  });

  it("numbers a taken username within 64 characters, and gives up with a sentence", async () => {
    const store = oidcAccounts({ actors, accounts });
    const long = "l".repeat(64);
    await store.findOrCreate(person("long-1", { username: long }));
    await store.findOrCreate(person("long-2", { username: long }));
    expect((await accounts.byOidcSubject(ISSUER, "long-2"))?.username).toBe(`${"l".repeat(62)}-2`);

    for (let n = 1; n <= 50; n += 1) {
      await accounts.create({
        username: n === 1 ? "crowd" : `crowd-${n}`,
        displayName: "x",
        role: "viewer",
        actorId: (await actors.byIdentifier("institution"))?.id ?? 0,
        passwordHash: NO_PASSWORD,
      });
    }
    const refused = await store.findOrCreate(person("crowded", { username: "crowd" }));
    expect(refused).toEqual({ refused: expect.any(AccountError) });
    expect("refused" in refused && refused.refused.message).toBe(
      "The usernames crowd to crowd-50 are all taken on this node: ask its administrator.",
    );
  });

  it("has no password: no sign-in with one, no reset", async () => {
    const store = oidcAccounts({ actors, accounts });
    await store.findOrCreate(person("nopass"));
    expect(await checkCredentials(accounts, "nopass", NO_PASSWORD)).toBeUndefined();
    await expect(resetPassword(accounts, "nopass")).rejects.toThrow(
      "nopass signs in through the single sign-on provider: it has no password on this node.",
    );
  });

  it("ends a disabled account's sessions at once and refuses its sign-ins until enabled", async () => {
    const sessions = new SessionRepository(db);
    const { account, password } = await createAccount(
      { actors, accounts },
      { username: "paul", role: "teacher" },
    );
    const { id } = await sessions.create(account.id);
    await disableAccount(accounts, { username: "paul", by: "root" });
    expect(await sessions.authenticate(id)).toBeUndefined();
    // A sign-in finishing as the account is disabled: its session is refused all the same.
    const { id: late } = await sessions.create(account.id);
    expect(await sessions.authenticate(late)).toBeUndefined();
    await expect(checkCredentials(accounts, "paul", password)).rejects.toThrow(
      "The account paul is disabled on this node: ask its administrator.",
    );
    expect(await checkCredentials(accounts, "paul", "wrong")).toBeUndefined();

    const store = oidcAccounts({ actors, accounts });
    await store.findOrCreate(person("sso-paul"));
    await disableAccount(accounts, { username: "sso-paul" });
    const before = await accounts.byUsername("sso-paul");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await store.findOrCreate(person("sso-paul", { role: "admin" }));
    expect("refused" in refused && refused.refused.code).toBe("DISABLED");
    // Refused before anything changed: not made admin, no sign-in recorded.
    expect(await accounts.byUsername("sso-paul")).toEqual(before);

    await enableAccount(accounts, "paul");
    expect(await checkCredentials(accounts, "paul", password)).toMatchObject({ username: "paul" });
    await expect(disableAccount(accounts, { username: "root", by: "root" })).rejects.toThrow(
      "You cannot disable your own account",
    );
    await expect(disableAccount(accounts, { username: "root" })).rejects.toThrow(
      "root is the last admin",
    );
  });

  it("keeps one cookie secret for every process and restart", async () => {
    const other = await database.open();
    try {
      const [mine, theirs] = await Promise.all([oidcCookieSecret(db), oidcCookieSecret(other)]);
      expect(mine.byteLength).toBe(32);
      expect(Buffer.from(theirs).equals(Buffer.from(mine))).toBe(true);
      expect(Buffer.from(await oidcCookieSecret(db)).equals(Buffer.from(mine))).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("coursefed accounts --disable and --enable, on the node's database", async () => {
    const where = process.env[TEST_POSTGRES_ENVIRONMENT]
      ? ["--database-url", database.location]
      : ["--data-dir", dirname(database.location)];
    const coursefed = (...args: string[]) => {
      const environment = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith("COURSEFED_")),
      );
      const run = spawnSync(process.execPath, [coursefedBin, "accounts", ...where, ...args], {
        encoding: "utf8",
        env: environment,
      });
      return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const sessions = new SessionRepository(db);
    const { id } = await sessions.create(((await accounts.byUsername("twin")) as WebAccount).id);
    const disabled = coursefed("--disable", "twin");
    expect(disabled).toMatchObject({
      code: 0,
      stdout: "Disabled twin: it cannot sign in, and its sessions are ended.\n",
    });
    expect(await sessions.authenticate(id)).toBeUndefined();
    expect(coursefed().stdout).toMatch(
      /^twin {2}viewer {2}Person twin {2}last sign-in: \S+ {2}single sign-on {2}DISABLED$/m,
    );
    expect(coursefed("--enable", "twin", "--json").stdout).toBe(
      '{"username":"twin","disabled":false}\n',
    );
    expect((await accounts.byUsername("twin"))?.disabledAt).toBeNull();
    const last = coursefed("--disable", "root");
    expect(last.code).toBe(2);
    expect(last.stderr).toContain("root is the last admin");
  });
});

describe("the sign-in throttle behind a reverse proxy", () => {
  let trusting: TestNode;
  let direct: TestNode;
  const FORWARDED = { "x-forwarded-for": "198.51.100.1, 203.0.113.7" };

  beforeAll(async () => {
    [trusting, direct] = await Promise.all([
      startTestNode("proxied", "Proxied", { trustProxy: "127.0.0.1" }),
      startTestNode("direct", "Direct"),
    ]);
  });
  afterAll(async () => {
    await Promise.all([trusting, direct].map((node) => node?.stop()));
  });

  async function failures(node: TestNode, headers: Record<string, string>) {
    const client = new WebClient(node.url, headers);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i += 1) {
      expect((await client.login("admin", "wrong")).status).toBe(401);
    }
    return client;
  }

  it("keys on the address the trusted proxy saw, the last of X-Forwarded-For", async () => {
    const blocked = await failures(trusting, FORWARDED);
    expect((await blocked.login("admin", "wrong")).status).toBe(429);
    const throttle = new LoginThrottle(trusting.node.db);
    expect(await throttle.blockedUntil("admin", "203.0.113.7")).toBeDefined();
    expect(await throttle.blockedUntil("admin", "127.0.0.1")).toBeUndefined();
    // Someone else behind the same proxy is not blocked.
    const neighbour = new WebClient(trusting.url, { "x-forwarded-for": "203.0.113.8" });
    expect((await neighbour.login("admin", "wrong")).status).toBe(401);
  });

  it("keys on the socket's address when the peer is no trusted proxy, whatever it forwards", async () => {
    const blocked = await failures(direct, FORWARDED);
    expect((await blocked.login("admin", "wrong")).status).toBe(429);
    const throttle = new LoginThrottle(direct.node.db);
    expect(await throttle.blockedUntil("admin", "127.0.0.1")).toBeDefined();
    expect(await throttle.blockedUntil("admin", "203.0.113.7")).toBeUndefined();
    const spoofing = new WebClient(direct.url, { "x-forwarded-for": "203.0.113.8" });
    expect((await spoofing.login("admin", "wrong")).status).toBe(429);
  });
});
