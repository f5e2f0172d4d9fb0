/**
 * A restore job into a ws target hands the site a link to the archive on this node, which
 * the site pulls (with a resume after a cut) before it restores; the link ends with the
 * job, whatever its outcome. The site here answers as local_coursefed does; the real
 * plugin pulls from a real node's link in test/moodle/ws-driver.test.ts.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLUGIN_VERSION_PULLING } from "../../packages/moodle/src/drivers/ws-driver.ts";
import { parseRegistrationCode } from "../../packages/node/src/moodle-sites/registration-code.ts";
import { requestRestore } from "../../packages/node/src/restores/restore-service.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove, publishToFollower } from "../support/federation-steps.ts";
import { nodeApi } from "../support/node-api.ts";
import { restorePerson } from "../support/restore-person.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

/** What the site was asked to restore, and what it found at the link. */
interface Pull {
  readonly parameters: Record<string, string>;
  readonly sha256: string;
  readonly size: number;
  readonly resumedWith: string;
}

describe.runIf(haveFixtures())("archive links of restore jobs", () => {
  let publisher: TestNode;
  let follower: TestNode;
  let site: Server;
  let objectUri: string;
  const pulls: Pull[] = [];
  let refuseNext = false;

  /** Downloads as the plugin does: the first response cut short, then the rest by range. */
  async function pull(url: string): Promise<Omit<Pull, "parameters">> {
    const first = await fetch(url);
    const reader = first.body?.getReader();
    // The cut: a few bytes kept of the first response (the fixture is one chunk long).
    const head = ((await reader?.read())?.value ?? new Uint8Array()).subarray(0, 1000);
    await reader?.cancel();
    const resumedWith = `bytes=${head.length}-`;
    const rest = await fetch(url, { headers: { range: resumedWith } });
    expect(rest.status).toBe(206);
    const whole = Buffer.concat([head, Buffer.from(await rest.arrayBuffer())]);
    return {
      sha256: createHash("sha256").update(whole).digest("hex"),
      size: whole.length,
      resumedWith,
    };
  }

  beforeAll(async () => {
    site = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const answer = (body: unknown) =>
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
        const parameters = Object.fromEntries(
          new URLSearchParams(Buffer.concat(chunks).toString()),
        );
        if (parameters.wsfunction === "local_coursefed_site_info") {
          return answer({
            version: "2024100706.00",
            release: "4.5.6 (Build: 20250811)",
            branch: "405",
            plugins: [
              { component: "mod_glossary", version: "2024100700" },
              { component: "local_coursefed", version: String(PLUGIN_VERSION_PULLING) },
            ],
            maxuploadbytes: 2 * 1024 * 1024,
          });
        }
        pulls.push({ parameters, ...(await pull(parameters.url as string)) });
        if (refuseNext) {
          refuseNext = false;
          return answer({
            exception: "local_coursefed\\local\\restore_failure",
            errorcode: "restorefailed",
            message: "The restore failed: precheck errors",
          });
        }
        return answer({
          courseid: 12,
          courseurl: "http://moodle.example/course/view.php?id=12",
          modules: [{ name: "glossary", count: 1 }],
          restoredmodules: [{ name: "glossary", count: 1 }],
          warnings: [],
          log: "restore settings: users=0",
        });
      });
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    [publisher, follower] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(follower, publisher);
    objectUri = await publishToFollower(
      publisher,
      follower,
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      { title: "Glossary" },
    );
    await follower.node.services.moodleTargets.add({
      name: "pulling",
      driver: "ws",
      url: `http://127.0.0.1:${(site.address() as AddressInfo).port}`,
      token: "t",
      timeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
    await new Promise<void>((resolve) => site?.close(() => resolve()));
  });

  async function restoreInto(categoryId: number, targetName = "pulling") {
    const job = await requestRestore(follower.node.services, {
      objectUri,
      targetName,
      destination: { kind: "new-course", categoryId },
      requestedBy: "admin",
      person: restorePerson(follower),
    });
    return await eventually(async () => {
      const held = await follower.node.services.restores.job(job.id);
      return held && (held.state === "succeeded" || held.state === "failed") ? held : undefined;
    });
  }

  it("hands the site a link to the archive on this node, which it pulls and resumes; the link ends with the job", async () => {
    const done = await restoreInto(3);
    expect(done.state).toBe("succeeded");
    const catalog = await follower.node.services.catalog.catalogEntry(objectUri);
    const [pulled] = pulls.splice(0);
    expect(pulled?.parameters).toMatchObject({
      wsfunction: "local_coursefed_restore_course",
      sha256: catalog?.sha256,
      size: String(catalog?.size),
      target: "newcourse",
      categoryid: "3",
    });
    expect(pulled?.parameters).not.toHaveProperty("draftitemid");
    const link = new URL(pulled?.parameters.url as string);
    expect(link.origin).toBe(follower.url.origin);
    expect(link.pathname).toMatch(/^\/archive-links\/[A-Za-z0-9_-]{43}$/);
    // What came through the link, cut and resumed, is the archive the catalog names.
    expect(pulled).toMatchObject({ sha256: catalog?.sha256, size: catalog?.size });
    expect(pulled?.resumedWith).toMatch(/^bytes=[1-9]\d*-$/);
    const after = await fetch(link);
    expect(after.status).toBe(404);
    expect(await after.text()).toContain("unknown or no longer valid");
  });

  it("makes the link with the target's own node URL, the address its site reaches the node by", async () => {
    const inside = await follower.node.services.moodleTargets.add({
      name: "pulling-inside",
      driver: "ws",
      url: `http://127.0.0.1:${(site.address() as AddressInfo).port}`,
      token: "t",
      timeoutMs: 10_000,
    });
    // Another name of this node than its public URL, as an internal address would be.
    const nodeUrl = `http://localhost:${follower.url.port}`;
    const set = await nodeApi(follower, "/moodle/targets/pulling-inside/node-url", {
      method: "PUT",
      json: { nodeUrl: `${nodeUrl}/` },
    });
    expect(set.status).toBe(200);
    expect(set.body.nodeUrl).toBe(nodeUrl);
    const withCredentials = await nodeApi(follower, "/moodle/targets/pulling-inside/node-url", {
      method: "PUT",
      json: { nodeUrl: `http://admin:secret@localhost:${follower.url.port}` },
    });
    expect(withCredentials.status).toBe(400);
    expect(withCredentials.body.error.code).toBe("invalid_target");

    const done = await restoreInto(5, inside.name);
    expect(done.state).toBe("succeeded");
    const [pulled] = pulls.splice(0);
    const link = new URL(pulled?.parameters.url as string);
    expect(link.origin).toBe(nodeUrl);
    expect(link.pathname).toMatch(/^\/archive-links\/[A-Za-z0-9_-]{43}$/);
    const catalog = await follower.node.services.catalog.catalogEntry(objectUri);
    expect(pulled).toMatchObject({ sha256: catalog?.sha256, size: catalog?.size });
    // The site's registration code names the node by the same address.
    const registered = await nodeApi(follower, "/moodle/targets/pulling-inside/registration", {
      method: "POST",
    });
    expect(parseRegistrationCode(registered.body.code).node).toBe(nodeUrl);
    // Other targets keep the public URL.
    await restoreInto(6);
    expect(new URL(pulls.splice(0)[0]?.parameters.url as string).origin).toBe(follower.url.origin);
  });

  it("ends the link of a failed restore too, and makes a new one for each attempt", async () => {
    refuseNext = true;
    const failed = await restoreInto(4);
    expect(failed).toMatchObject({ state: "failed", errorCode: "restore_failed" });
    const again = await restoreInto(4);
    expect(again.state).toBe("succeeded");
    const [first, second] = pulls.splice(0);
    expect(first?.parameters.url).not.toBe(second?.parameters.url);
    for (const each of [first, second]) {
      expect((await fetch(each?.parameters.url as string)).status).toBe(404);
    }
  });
});
