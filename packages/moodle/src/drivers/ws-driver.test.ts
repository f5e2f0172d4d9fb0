import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RestoreDestination } from "../driver.ts";
import { PLUGIN_VERSION_NAMING_COURSES, WsDriver } from "./ws-driver.ts";

/**
 * A site with local_coursefed at `pluginVersion`, answering as the plugin does: enough to
 * see which parameters the driver sends. The real plugin is tested in test/moodle.
 */
let pluginVersion = PLUGIN_VERSION_NAMING_COURSES;
let calls: Array<Record<string, string>> = [];
let server: Server;
let url: string;
let scratch: string;
let archivePath: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = (body: unknown) =>
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (request.url?.startsWith("/webservice/upload.php")) {
        calls.push({ wsfunction: "upload" });
        return answer([{ itemid: 7, filename: "course.mbz" }]);
      }
      const parameters = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const { wstoken: _token, moodlewsrestformat: _format, ...call } = parameters;
      calls.push(call as Record<string, string>);
      if (call.wsfunction === "local_coursefed_site_info") {
        return answer({
          version: "2024100706.00",
          release: "4.5.6 (Build: 20250811)",
          branch: "405",
          plugins: [
            { component: "mod_quiz", version: "2024100700" },
            { component: "local_coursefed", version: String(pluginVersion) },
          ],
          maxuploadbytes: 0,
        });
      }
      const known = ["draftitemid", "target", "categoryid", "courseid"];
      if (pluginVersion >= PLUGIN_VERSION_NAMING_COURSES) known.push("fullname", "shortname");
      const unexpected = Object.keys(call).filter(
        (key) => key !== "wsfunction" && !known.includes(key),
      );
      if (unexpected.length > 0) {
        return answer({
          exception: "invalid_parameter_exception",
          errorcode: "invalidparameter",
          message: `Invalid parameter value detected (Unexpected keys (${unexpected.join(", ")}) detected in parameter array.)`,
        });
      }
      return answer({
        courseid: 12,
        courseurl: `${url}/course/view.php?id=12`,
        modules: [],
        restoredmodules: [],
        warnings: [],
        log: "restore settings: users=0",
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scratch = await mkdtemp(join(tmpdir(), "coursefed-ws-unit-"));
  archivePath = join(scratch, "course.mbz");
  await writeFile(archivePath, "not read by this fake site");
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  pluginVersion = PLUGIN_VERSION_NAMING_COURSES;
  calls = [];
});

const named: RestoreDestination = {
  kind: "new-course",
  categoryId: 3,
  fullName: "Glossaire de chimie organique",
};

function restoreCalls() {
  return calls.filter((call) => call.wsfunction === "local_coursefed_restore_course");
}

describe("WsDriver names a new course", () => {
  it("sends fullname and shortname to a plugin that takes them, probing it once", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    const first = await driver.restore({ archivePath, destination: named, expectedActivities: {} });
    await driver.restore({ archivePath, destination: named, expectedActivities: {} });
    expect(first.log).toBe("restore settings: users=0");
    expect(restoreCalls()).toEqual([
      {
        wsfunction: "local_coursefed_restore_course",
        draftitemid: "7",
        target: "newcourse",
        categoryid: "3",
        fullname: "Glossaire de chimie organique",
        shortname: "Glossaire de chimie organique",
      },
      expect.objectContaining({ fullname: "Glossaire de chimie organique" }),
    ]);
    // The probe's answer is kept: one site_info for both restores, before the first upload.
    expect(calls.map((call) => call.wsfunction)).toEqual([
      "local_coursefed_site_info",
      "upload",
      "local_coursefed_restore_course",
      "upload",
      "local_coursefed_restore_course",
    ]);
  });

  it("sends no names to an older plugin, which would refuse them, and says so in the log", async () => {
    pluginVersion = PLUGIN_VERSION_NAMING_COURSES - 1;
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    const outcome = await driver.restore({
      archivePath,
      destination: named,
      expectedActivities: {},
    });
    expect(outcome.courseId).toBe(12);
    expect(restoreCalls()).toEqual([
      {
        wsfunction: "local_coursefed_restore_course",
        draftitemid: "7",
        target: "newcourse",
        categoryid: "3",
      },
    ]);
    expect(outcome.log).toContain(
      `local_coursefed ${PLUGIN_VERSION_NAMING_COURSES - 1} cannot name a new course, which keeps the backup's names instead of 'Glossaire de chimie organique': upgrade it`,
    );
    // Upgraded since: the next restore asks again and names the course.
    pluginVersion = PLUGIN_VERSION_NAMING_COURSES;
    const after = await driver.restore({ archivePath, destination: named, expectedActivities: {} });
    expect(after.log).not.toContain("cannot name");
    expect(restoreCalls()[1]).toMatchObject({ fullname: "Glossaire de chimie organique" });
  });

  it("neither probes nor sends names when none are given, nor for an existing course", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    await driver.restore({
      archivePath,
      destination: { kind: "new-course", categoryId: 3 },
      expectedActivities: {},
    });
    await driver.restore({
      archivePath,
      destination: { kind: "existing-course", courseId: 12, mode: "merge" },
      expectedActivities: {},
    });
    expect(calls.map((call) => call.wsfunction)).not.toContain("local_coursefed_site_info");
    expect(restoreCalls().map((call) => Object.keys(call).sort())).toEqual([
      ["categoryid", "draftitemid", "target", "wsfunction"],
      ["courseid", "draftitemid", "target", "wsfunction"],
    ]);
  });

  it("refuses a name Moodle would not keep before calling the site", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    await expect(
      driver.restore({
        archivePath,
        destination: { kind: "new-course", categoryId: 3, fullName: "x".repeat(255) },
        expectedActivities: {},
      }),
    ).rejects.toMatchObject({ code: "RESTORE_FAILED", message: expect.stringContaining("254") });
    expect(calls).toEqual([]);
  });
});
