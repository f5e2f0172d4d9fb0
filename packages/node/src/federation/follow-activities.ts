import { createHash } from "node:crypto";
import type { Context } from "@fedify/fedify";
import type { FederationServices } from "./context.ts";

/**
 * The id of a local actor's answer to a follow request, made from what the node keeps of
 * the request (the follower and the request's id), so that it resolves without being
 * stored: http/course-object-routes.ts answers it while the follow stands. A request made
 * again (a new Follow id) gets an answer of its own id: receivers handle an id once.
 */
export function answerId(
  ctx: Context<FederationServices>,
  localIdentifier: string,
  followerUri: string,
  followId: string,
): URL {
  return new URL(
    `/actors/${localIdentifier}/answers/${Buffer.from(followerUri).toString("base64url")}.${followDigest(followId)}`,
    ctx.origin,
  );
}

/** The follower and the request digest an answer id names; undefined if it names none. */
export function answerIdParts(
  segment: string,
): { readonly followerUri: string; readonly followDigest: string } | undefined {
  const match = /^([A-Za-z0-9_-]+)\.([0-9a-f]{32})$/.exec(segment);
  if (!match?.[1] || !match[2]) return undefined;
  return {
    followerUri: Buffer.from(match[1], "base64url").toString("utf8"),
    followDigest: match[2],
  };
}

export function followDigest(followId: string): string {
  return createHash("sha256").update(followId).digest("hex").slice(0, 32);
}
