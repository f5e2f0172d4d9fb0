import { HANDLE } from "../actors/handle.ts";
import { ActorError, type LocalActor, type LocalActorRepository } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import { WEB_ROLES, type WebRole } from "../vocabulary/account-roles.ts";
import type { AccountRepository, WebAccount } from "./account-repository.ts";
import { hashPassword, NO_PASSWORD, randomPassword, verifyPassword } from "./password.ts";

export class AccountError extends CodedError<
  | "INVALID_USERNAME"
  | "TAKEN"
  | "NOT_FOUND"
  | "LAST_ADMIN"
  | "SELF"
  /** An admin disabled the account: it may not sign in. */
  | "DISABLED"
  /** The account signs in through the OpenID provider: it has no password here. */
  | "SINGLE_SIGN_ON"
> {
  override readonly name = "AccountError";
}

export interface AccountStores {
  readonly actors: LocalActorRepository;
  readonly accounts: AccountRepository;
}

/** Compared against when the username is unknown, so that a miss takes as long as a hit. */
let decoyHash: Promise<string> | undefined;

function unknownUserHash(): Promise<string> {
  decoyHash ??= hashPassword(randomPassword());
  return decoyHash;
}

/**
 * Makes a web account with a random password, returned this once. Admins and viewers act
 * as the institution; a teacher acts as the Person actor of the same handle, made if
 * there is none yet (as `coursefed teachers --add` would).
 */
export async function createAccount(
  stores: AccountStores,
  request: { username: string; role: WebRole; displayName?: string | undefined },
): Promise<{ account: WebAccount; password: string }> {
  const { username, role } = request;
  if (!HANDLE.test(username)) {
    throw new AccountError(
      "INVALID_USERNAME",
      `"${username}" is not a usable username; use letters, digits, "_", "-" or "." (at most 64).`,
    );
  }
  if (await stores.accounts.byUsername(username)) {
    throw new AccountError("TAKEN", `There is already an account named ${username}.`);
  }
  const displayName = request.displayName ?? username;
  const actor = await actorForRole(stores.actors, role, username, displayName);
  const password = randomPassword();
  const account = await stores.accounts.create({
    username,
    displayName,
    role,
    actorId: actor.id,
    passwordHash: await hashPassword(password),
  });
  return { account, password };
}

/** Admins and viewers act as the institution; a teacher as the Person of their handle. */
async function actorForRole(
  actors: LocalActorRepository,
  role: WebRole,
  username: string,
  displayName: string,
): Promise<LocalActor> {
  const actor =
    role === "teacher"
      ? await teacherActor(actors, username, displayName)
      : await actors.byIdentifier("institution");
  if (!actor)
    throw new AccountError(
      "NOT_FOUND",
      "This node has no institution actor yet; start it once with coursefed serve.",
    );
  return actor;
}

async function accountNamed(accounts: AccountRepository, username: string): Promise<WebAccount> {
  const account = await accounts.byUsername(username);
  if (!account) throw new AccountError("NOT_FOUND", `There is no account named ${username}.`);
  return account;
}

/**
 * Refuses to take away the node's last admin who can sign in: nobody could then manage it
 * from the web. A disabled admin is no such admin, so it may go.
 */
async function keepAnAdmin(accounts: AccountRepository, account: WebAccount): Promise<void> {
  if (
    account.role === "admin" &&
    account.disabledAt === null &&
    (await accounts.countEnabledWithRole("admin")) <= 1
  ) {
    throw new AccountError(
      "LAST_ADMIN",
      `${account.username} is the last admin: make another account admin first.`,
    );
  }
}

/**
 * Gives an account another role, and the actor that goes with it. `by` is who asks: an
 * admin cannot change their own role (nor lock themself out by mistake).
 */
export async function changeRole(
  stores: AccountStores,
  request: { username: string; role: WebRole; by: string },
): Promise<WebAccount> {
  const account = await accountNamed(stores.accounts, request.username);
  if (account.role === request.role) return account;
  if (account.username === request.by) {
    throw new AccountError("SELF", "You cannot change your own role; ask another admin.");
  }
  await keepAnAdmin(stores.accounts, account);
  const actor = await setRole(stores, account, request.role);
  return { ...account, role: request.role, actorId: actor.id };
}

/** Gives an account a role, with the actor that goes with it (made if it has none yet). */
async function setRole(stores: AccountStores, account: WebAccount, role: WebRole) {
  const actor = await actorForRole(stores.actors, role, account.username, account.displayName);
  await stores.accounts.setRole(account.id, role, actor.id);
  return actor;
}

/** Removes an account and its sessions; never one's own, never the last admin. */
export async function removeAccount(
  accounts: AccountRepository,
  request: { username: string; by: string },
): Promise<WebAccount> {
  const account = await accountNamed(accounts, request.username);
  if (account.username === request.by) {
    throw new AccountError("SELF", "You cannot remove your own account; ask another admin.");
  }
  await keepAnAdmin(accounts, account);
  await accounts.remove(account.id);
  return account;
}

async function teacherActor(
  actors: LocalActorRepository,
  handle: string,
  name: string,
): Promise<LocalActor> {
  const existing = await actors.byHandle(handle);
  if (existing?.type === "Person") return existing;
  try {
    return await actors.createTeacher(handle, name);
  } catch (error) {
    if (error instanceof ActorError) throw new AccountError("TAKEN", error.message);
    throw error;
  }
}

/**
 * Stops an account from signing in and ends its sessions at once; never one's own (`by`,
 * absent on the host's command line), never the last admin who can sign in.
 */
export async function disableAccount(
  accounts: AccountRepository,
  request: { username: string; by?: string },
): Promise<void> {
  const account = await accountNamed(accounts, request.username);
  if (account.disabledAt !== null) return;
  if (account.username === request.by) {
    throw new AccountError("SELF", "You cannot disable your own account; ask another admin.");
  }
  await keepAnAdmin(accounts, account);
  await accounts.setDisabled(account.id, true);
}

/** Lets a disabled account sign in again. */
export async function enableAccount(accounts: AccountRepository, username: string): Promise<void> {
  const account = await accountNamed(accounts, username);
  if (account.disabledAt !== null) await accounts.setDisabled(account.id, false);
}

/**
 * Gives the account a new random password (returned this once) and ends its sessions.
 * Not to an account of single sign-on: a password would let it in without the provider,
 * which may have stopped letting its person in.
 */
export async function resetPassword(
  accounts: AccountRepository,
  username: string,
): Promise<string> {
  const account = await accountNamed(accounts, username);
  if (account.oidcSubject !== null) {
    throw new AccountError(
      "SINGLE_SIGN_ON",
      `${username} signs in through the single sign-on provider: it has no password on this node.`,
    );
  }
  const password = randomPassword();
  await accounts.setPasswordHash(account.id, await hashPassword(password));
  return password;
}

/**
 * The account these credentials open, if they do. Only the right password learns that
 * an account is disabled (AccountError DISABLED): others are told nothing more than a
 * wrong password is.
 */
export async function checkCredentials(
  accounts: AccountRepository,
  username: string,
  password: string,
): Promise<WebAccount | undefined> {
  const account = await accounts.byUsername(username);
  // An unknown username, or an account without a password here, takes as long as a miss.
  const usable = account !== undefined && account.passwordHash !== NO_PASSWORD;
  const matches = await verifyPassword(
    password,
    usable ? account.passwordHash : await unknownUserHash(),
  );
  if (!usable || !matches) return undefined;
  if (account.disabledAt !== null) throw disabled(account);
  return account;
}

function disabled(account: WebAccount): AccountError {
  return new AccountError(
    "DISABLED",
    `The account ${account.username} is disabled on this node: ask its administrator.`,
  );
}

/** Who the OpenID provider signed in, as the account store needs it. */
export interface OidcIdentityRequest {
  readonly issuer: string;
  readonly subject: string;
  /** A handle-shaped name for a new account (a free one near it is taken if need be). */
  readonly username: string;
  readonly displayName: string;
  /** The role the provider's claims give at this sign-in. */
  readonly role: WebRole;
}

/** Usernames tried for a new single sign-on account: name, name-2, ... name-50. */
const USERNAME_ATTEMPTS = 50;

/**
 * The web accounts linked to a provider's subjects (`oidcAccounts` below):
 * `findOrCreate` opens the account of (issuer, subject), made at its first sign-in, with
 * the role of this sign-in's claims, or says why it is `refused`.
 */
export interface OidcAccounts {
  findOrCreate(
    identity: OidcIdentityRequest,
  ): Promise<{ id: number; role: WebRole } | { refused: AccountError }>;
}

/**
 * The web accounts single sign-on opens. `findOrCreate` finds the account linked to the
 * provider's (issuer, subject), or makes one; either way it gives it the role the claims
 * give now, so that someone taken out of the admin group is no longer admin (and their
 * other sessions end), and records the sign-in. It never links an existing account by
 * username or e-mail: anyone able to choose those at the provider could take it over.
 * An account that cannot be opened (disabled, ...) is `refused` with the reason.
 */
export function oidcAccounts(stores: AccountStores) {
  return {
    async findOrCreate(
      identity: OidcIdentityRequest,
    ): Promise<{ id: number; role: WebRole } | { refused: AccountError }> {
      try {
        const account =
          (await stores.accounts.byOidcSubject(identity.issuer, identity.subject)) ??
          (await createOidcAccount(stores, identity));
        if (account.disabledAt !== null) throw disabled(account);
        if (account.role !== identity.role) {
          await setRole(stores, account, identity.role);
          // WEB_ROLES goes from the most able role to the least: demoted, the sessions
          // opened with more rights end (this sign-in's session is opened after).
          if (WEB_ROLES.indexOf(identity.role) > WEB_ROLES.indexOf(account.role)) {
            await stores.accounts.endSessions(account.id);
          }
        }
        await stores.accounts.recordLogin(account.id);
        return { id: account.id, role: identity.role };
      } catch (error) {
        if (error instanceof AccountError) return { refused: error };
        throw error;
      }
    },
  };
}

/**
 * A new account for a provider's subject, under the first of `name`, `name-2`, ... that
 * is neither an account's username nor any actor's handle: a teacher acts as the Person
 * of their handle, so an existing actor's name would let this person act as it.
 */
async function createOidcAccount(
  stores: AccountStores,
  identity: OidcIdentityRequest,
): Promise<WebAccount> {
  for (let attempt = 1; attempt <= USERNAME_ATTEMPTS; attempt += 1) {
    const username = numbered(identity.username, attempt);
    if ((await stores.accounts.byUsername(username)) || (await stores.actors.byHandle(username))) {
      continue;
    }
    const actor = await actorForRole(stores.actors, identity.role, username, identity.displayName);
    const created = await stores.accounts.createLinked({
      username,
      displayName: identity.displayName,
      role: identity.role,
      actorId: actor.id,
      passwordHash: NO_PASSWORD,
      oidcIssuer: identity.issuer,
      oidcSubject: identity.subject,
    });
    if (created) return created;
    // Taken meanwhile: by this very person signing in from another tab, or by someone else.
    const raced = await stores.accounts.byOidcSubject(identity.issuer, identity.subject);
    if (raced) return raced;
  }
  throw new AccountError(
    "TAKEN",
    `The usernames ${identity.username} to ${numbered(identity.username, USERNAME_ATTEMPTS)} are all taken on this node: ask its administrator.`,
  );
}

/** `name` for the first attempt, then `name-2`, ... still at most 64 characters. */
function numbered(name: string, attempt: number): string {
  if (attempt === 1) return name;
  const suffix = `-${attempt}`;
  return `${name.slice(0, 64 - suffix.length)}${suffix}`;
}
