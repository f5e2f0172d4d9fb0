import type { LocalActorRepository } from "../actors/local-actors.ts";

/** What Fedify's callbacks get to work with: the node's services, no HTTP. */
export interface FederationServices {
  readonly actors: LocalActorRepository;
  readonly softwareVersion: string;
}
