import type { InboxContext } from "@fedify/fedify";
import { type Delete, isActor, type Move } from "@fedify/vocab";
import { moveFollows } from "../../follows/follow-service.ts";
import { federatesWith } from "../../settings/federation-policy.ts";
import type { FederationServices } from "../context.ts";
import { domainServices } from "../domain-services.ts";
import { onCourseDelete } from "./courses.ts";

type Context = InboxContext<FederationServices>;

/** A refused or ignored actor activity, on the log for the node's admin. */
function refuse(activity: Delete | Move, why: string): void {
  console.warn(
    `coursefed: inbox: ${activity.constructor.name} ${activity.id?.href ?? "(no id)"} by ${activity.actorId?.href ?? "(no actor)"} refused: ${why}`,
  );
}

/**
 * A Delete: of its own actor (the account is gone) or, otherwise, of a course
 * (inbox/courses.ts). Fedify has checked that the activity is signed by its actor, so a
 * Delete naming another actor is never taken for that actor's.
 */
export async function onDelete(ctx: Context, activity: Delete): Promise<void> {
  const actor = activity.actorId;
  const object = activity.objectId;
  if (actor && object && object.href === actor.href) {
    await onActorDelete(ctx, actor);
    return;
  }
  if (object && (await ctx.data.follows.remoteActor(object.href))) {
    refuse(activity, `it deletes ${object.href}, another actor than its signer.`);
    return;
  }
  await onCourseDelete(ctx, activity);
}

/**
 * A remote actor deleted itself: every follow of and by it is forgotten, and its courses
 * leave our catalog (marked withdrawn, as if each had been deleted: they are no longer
 * listed, searched or fetched; Moodle courses restored from them stay, as they stay
 * when one course is withdrawn, since they are the restoring site's now). Doing it again
 * changes nothing, so a repeated Delete is harmless.
 */
async function onActorDelete(ctx: Context, actor: URL): Promise<void> {
  const follows = await ctx.data.follows.forgetActorFollows(actor.href);
  const courses = await ctx.data.catalog.tombstoneAllOf(actor.href);
  if (follows + courses > 0) {
    console.info(
      `coursefed: inbox: ${actor.href} was deleted: ${follows} follow(s) forgotten, ${courses} course(s) withdrawn from the catalog.`,
    );
  }
}

/**
 * An actor we follow moved to another account: the Move's actor and object are the old
 * actor (Fedify checked its signature), its target the new one. The new actor is fetched
 * from its own server and must name the old one in `alsoKnownAs` (so that no one can
 * redirect another's followers), be on a server the federation policy allows, and be an
 * actor; then each local follow of the old actor becomes a follow request to the new one
 * (follows/follow-service.ts moveFollows). Anything else is refused with a log line.
 */
export async function onMove(ctx: Context, move: Move): Promise<void> {
  const from = move.actorId;
  const to = move.targetId;
  if (!from || !to) return refuse(move, "it names no actor or no target.");
  if (move.objectId?.href !== from.href) {
    return refuse(move, `it moves ${move.objectId?.href ?? "nothing"}, not its own actor.`);
  }
  if (to.href === from.href) return refuse(move, "its target is the actor itself.");
  if (!federatesWith(await ctx.data.settings.federationPolicy(), to)) {
    return refuse(move, `its target ${to.href} is on a server this node does not federate with.`);
  }
  if ((await ctx.data.follows.followsOf(from.href)).length === 0) return;
  const target = await ctx
    .lookupObject(to.href, {
      documentLoader: await ctx.getDocumentLoader({ identifier: "institution" }),
    })
    .catch(() => null);
  if (!isActor(target) || target.id?.href !== to.href) {
    return refuse(move, `its target ${to.href} could not be fetched as an actor from its server.`);
  }
  if (!target.aliasIds.some((alias) => alias.href === from.href)) {
    return refuse(
      move,
      `its target ${to.href} does not name ${from.href} in alsoKnownAs, so it did not agree to the move.`,
    );
  }
  const services = domainServices(ctx);
  const moved = await moveFollows(services, from.href, to.href);
  console.info(
    `coursefed: inbox: ${from.href} moved to ${to.href}: ${moved.map((local) => `@${local.handle}`).join(", ")} now ask(s) to follow the new actor.`,
  );
}
