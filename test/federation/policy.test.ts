import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { FollowError, follow } from "../../packages/node/src/follows/follow-service.ts";
import { contextOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let open: TestNode;
let closed: TestNode;

beforeAll(async () => {
  // Every test node is on 127.0.0.1: blocking that host blocks all the other nodes.
  [open, closed] = await Promise.all([
    startTestNode("open"),
    startTestNode("closed", "Closed", { federation: "blocklist", domains: "127.0.0.1" }),
  ]);
});
afterAll(async () => {
  await Promise.all([open, closed].map((peer) => peer?.stop()));
});

describe("federation policy", () => {
  it("refuses signed requests from a blocked server with 403", async () => {
    const delivered = await fetch(new URL("/actors/institution/inbox", closed.url), {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        signature: `keyId="${new URL("/actors/institution#main-key", open.url).href}",algorithm="rsa-sha256",headers="(request-target)",signature="AA=="`,
      },
      body: "{}",
    });
    expect(delivered.status).toBe(403);
    expect(((await delivered.json()) as { error: { code: string } }).error.code).toBe(
      "not_federated",
    );
  });

  it("never records a follow from a blocked server", async () => {
    await follow(
      domainServices(contextOf(open)),
      open.node.institution,
      new URL("/actors/institution", closed.url).href,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const requester = new URL("/actors/institution", open.url).href;
    expect(
      await closed.node.services.follows.follower(closed.node.institution.id, requester),
    ).toBeUndefined();
  });

  it("will not follow an actor on a blocked server", async () => {
    const refused = await follow(
      domainServices(contextOf(closed)),
      closed.node.institution,
      new URL("/actors/institution", open.url).href,
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FollowError);
    expect((refused as FollowError).code).toBe("NOT_FEDERATED");
  });
});
