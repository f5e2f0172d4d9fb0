import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Flag } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../packages/node/src/audit/audit-log.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  institutionOf,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

// univ publishes; school follows it and reports univ's course.
let univ: TestNode;
let school: TestNode;
let directory: string;
let course: string;
let sent: { id: string; reporter: string };

/** The report univ received about `object`, once its inbox has it. */
const receivedAtUniv = (object: string) =>
  eventually(async () =>
    (await univ.node.services.reports.list("received")).find((r) => r.objectUri === object),
  );

/** How many deliveries univ made to `peer`'s server. */
const deliveriesTo = async (peer: TestNode) =>
  (await univ.node.services.peers.all()).find((p) => p.host === peer.url.host)?.deliveries ?? 0;

/** A Flag from school's institution to univ's, as another node's software might send it. */
async function flagFromSchool(name: string, objects: string[], content: string, reason?: string) {
  await contextOf(school).sendActivity(
    { identifier: "institution" },
    {
      id: new URL(institutionOf(univ)),
      inboxId: new URL("/actors/institution/inbox", univ.url),
    },
    new Flag({
      id: new URL(`/test-flags/${name}`, school.url),
      actor: new URL(institutionOf(school)),
      objects: objects.map((object) => new URL(object)),
      content,
      ...(reason ? { summary: reason } : {}),
    }),
  );
}

beforeAll(async () => {
  [univ, school] = await Promise.all([
    startTestNode("univ", "Université A"),
    startTestNode("school", "École B"),
  ]);
  await followAndApprove(school, univ);
  directory = await mkdtemp(join(tmpdir(), "coursefed-reports-"));
  course = await publishToFollower(univ, school, await writeOnePageBackup(directory), {
    title: "Chimie",
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([univ, school].map((peer) => peer?.stop()));
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("reports between nodes", () => {
  it("goes to our admins and, as a Flag from our institution, to the publisher's", async () => {
    const reported = await nodeApi(school, "/reports", {
      method: "POST",
      json: { object: course, reason: "copyright", comment: "Le chapitre 3\nvient d'un manuel." },
    });
    expect(reported.status).toBe(201);
    expect(reported.body).toMatchObject({ direction: "sent", state: "open", reason: "copyright" });
    sent = reported.body;
    const received = await receivedAtUniv(course);
    expect(received).toMatchObject({
      reason: "copyright",
      comment: "Le chapitre 3\nvient d'un manuel.",
      // The server, not the person: the Flag is our institution's.
      reporter: institutionOf(school),
      reporterServer: school.url.host,
      state: "open",
    });
    expect(received.reporter).not.toContain(sent.reporter);
    const audit = await school.node.services.reports.list("sent");
    expect(audit.map((report) => report.objectUri)).toEqual([course]);
  });

  it("lists the report in the publisher's queue, and its answer reaches the reporter", async () => {
    const received = await receivedAtUniv(course);
    const listed = await coursefed(univ, "reports", "list", "--direction", "received");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`from ${school.url.host}`);
    expect(listed.stdout).toContain("copyright");
    const answered = await coursefed(
      univ,
      "reports",
      "answer",
      received.id,
      "--text",
      "Merci : le chapitre sera réécrit <b>demain</b>.",
    );
    expect(answered.code).toBe(0);
    const back = await eventually(async () => {
      const report = await school.node.services.reports.report(sent.id);
      return report?.state === "answered" && report;
    });
    expect(back.answer).toBe("Merci : le chapitre sera réécrit <b>demain</b>.");
    const shown = await coursefed(school, "reports", "show", sent.id);
    expect(shown.stdout).toContain("réécrit <b>demain</b>");
  });

  it("refuses actions that do not fit the report's direction", async () => {
    const refused = await nodeApi(school, `/reports/${sent.id}/resolve`, {
      method: "POST",
      json: { action: "withdraw-course" },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("wrong_report_direction");
    const answer = await nodeApi(school, `/reports/${sent.id}/answer`, {
      method: "POST",
      json: { text: "?" },
    });
    expect(answer.status).toBe(409);
  });

  it("refuses a bad reason, a long comment, control characters, a course not in the catalog", async () => {
    const cases = [
      [{ object: course, reason: "boring", comment: "" }, 400],
      [{ object: course, reason: "other", comment: "x".repeat(2001) }, 400],
      [{ object: course, reason: "other", comment: "bell\u0007" }, 422],
      [{ object: "https://nowhere.example/courses/1", reason: "other", comment: "" }, 404],
    ] as const;
    for (const [json, status] of cases) {
      expect((await nodeApi(school, "/reports", { method: "POST", json })).status).toBe(status);
    }
  });

  it("limits one account to 10 reports an hour, with a clear 429", async () => {
    const now = Date.now();
    for (let n = 0; n < 9; n++) {
      await school.node.services.reports.add({
        id: crypto.randomUUID(),
        direction: "sent",
        objectUri: course,
        publisherUri: institutionOf(univ),
        title: "Chimie",
        reason: "other",
        comment: "",
        reporter: sent.reporter,
        reporterServer: school.url.host,
        activityId: new URL(`/reports/earlier-${n}`, school.url).href,
        createdAt: now,
      });
    }
    const refused = await coursefed(school, "report", course, "--reason", "broken");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("You sent 10 reports in the last hour");
  });

  it("drops a Flag about no course of ours, an oversized one, and a flood, with a log line", async () => {
    const warn = vi.spyOn(console, "warn");
    await flagFromSchool("not-ours", [new URL("/courses/nothing", univ.url).href], "?");
    await flagFromSchool("oversized", [course], "x".repeat(3000), "broken");
    await eventually(() => warn.mock.calls.some(([line]) => String(line).includes("not-ours")));
    await eventually(() => warn.mock.calls.some(([line]) => String(line).includes("oversized")));
    const lines = warn.mock.calls.map(([line]) => String(line));
    expect(lines.find((line) => line.includes("not-ours"))).toContain("no course of ours");
    expect(lines.find((line) => line.includes("oversized"))).toContain("at most 2000");
    // School has flagged once this hour; 29 more bring it to the limit.
    const now = Date.now();
    for (let n = 0; n < 29; n++) {
      await univ.node.services.reports.add({
        id: crypto.randomUUID(),
        direction: "received",
        objectUri: course,
        publisherUri: institutionOf(univ),
        title: "Chimie",
        reason: "other",
        comment: "",
        reporter: institutionOf(school),
        reporterServer: school.url.host,
        activityId: new URL(`/flood/${n}`, school.url).href,
        createdAt: now,
      });
    }
    await flagFromSchool("flood", [course], "one more", "other");
    await eventually(() => warn.mock.calls.some(([line]) => String(line).includes("flood")));
    expect(
      warn.mock.calls.map(([line]) => String(line)).find((l) => l.includes("/test-flags/flood")),
    ).toContain("30 reports in the last hour");
    const kept = (await univ.node.services.reports.list("received")).map((r) => r.activityId);
    for (const name of ["not-ours", "oversized", "flood"]) {
      expect(kept).not.toContain(new URL(`/test-flags/${name}`, school.url).href);
    }
    warn.mockRestore();
  });

  it("withdraws the reported course from the report: the reporter's catalog drops it", async () => {
    const received = await receivedAtUniv(course);
    const resolved = await nodeApi(univ, `/reports/${received.id}/resolve`, {
      method: "POST",
      json: { action: "withdraw-course" },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: "resolved", resolution: "course-withdrawn" });
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(course))?.deletedAt !== null,
    );
  });

  it("blocks the publisher alone from a report we sent: its next course stays out", async () => {
    const blocked = await nodeApi(school, `/reports/${sent.id}/resolve`, {
      method: "POST",
      json: { action: "block-publisher" },
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body.resolution).toBe("publisher-blocked");
    expect(await school.node.services.blockedActors.list()).toEqual([institutionOf(univ)]);
    // The server is not blocked: univ's Create is delivered, and dropped by school's inbox,
    // which says so once it has decided (nothing of it is handled after that line).
    expect((await school.node.services.settings.federationPolicy()).mode).toBe("open");
    const info = vi.spyOn(console, "info");
    const deliveredBefore = await deliveriesTo(school);
    const next = await publishCourse(
      domainServices(contextOf(univ)),
      univ.node.institution,
      await writeOnePageBackup(directory),
      { title: "Physique" },
    );
    await eventually(async () => (await deliveriesTo(school)) > deliveredBefore);
    const create = new URL(`/courses/${next.course.id}/revisions/1/activity`, univ.url).href;
    const dropped = await eventually(() =>
      info.mock.calls.map(([line]) => String(line)).find((line) => line.includes(create)),
    );
    expect(dropped).toContain(`from ${institutionOf(univ)} is dropped: an admin blocked`);
    info.mockRestore();
    const object = new URL(`/courses/${next.course.id}`, univ.url).href;
    expect(await school.node.services.catalog.catalogEntry(object)).toBeUndefined();
  });

  it("blocks the reporter's server, and the publisher's, through the federation policy", async () => {
    const received = await receivedAtUniv(course);
    const blocked = await nodeApi(univ, `/reports/${received.id}/resolve`, {
      method: "POST",
      json: { action: "block-reporter" },
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body.resolution).toBe("reporter-blocked");
    expect(await univ.node.services.settings.federationPolicy()).toEqual({
      mode: "blocklist",
      domains: [school.url.hostname],
    });
    // The blocked server's next Flag is refused at the door, before anything reads it.
    const flag = await fetch(new URL("/actors/institution/inbox", univ.url), {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        signature: `keyId="${institutionOf(school)}#main-key",algorithm="rsa-sha256",headers="(request-target)",signature="AA=="`,
      },
      body: JSON.stringify({ type: "Flag", actor: institutionOf(school), object: course }),
    });
    expect(flag.status).toBe(403);
    const published = await nodeApi(school, `/reports/${sent.id}/resolve`, {
      method: "POST",
      json: { action: "block-publisher-server" },
    });
    expect(published.status).toBe(200);
    expect(await school.node.services.settings.federationPolicy()).toEqual({
      mode: "blocklist",
      domains: [univ.url.hostname],
    });
    const { entries } = await new AuditLog(univ.node.db).page({ limit: 20, offset: 0 });
    expect(entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(["report.answer", "report.resolve", "settings.federation"]),
    );
  });
});
