import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { follow } from "../../packages/node/src/follows/follow-service.ts";
import { initialAdminToken, serveNode } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

const dataDir = mkdtempSync(join(tmpdir(), "coursefed-crash-"));
let publisher: ChildProcess | undefined;
let follower: TestNode | undefined;

afterAll(async () => {
  publisher?.kill("SIGKILL");
  await follower?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.runIf(haveFixtures())("a node killed with deliveries queued", () => {
  it("delivers each activity exactly once after it restarts", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const started = await serveNode(dataDir, port);
    publisher = started.process;
    const token = initialAdminToken(started.output);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${base}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      });

    follower = await startTestNode("school");
    const received = new Map<string, number>();
    const receive = follower.node.services.catalog.receive.bind(follower.node.services.catalog);
    follower.node.services.catalog.receive = (entry) => {
      received.set(entry.objectUri, (received.get(entry.objectUri) ?? 0) + 1);
      return receive(entry);
    };
    const followerActor = new URL("/actors/institution", follower.url).href;
    await follow(
      domainServices(follower.node.federation.createContext(follower.url, follower.node.services)),
      follower.node.institution,
      `${base}/actors/institution`,
    );
    await eventually(
      async () =>
        ((await (await api("/follow-requests")).json()) as { items: unknown[] }).items.length === 1,
      15_000,
    );
    await api("/follow-requests/accept", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ actor: followerActor }),
    });
    await eventually(
      async () =>
        (
          await follower?.node.services.follows.following(
            follower.node.institution.id,
            `${base}/actors/institution`,
          )
        )?.state === "accepted",
      15_000,
    );

    // The follower goes down: the Creates wait in the publisher's queue.
    await follower.pause();
    const objects: string[] = [];
    for (const [name, title] of [
      ["m26dev-zip-course-glossary-nousers.mbz", "Glossary"],
      ["m324-tgz-course-files-scorm-nousers.mbz", "SCORM"],
      ["m262-tgz-course-availability-nousers.mbz", "Availability"],
    ] as const) {
      const upload = (await (
        await api("/uploads", {
          method: "POST",
          body: await readFile(fixture(name)),
          headers: { "content-type": "application/octet-stream" },
        })
      ).json()) as { id: string };
      const published = (await (
        await api("/courses", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ uploadId: upload.id, title }),
        })
      ).json()) as { object: string };
      objects.push(published.object);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    publisher.kill("SIGKILL");
    await new Promise((resolve) => publisher?.once("exit", resolve));

    // Back before the publisher restarts: fewer than five failed deliveries, so Fedify's
    // circuit breaker (which holds a failing peer back for 30 minutes) stays closed.
    await follower.resume();
    publisher = (await serveNode(dataDir, port)).process;
    await eventually(() => objects.every((object) => received.has(object)), 60_000);
    // Let any duplicate delivery arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(objects.map((object) => received.get(object))).toEqual([1, 1, 1]);
  }, 120_000);
});
