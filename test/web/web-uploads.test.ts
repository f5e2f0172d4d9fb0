import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { type CoursefedNode, createNode } from "../../packages/node/src/node.ts";
import { type RunningServer, startServer } from "../../packages/node/src/server.ts";
import { ABANDONED_UPLOAD_AGE_MS } from "../../packages/node/src/uploads/abandoned-uploads.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

let first: TestNode;
/** A second node object on the same data directory and database: another process. */
let second: CoursefedNode | undefined;
let secondServer: RunningServer | undefined;
const passwords: Record<string, string> = {};

async function signedIn(username: string, at: URL = first.url): Promise<WebClient> {
  const client = new WebClient(at);
  expect((await client.login(username, passwords[username] as string)).status).toBe(303);
  await client.page("/publish");
  return client;
}

/** The upload as the page's script sends it: the file as the body, the token in a header. */
async function upload(client: WebClient, name: string): Promise<string> {
  const response = await fetch(new URL("/publish/upload", first.url), {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: `coursefed_session=${client.cookie("coursefed_session")}`,
      "content-type": "application/octet-stream",
      "x-csrf-token": client.csrf,
    },
    body: readFileSync(fixture(name)),
  });
  expect(response.status).toBe(303);
  return response.headers.get("location") as string;
}

describe.runIf(haveFixtures())("web uploads kept in the database", () => {
  beforeAll(async () => {
    first = await startTestNode("univ");
    const stores = {
      actors: first.node.services.actors,
      accounts: new AccountRepository(first.node.db),
    };
    for (const username of ["marie", "pierre"]) {
      passwords[username] = (await createAccount(stores, { username, role: "teacher" })).password;
    }
  });
  afterAll(async () => {
    await secondServer?.close();
    await second?.close();
    await first?.stop();
  });

  it("publishes from the form handled by another process than the upload", async () => {
    const marie = await signedIn("marie");
    const review = await upload(marie, "m26dev-zip-course-glossary-nousers.mbz");
    expect(review).toMatch(/^\/publish\/review\//);

    // Another process on the same database and data directory, as behind a load
    // balancer: the same account, signed in there, finds the upload and publishes it.
    second = await createNode(first.node.config);
    secondServer = await startServer(second, await freePort());
    const there = new URL(`http://127.0.0.1:${secondServer.address.port}/`);
    const marieThere = await signedIn("marie", there);
    const scan = await marieThere.page(review);
    expect(scan.status).toBe(200);
    expect(scan.html).toContain("No personal data");
    expect(scan.html).toContain("glossary × 1");
    // Each upload is its account's alone.
    const pierre = await signedIn("pierre", there);
    expect((await pierre.page(review)).status).toBe(404);

    const published = await marieThere.post(review, {
      title: "Glossaire",
      tags: "chimie",
      visibility: "public",
    });
    expect(published.status).toBe(303);
    const course = (await second.services.courses.publishedCourses()).find(
      (each) => each.title === "Glossaire",
    );
    const revision = await second.services.courses.latestRevision(course?.id as string);
    expect(await second.services.blobs.has(revision?.sha256 as string)).toBeDefined();
    // Published, the upload is gone, in every process.
    expect((await marie.page(review)).status).toBe(404);
    const { webUploads } = first.node.db.tables;
    expect(await first.node.db.select().from(webUploads)).toEqual([]);
  });

  it("keeps an upload for a day", async () => {
    const marie = await signedIn("marie");
    const review = await upload(marie, "m26dev-zip-course-glossary-nousers.mbz");
    expect((await marie.page(review)).status).toBe(200);
    const { webUploads } = first.node.db.tables;
    const id = review.split("/").at(-1) as string;
    await first.node.db
      .update(webUploads)
      .set({ createdAt: Date.now() - ABANDONED_UPLOAD_AGE_MS - 1000 })
      .where(eq(webUploads.id, id));
    const gone = await marie.page(review);
    expect(gone.status).toBe(404);
    expect(gone.html).toContain("Upload not found");
  });
});
