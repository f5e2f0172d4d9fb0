import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context } from "@fedify/fedify";
import { Flag } from "@fedify/vocab";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import type { FederationServices } from "../../packages/node/src/federation/context.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { answerFollow, follow } from "../../packages/node/src/follows/follow-service.ts";
import { buildTarGz, moodleBackupXml } from "./archive-builder.ts";
import { eventually } from "./eventually.ts";
import type { TestNode } from "./test-node.ts";

/** A Fedify context on a test node, for calling its services directly. */
export function contextOf(peer: TestNode): Context<FederationServices> {
  return peer.node.federation.createContext(peer.url, peer.node.services);
}

/** The URL of a test node's institution actor. */
export function institutionOf(peer: TestNode): string {
  return new URL("/actors/institution", peer.url).href;
}

/** The URL of a local actor of a test node. */
export function actorUri(peer: TestNode, actor: LocalActor): string {
  return new URL(`/actors/${actor.identifier}`, peer.url).href;
}

/** `local` on `from` follows `target` on `to`, which accepts as `target`; returns once both agree. */
export async function followAccepted(
  from: TestNode,
  local: LocalActor,
  to: TestNode,
  target: LocalActor,
): Promise<void> {
  await follow(domainServices(contextOf(from)), local, actorUri(to, target));
  await eventually(() => to.node.services.follows.follower(target.id, actorUri(from, local)));
  await answerFollow(domainServices(contextOf(to)), target, actorUri(from, local), "accepted");
  await eventually(
    async () =>
      (await from.node.services.follows.following(local.id, actorUri(to, target)))?.state ===
      "accepted",
  );
}

/** `follower`'s institution follows `followed`'s, whose admin accepts; returns once both agree. */
export async function followAndApprove(follower: TestNode, followed: TestNode): Promise<void> {
  await follow(
    domainServices(contextOf(follower)),
    follower.node.institution,
    institutionOf(followed),
  );
  await eventually(() =>
    followed.node.services.follows.follower(followed.node.institution.id, institutionOf(follower)),
  );
  await answerFollow(
    domainServices(contextOf(followed)),
    followed.node.institution,
    institutionOf(follower),
    "accepted",
  );
  await eventually(
    async () =>
      (
        await follower.node.services.follows.following(
          follower.node.institution.id,
          institutionOf(followed),
        )
      )?.state === "accepted",
  );
}

/** Writes `course.mbz` into `directory`: a backup holding one page, "Welcome"; returns its path. */
export async function writeOnePageBackup(directory: string): Promise<string> {
  const backup = join(directory, "course.mbz");
  await writeFile(
    backup,
    await buildTarGz([
      {
        name: "moodle_backup.xml",
        data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: "Welcome" }] }),
      },
    ]),
  );
  return backup;
}

/**
 * `publisher`'s institution publishes the backup at `file`; returns the course's object URI once
 * `follower`'s catalog lists it.
 */
export async function publishToFollower(
  publisher: TestNode,
  follower: TestNode,
  file: string,
  metadata: Parameters<typeof publishCourse>[3],
): Promise<string> {
  const published = await publishCourse(
    domainServices(contextOf(publisher)),
    publisher.node.institution,
    file,
    metadata,
  );
  const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
  await eventually(() => follower.node.services.catalog.catalogEntry(object));
  return object;
}

/**
 * `publisher`'s institution publishes the backup at `file` as a new revision of the course
 * `object` (one publishToFollower made); returns the revision once `follower`'s catalog has it.
 */
export async function publishRevisionToFollower(
  publisher: TestNode,
  follower: TestNode,
  object: string,
  file: string,
): Promise<number> {
  const { revision } = await publishCourse(
    domainServices(contextOf(publisher)),
    publisher.node.institution,
    file,
    {},
    { courseId: object.split("/").at(-1) as string },
  );
  await eventually(
    async () =>
      (await follower.node.services.catalog.catalogEntry(object))?.revision === revision.revision,
  );
  return revision.revision;
}

/**
 * A Flag that a node's inbox refuses as soon as it reads it, with a warning naming its id
 * (the id is not on its actor's server: inbox/flags.ts). A node's inbox handles one
 * activity at a time, in the order they arrived (node.ts): once this warning is logged,
 * everything delivered to that inbox before it has been handled, and a test can say what
 * did not happen without waiting for a while.
 */
export function inboxSyncFlag(actor: URL): Flag {
  return new Flag({
    id: new URL(`https://inbox-sync.invalid/${crypto.randomUUID()}`),
    actor,
    objects: [new URL("https://inbox-sync.invalid/nothing")],
  });
}
