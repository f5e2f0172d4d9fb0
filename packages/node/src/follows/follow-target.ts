import { CodedError } from "../coded-error.ts";

/** Why a follow operation could not be done, in words for the person who asked. */
export class FollowError extends CodedError<
  | "BAD_TARGET"
  | "NOT_FOUND"
  | "NOT_AN_ACTOR"
  | "NO_SUCH_REQUEST"
  | "NOT_FEDERATED"
  | "PRIVATE_ADDRESS"
  | "UNREACHABLE"
  | "REJECTED"
  | "NOT_FOLLOWING"
  | "CATCH_UP_UNDER_WAY"
> {
  override readonly name = "FollowError";
}

/** What a person may type to name an actor: its URL, or @user@host. */
export type FollowTarget =
  | { readonly kind: "url"; readonly url: URL; readonly hostname: string }
  | {
      readonly kind: "handle";
      readonly user: string;
      readonly host: string;
      readonly hostname: string;
    };

/** Reads an actor URL, or a handle written @user@host, user@host or acct:user@host. */
export function parseFollowTarget(target: string): FollowTarget {
  const text = target.trim();
  const handle = /^(?:acct:|@)?([^@\s/:]+)@([^@\s/?#]+)$/.exec(text);
  if (handle) {
    const [, user, host] = handle as unknown as [string, string, string];
    const hostname = URL.canParse(`http://${host}/`) ? new URL(`http://${host}/`).hostname : "";
    if (hostname !== "") return { kind: "handle", user, host: host.toLowerCase(), hostname };
  }
  if (URL.canParse(text)) {
    const url = new URL(text);
    if (url.protocol === "https:" || url.protocol === "http:") {
      return { kind: "url", url, hostname: url.hostname };
    }
  }
  throw new FollowError(
    "BAD_TARGET",
    `'${target}' names no actor: write the actor's address (https://host/actors/...) or its handle (@user@host).`,
  );
}
