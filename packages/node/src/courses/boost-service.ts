import type { Context } from "@fedify/fedify";
import { Announce, Document, PUBLIC_COLLECTION } from "@fedify/vocab";
import type { LocalActor } from "../actors/local-actors.ts";
import { CodedError } from "../coded-error.ts";
import type { FederationServices } from "../federation/context.ts";

export class BoostError extends CodedError<"NOT_IN_CATALOG" | "WITHDRAWN" | "NOT_PUBLIC"> {
  override readonly name = "BoostError";
}

/**
 * Shares a course of another node with this actor's followers (an Announce): a school
 * recommends a university's course to the schools that follow it. Only public courses:
 * the followers fetch it from its publisher, who would refuse them anything else.
 * Returns the Announce's id.
 */
export async function boostCourse(
  ctx: Context<FederationServices>,
  actor: LocalActor,
  objectUri: string,
): Promise<URL> {
  const entry = await ctx.data.courses.catalogEntry(objectUri);
  if (!entry) {
    throw new BoostError("NOT_IN_CATALOG", `${objectUri} is not in this node's catalog.`);
  }
  if (entry.deletedAt !== null) {
    throw new BoostError("WITHDRAWN", `${objectUri} was withdrawn by its publisher.`);
  }
  // Asked unsigned, as any of our followers' servers would: only a public course answers.
  const object = await ctx.lookupObject(objectUri).catch(() => null);
  if (
    !(object instanceof Document) ||
    !object.toIds.some((id) => id.href === PUBLIC_COLLECTION.href)
  ) {
    throw new BoostError(
      "NOT_PUBLIC",
      `${objectUri} is not public: its publisher shares it with its own followers only.`,
    );
  }
  const id = new URL(`/actors/${actor.identifier}/boosts/${crypto.randomUUID()}`, ctx.origin);
  await ctx.sendActivity(
    { identifier: actor.identifier },
    "followers",
    new Announce({
      id,
      actor: ctx.getActorUri(actor.identifier),
      object: new URL(objectUri),
      tos: [PUBLIC_COLLECTION],
      ccs: [ctx.getFollowersUri(actor.identifier)],
    }),
    { preferSharedInbox: true },
  );
  return id;
}
