import type { LocalActor } from "../actors/local-actors.ts";
import type { Outbound, RemoteObjects } from "../actors/outbound.ts";
import { CodedError } from "../coded-error.ts";
import type { CatalogRepository } from "./catalog-repository.ts";

export class BoostError extends CodedError<"NOT_IN_CATALOG" | "WITHDRAWN" | "NOT_PUBLIC"> {
  override readonly name = "BoostError";
}

/** What boosting uses: the catalog, the publisher's answer, and the outbound bridge. */
export interface BoostStores {
  readonly catalog: CatalogRepository;
  readonly remoteObjects: RemoteObjects;
  readonly outbound: Outbound;
}

/**
 * Shares a course of another node with this actor's followers (an Announce): a school
 * recommends a university's course to the schools that follow it. Only public courses:
 * the followers fetch it from its publisher, who would refuse them anything else.
 * Returns the Announce's id.
 */
export async function boostCourse(
  services: BoostStores,
  actor: LocalActor,
  objectUri: string,
): Promise<URL> {
  const entry = await services.catalog.catalogEntry(objectUri);
  if (!entry) {
    throw new BoostError("NOT_IN_CATALOG", `${objectUri} is not in this node's catalog.`);
  }
  if (entry.deletedAt !== null) {
    throw new BoostError("WITHDRAWN", `${objectUri} was withdrawn by its publisher.`);
  }
  if (!(await services.remoteObjects.isPublic(objectUri))) {
    throw new BoostError(
      "NOT_PUBLIC",
      `${objectUri} is not public: its publisher shares it with its own followers only.`,
    );
  }
  return await services.outbound.deliver({ type: "course-boosted", actor, objectUri });
}
