import { HANDLE } from "../actors/handle.ts";
import { ActorError, type LocalActor, type LocalActorRepository } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import type { WebRole } from "../db/schema.ts";
import type { AccountRepository, WebAccount } from "./account-repository.ts";
import { hashPassword, randomPassword, verifyPassword } from "./password.ts";

export class AccountError extends CodedError<
  "INVALID_USERNAME" | "TAKEN" | "NOT_FOUND" | "LAST_ADMIN" | "SELF"
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

/** Refuses to take away the node's last admin: nobody could then manage it from the web. */
async function keepAnAdmin(accounts: AccountRepository, account: WebAccount): Promise<void> {
  if (account.role === "admin" && (await accounts.countWithRole("admin")) <= 1) {
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
  const actor = await actorForRole(
    stores.actors,
    request.role,
    account.username,
    account.displayName,
  );
  await stores.accounts.setRole(account.id, request.role, actor.id);
  return { ...account, role: request.role, actorId: actor.id };
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

/** Gives the account a new random password (returned this once) and ends its sessions. */
export async function resetPassword(
  accounts: AccountRepository,
  username: string,
): Promise<string> {
  const account = await accountNamed(accounts, username);
  const password = randomPassword();
  await accounts.setPasswordHash(account.id, await hashPassword(password));
  return password;
}

/** The account these credentials open, if they do. */
export async function checkCredentials(
  accounts: AccountRepository,
  username: string,
  password: string,
): Promise<WebAccount | undefined> {
  const account = await accounts.byUsername(username);
  const matches = await verifyPassword(
    password,
    account?.passwordHash ?? (await unknownUserHash()),
  );
  return account && matches ? account : undefined;
}
