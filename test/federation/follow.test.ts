import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFollow, follow, unfollow } from "../../packages/node/src/follows/follow-service.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
let school: TestNode;
let openCampus: TestNode;

beforeAll(async () => {
  [university, school, openCampus] = await Promise.all([
    startTestNode("univ", "University"),
    startTestNode("school", "School"),
    startTestNode("campus", "Open campus", { autoAccept: "127.0.0.1" }),
  ]);
});
afterAll(async () => {
  await Promise.all([university, school, openCampus].map((node) => node?.stop()));
});

describe("following between nodes over loopback HTTP, signed", () => {
  it("waits for an admin to approve a follow of an institution, then both sides agree", async () => {
    const schoolActor = school.node.institution;
    const universityActor = university.node.institution;
    await follow(contextOf(school), schoolActor, institutionOf(university));
    expect(
      (await school.node.services.follows.following(schoolActor.id, institutionOf(university)))
        ?.state,
    ).toBe("pending");

    const request = await eventually(() =>
      university.node.services.follows.follower(universityActor.id, institutionOf(school)),
    );
    expect(request.state).toBe("pending");
    // Remembered as @handle@host, with the port of a node that is not on 443.
    expect(
      (await university.node.services.follows.remoteActor(institutionOf(school)))?.handle,
    ).toBe(`school@${school.url.host}`);

    await answerFollow(contextOf(university), universityActor, institutionOf(school), "accepted");
    await eventually(
      async () =>
        (await school.node.services.follows.following(schoolActor.id, institutionOf(university)))
          ?.state === "accepted",
    );
    const followers = await fetch(new URL("/actors/institution/followers", university.url), {
      headers: { accept: "application/activity+json" },
    });
    expect(((await followers.json()) as { totalItems: number }).totalItems).toBe(1);
  });

  it("accepts at once a follow from a domain on the auto-accept list", async () => {
    await follow(contextOf(school), school.node.institution, institutionOf(openCampus));
    await eventually(
      async () =>
        (
          await school.node.services.follows.following(
            school.node.institution.id,
            institutionOf(openCampus),
          )
        )?.state === "accepted",
    );
    expect(
      (
        await openCampus.node.services.follows.follower(
          openCampus.node.institution.id,
          institutionOf(school),
        )
      )?.state,
    ).toBe("accepted");
  });

  it("tells the follower when a request is refused", async () => {
    await follow(contextOf(university), university.node.institution, institutionOf(school));
    await eventually(() =>
      school.node.services.follows.follower(school.node.institution.id, institutionOf(university)),
    );
    await answerFollow(
      contextOf(school),
      school.node.institution,
      institutionOf(university),
      "rejected",
    );
    await eventually(
      async () =>
        (
          await university.node.services.follows.following(
            university.node.institution.id,
            institutionOf(school),
          )
        )?.state === "rejected",
    );
  });

  it("removes the follower when the follow is undone", async () => {
    await unfollow(contextOf(school), school.node.institution, institutionOf(openCampus));
    await eventually(
      async () =>
        (await openCampus.node.services.follows.follower(
          openCampus.node.institution.id,
          institutionOf(school),
        )) === undefined,
    );
  });

  it("refuses to follow something that is not an actor", async () => {
    await expect(
      follow(
        contextOf(school),
        school.node.institution,
        new URL("/nodeinfo/2.1", university.url).href,
      ),
    ).rejects.toThrow(/not an account|Nothing was found/);
  });

  it("refuses an unsigned activity and one signed by someone else's claim", async () => {
    const forged = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${institutionOf(school)}/follows/forged`,
      type: "Follow",
      actor: institutionOf(school),
      object: institutionOf(university),
    };
    const response = await fetch(new URL("/actors/institution/inbox", university.url), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(forged),
    });
    expect(response.status).toBe(401);
    expect(
      (
        await university.node.services.follows.follower(
          university.node.institution.id,
          institutionOf(school),
        )
      )?.followId,
    ).not.toBe(forged.id);
  });

  it("ignores a replayed activity: the same signed Follow delivered twice is handled once", async () => {
    const ctx = contextOf(school);
    const keys = await school.node.services.actors.keyPairs(school.node.institution);
    const [published] = await ctx.getActorKeyPairs("institution");
    const follow = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${institutionOf(school)}/follows/replayed`,
      type: "Follow",
      actor: institutionOf(school),
      object: institutionOf(openCampus),
    };
    let handled = 0;
    const follows = openCampus.node.services.follows;
    const requestFollow = follows.requestFollow.bind(follows);
    follows.requestFollow = (...args) => {
      if (args[2] === follow.id) handled++;
      return requestFollow(...args);
    };
    for (let delivery = 0; delivery < 2; delivery++) {
      const request = new Request(new URL("/actors/institution/inbox", openCampus.url), {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(follow),
      });
      const signed = await signRequest(
        request,
        keys[0]?.privateKey as Parameters<typeof signRequest>[1],
        published?.keyId as URL,
      );
      expect((await fetch(signed)).status).toBeLessThan(300);
    }
    await eventually(() => handled > 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(handled).toBe(1);
  });
});
