import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let univ: TestNode;
let school: TestNode;

/** A teacher's web account on univ, signed in; its actor. */
async function signedInTeacher(username: string, displayName: string) {
  const { password } = await createAccount(
    { actors: univ.node.services.actors, accounts: new AccountRepository(univ.node.db) },
    { username, role: "teacher", displayName },
  );
  const client = new WebClient(univ.url);
  expect((await client.login(username, password)).status).toBe(303);
  const actor = (await univ.node.services.actors.byHandle(username)) as LocalActor;
  return { client, actor, uri: new URL(`/actors/${actor.identifier}`, univ.url).href };
}

describe("a teacher's own follow requests on the web", () => {
  beforeAll(async () => {
    [univ, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
  });
  afterAll(async () => {
    await Promise.all([univ, school].map((peer) => peer?.stop()));
  });

  it("lets the teacher, and no other teacher, accept a follow of their actor", async () => {
    const marie = await signedInTeacher("marie", "Marie Curie");
    const pierre = await signedInTeacher("pierre", "Pierre Curie");
    await follow(domainServices(contextOf(school)), school.node.institution, marie.uri);
    const request = await eventually(() =>
      univ.node.services.follows.follower(marie.actor.id, institutionOf(school)),
    );
    expect(request.state).toBe("pending");

    const feeds = await marie.client.page("/feeds");
    expect(feeds.html).toContain("1 follow request waits for your approval");
    expect(feeds.html).toMatch(/aria-label="Accept [^"]*school/);
    expect((await pierre.client.page("/feeds")).html).not.toContain("waits for your approval");

    // Another teacher's answer is about their own actor, whom nobody asked.
    const meddling = await pierre.client.post("/feeds/follow-requests", {
      decision: "accept",
      actor: institutionOf(school),
    });
    expect(meddling.status).toBe(404);
    expect(
      (await univ.node.services.follows.follower(marie.actor.id, institutionOf(school)))?.state,
    ).toBe("pending");

    const accepted = await marie.client.post("/feeds/follow-requests", {
      decision: "accept",
      actor: institutionOf(school),
    });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get("location")).toBe("/feeds?answered=accept");
    expect((await marie.client.page("/feeds?answered=accept")).html).toContain(
      "Accepted: the follower is told",
    );
    expect(
      (await univ.node.services.follows.follower(marie.actor.id, institutionOf(school)))?.state,
    ).toBe("accepted");
    await eventually(
      async () =>
        (await school.node.services.follows.following(school.node.institution.id, marie.uri))
          ?.state === "accepted",
    );
  });

  it("lets an admin answer for a teacher with coursefed follow-requests --for", async () => {
    const pierre = await univ.node.services.actors.byHandle("pierre");
    if (!pierre) throw new Error("pierre was made by the test before");
    const pierreUri = new URL(`/actors/${pierre.identifier}`, univ.url).href;
    await follow(domainServices(contextOf(school)), school.node.institution, pierreUri);
    await eventually(() => univ.node.services.follows.follower(pierre.id, institutionOf(school)));

    const own = await coursefed(univ, "follow-requests");
    expect(own.stdout).toBe("No follow requests are waiting.\n");
    const listed = await coursefed(univ, "follow-requests", "--for", "pierre");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(institutionOf(school));
    const unknown = await coursefed(univ, "follow-requests", "--for", "nobody");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("There is no local actor @nobody");

    const rejected = await coursefed(
      univ,
      "follow-requests",
      "--for",
      "pierre",
      "--reject",
      institutionOf(school),
    );
    expect(rejected.code).toBe(0);
    expect(await univ.node.services.follows.follower(pierre.id, institutionOf(school))).toBe(
      undefined,
    );
    await eventually(
      async () =>
        (await school.node.services.follows.following(school.node.institution.id, pierreUri))
          ?.state === "rejected",
    );
  });
});
