import { HANDLE } from "../actors/handle.ts";
import { ActorError, type LocalActorRepository } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import type { WebRole } from "../db/schema.ts";
import type { AccountRepository, WebAccount } from "./account-repository.ts";
import { hashPassword, randomPassword, verifyPassword } from "./password.ts";

export class AccountError extends CodedError<"INVALID_USERNAME" | "TAKEN" | "NOT_FOUND"> {
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
  if (stores.accounts.byUsername(username)) {
    throw new AccountError("TAKEN", `There is already an account named ${username}.`);
  }
  const displayName = request.displayName ?? username;
  const actor =
    role === "teacher"
      ? teacherActor(stores.actors, username, displayName)
      : stores.actors.byIdentifier("institution");
  if (!actor)
    throw new AccountError(
      "NOT_FOUND",
      "This node has no institution actor yet; start it once with coursefed serve.",
    );
  const password = randomPassword();
  const account = stores.accounts.create({
    username,
    displayName,
    role,
    actorId: actor.id,
    passwordHash: await hashPassword(password),
  });
  return { account, password };
}

function teacherActor(actors: LocalActorRepository, handle: string, name: string) {
  const existing = actors.byHandle(handle);
  if (existing?.type === "Person") return existing;
  try {
    return actors.createTeacher(handle, name);
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
  const account = accounts.byUsername(username);
  if (!account) throw new AccountError("NOT_FOUND", `There is no account named ${username}.`);
  const password = randomPassword();
  accounts.setPasswordHash(account.id, await hashPassword(password));
  return password;
}

/** The account these credentials open, if they do. */
export async function checkCredentials(
  accounts: AccountRepository,
  username: string,
  password: string,
): Promise<WebAccount | undefined> {
  const account = accounts.byUsername(username);
  const matches = await verifyPassword(
    password,
    account?.passwordHash ?? (await unknownUserHash()),
  );
  return account && matches ? account : undefined;
}
