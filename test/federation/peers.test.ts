import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let follower: TestNode;

interface PeerView {
  host: string;
  state: string;
  deliveries: number;
  failures: number;
  lastError: string | null;
}

async function peers(): Promise<PeerView[]> {
  const response = await fetch(new URL("/api/v1/peers", publisher.url), {
    headers: { authorization: `Bearer ${publisher.token}` },
  });
  return ((await response.json()) as { items: PeerView[] }).items;
}

describe.runIf(haveFixtures())("delivery state per peer", () => {
  beforeAll(async () => {
    [publisher, follower] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(follower, publisher);
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("shows a peer retrying while it is down, and ok once deliveries go through again", async () => {
    await follower.pause();
    await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m285-zip-activity-quiz-nousers.mbz"),
      {
        title: "Quiz",
      },
    );
    const down = await eventually(async () =>
      (await peers()).find((peer) => peer.host === follower.url.host && peer.state === "retrying"),
    );
    expect(down.failures).toBeGreaterThan(0);
    expect(down.lastError).toBeTruthy();

    await follower.resume();
    const back = await eventually(
      async () =>
        (await peers()).find((peer) => peer.host === follower.url.host && peer.state === "ok"),
      30_000,
    );
    expect(back.deliveries).toBeGreaterThan(0);
  }, 60_000);
});
