import type { Context } from "@fedify/fedify";
import type { BoostStores } from "../courses/boost-service.ts";
import type { ArchiveFetchStores } from "../courses/fetch-service.ts";
import type { FederationServices } from "./context.ts";
import { outboundBridge, remoteObjects } from "./outbound.ts";
import { withInstitutionSigner } from "./signed-fetch.ts";

/**
 * The node's services with what the domain's services ask of the network (the
 * institution's signature, other nodes' objects, the outbound bridge), made for one
 * Fedify context: the pages, the API and the jobs hand this to a domain service.
 */
export function domainServices(
  ctx: Context<FederationServices>,
): FederationServices & ArchiveFetchStores & BoostStores {
  return {
    ...withInstitutionSigner(ctx),
    remoteObjects: remoteObjects(ctx),
    outbound: outboundBridge(ctx),
  };
}
