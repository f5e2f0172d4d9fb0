import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import {
  answerFollow,
  FollowError,
  follow,
  followingState,
  unfollow,
} from "../../packages/node/src/follows/follow-service.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

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
    await follow(domainServices(contextOf(school)), schoolActor, institutionOf(university));
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

    await answerFollow(
      domainServices(contextOf(university)),
      universityActor,
      institutionOf(school),
      "accepted",
    );
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
    await follow(
      domainServices(contextOf(school)),
      school.node.institution,
      institutionOf(openCampus),
    );
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
    await follow(
      domainServices(contextOf(university)),
      university.node.institution,
      institutionOf(school),
    );
    await eventually(() =>
      school.node.services.follows.follower(school.node.institution.id, institutionOf(university)),
    );
    await answerFollow(
      domainServices(contextOf(school)),
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
    await unfollow(
      domainServices(contextOf(school)),
      school.node.institution,
      institutionOf(openCampus),
    );
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
        domainServices(contextOf(school)),
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

describe("following by handle on an http intranet, and why a follow is refused", () => {
  let strict: TestNode;
  let closed: TestNode;

  beforeAll(async () => {
    [strict, closed] = await Promise.all([
      startTestNode("strict", "Strict", { federation: "allowlist", domains: "example.org" }),
      startTestNode("closed", "Closed", { allowPrivateAddresses: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([strict, closed].map((node) => node?.stop()));
  });

  /** The FollowError a follow fails with. */
  async function refusal(from: TestNode, target: string) {
    const error = await follow(domainServices(contextOf(from)), from.node.institution, target).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FollowError);
    return error as FollowError;
  }

  it("follows @handle@host of a node on loopback http, as by its actor URL", async () => {
    const handle = `@univ@${university.url.host}`;
    const following = await follow(
      domainServices(contextOf(openCampus)),
      openCampus.node.institution,
      handle,
    );
    expect(following.actorUri).toBe(institutionOf(university));
    expect(following.state).toBe("pending");
    const request = await eventually(() =>
      university.node.services.follows.follower(
        university.node.institution.id,
        institutionOf(openCampus),
      ),
    );
    expect(request.state).toBe("pending");
    // A teacher's handle too, written without the leading @.
    await expect(
      follow(
        domainServices(contextOf(openCampus)),
        openCampus.node.institution,
        `nobody@${university.url.host}`,
      ),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining(`has no account nobody`),
    });
  });

  it("names the federation policy, its setting and how to change it", async () => {
    const error = await refusal(strict, `@univ@${university.url.host}`);
    expect(error.code).toBe("NOT_FEDERATED");
    expect(error.message).toContain("127.0.0.1 is not on this node's federation allowlist");
    expect(error.message).toContain("example.org");
    expect(error.message).toContain("COURSEFED_FEDERATION_DOMAINS");
    expect((await refusal(strict, institutionOf(university))).code).toBe("NOT_FEDERATED");
  });

  it("names --allow-private-addresses for a private address the node may not reach", async () => {
    for (const target of [`@univ@${university.url.host}`, institutionOf(university)]) {
      const error = await refusal(closed, target);
      expect(error.code).toBe("PRIVATE_ADDRESS");
      expect(error.message).toContain("127.0.0.1 is a private or loopback address");
      expect(error.message).toContain("--allow-private-addresses");
      expect(error.message).toContain("COURSEFED_ALLOW_PRIVATE_ADDRESSES");
    }
    // Through the API, as the CLI and the web pages show it.
    const response = await fetch(new URL("/api/v1/follows", closed.url), {
      method: "POST",
      headers: { authorization: `Bearer ${closed.token}`, "content-type": "application/json" },
      body: JSON.stringify({ target: `@univ@${university.url.host}` }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { code: "private_address", message: expect.stringContaining("--allow-private") },
    });
    const cli = await coursefed(closed, "follow", `@univ@${university.url.host}`);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/^coursefed: 127\.0\.0\.1 is a private or loopback address/);
    expect(cli.stderr).toContain("--allow-private-addresses");
  });

  it("says a node that does not answer is unreachable, with the network's reason", async () => {
    const silent = `127.0.0.1:${await freePort()}`;
    const byHandle = await refusal(school, `@univ@${silent}`);
    expect(byHandle.code).toBe("UNREACHABLE");
    expect(byHandle.message).toContain(`${silent} could not be reached`);
    expect(byHandle.message).toContain("ECONNREFUSED");
    const byUrl = await refusal(school, `http://${silent}/actors/institution`);
    expect(byUrl.code).toBe("UNREACHABLE");
    expect(byUrl.message).toContain("ECONNREFUSED");
    const response = await fetch(new URL("/api/v1/follows", school.url), {
      method: "POST",
      headers: { authorization: `Bearer ${school.token}`, "content-type": "application/json" },
      body: JSON.stringify({ target: `@univ@${silent}` }),
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unreachable");
    // The CLI's exit code for a node that could not be reached, and the reason, no trace.
    const cli = await coursefed(school, "follow", `@univ@${silent}`);
    expect(cli.code).toBe(5);
    expect(cli.stderr).toContain("ECONNREFUSED");
    expect(cli.stderr).not.toMatch(/^\s+at /m);
  });

  it("says the other side refused once its Reject came back: the API, and the CLI's follow --wait", async () => {
    const universityActor = university.node.institution;
    // The request left pending by the first test is refused first, so that the next one is new.
    await answerFollow(
      domainServices(contextOf(university)),
      universityActor,
      institutionOf(openCampus),
      "rejected",
    );
    const asking = coursefed(
      openCampus,
      "follow",
      `@univ@${university.url.host}`,
      "--wait",
      "--timeout",
      "40s",
    );
    await eventually(
      () =>
        university.node.services.follows.follower(universityActor.id, institutionOf(openCampus)),
      30_000,
    );
    await answerFollow(
      domainServices(contextOf(university)),
      universityActor,
      institutionOf(openCampus),
      "rejected",
    );
    const cli = await asking;
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      `coursefed: @univ@${university.url.host} refused to be followed by @campus: its server answered with a Reject`,
    );
    await expect(
      followingState(
        openCampus.node.services,
        openCampus.node.institution,
        institutionOf(university),
      ),
    ).rejects.toMatchObject({ code: "REJECTED" });
    const response = await fetch(
      new URL(
        `/api/v1/follows?${new URLSearchParams({ actor: institutionOf(university) })}`,
        openCampus.url,
      ),
      { headers: { authorization: `Bearer ${openCampus.token}` } },
    );
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("rejected");
    // An accepted follow is reported as such.
    const accepted = await coursefed(school, "follow", institutionOf(openCampus), "--wait");
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toBe(`Follow sent to ${institutionOf(openCampus)}: accepted\n`);
  }, 60_000);

  it("says what was found instead of an actor, and what is not an address at all", async () => {
    const collection = await refusal(
      school,
      new URL("/actors/institution/followers", university.url).href,
    );
    expect(collection.code).toBe("NOT_AN_ACTOR");
    expect(collection.message).toContain("is an ActivityPub OrderedCollection");
    const missing = await refusal(school, new URL("/actors/nobody", university.url).href);
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toContain("HTTP 404");
    const garbled = await refusal(school, "univ at the university");
    expect(garbled.code).toBe("BAD_TARGET");
    expect(garbled.message).toContain("@user@host");
  });
});
