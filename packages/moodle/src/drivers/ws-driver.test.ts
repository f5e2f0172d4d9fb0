import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ArchiveDownload, RestoreDestination } from "../driver.ts";
import { PLUGIN_VERSION_NAMING_COURSES, PLUGIN_VERSION_PULLING, WsDriver } from "./ws-driver.ts";

/**
 * A site with local_coursefed at `pluginVersion`, answering as the plugin does: enough to
 * see which parameters the driver sends. The real plugin is tested in test/moodle.
 */
let pluginVersion = PLUGIN_VERSION_PULLING;
let calls: Array<Record<string, string>> = [];
let server: Server;
let url: string;
/** The archive is never read here: the site would pull it from `download.url`. */
const archivePath = "/var/lib/coursefed/blobs/ab/cd/abcd.mbz";
const download: ArchiveDownload = {
  url: new URL("https://node.example/archive-links/k3Fq0xJv9cR1mW7yTzB2nL5sD8gH4aE6uP0oI3eY1tQ"),
  sha256: "ab".repeat(32),
  size: 12_582_912,
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = (body: unknown) =>
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
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
          // A stock PHP's upload_max_filesize, which a restore no longer goes through.
          maxuploadbytes: 2 * 1024 * 1024,
        });
      }
      const known = ["target", "categoryid", "courseid"];
      known.push(
        ...(pluginVersion >= PLUGIN_VERSION_PULLING ? ["url", "sha256", "size"] : ["draftitemid"]),
      );
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
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  pluginVersion = PLUGIN_VERSION_PULLING;
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

describe("WsDriver restores by handing the site a download link", () => {
  it("sends the link, its digest and size with the names, probing the plugin once", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    const first = await driver.restore({
      archivePath,
      download,
      destination: named,
      expectedActivities: {},
    });
    await driver.restore({ archivePath, download, destination: named, expectedActivities: {} });
    expect(first.log).toBe("restore settings: users=0");
    expect(restoreCalls()).toEqual([
      {
        wsfunction: "local_coursefed_restore_course",
        url: download.url.href,
        sha256: download.sha256,
        size: "12582912",
        target: "newcourse",
        categoryid: "3",
        fullname: "Glossaire de chimie organique",
        shortname: "Glossaire de chimie organique",
      },
      expect.objectContaining({ url: download.url.href }),
    ]);
    // The probe's answer is kept: one site_info for both restores, and no upload at all.
    expect(calls.map((call) => call.wsfunction)).toEqual([
      "local_coursefed_site_info",
      "local_coursefed_restore_course",
      "local_coursefed_restore_course",
    ]);
  });

  it("refuses a plugin that still takes uploads, saying to update it, and asks again after", async () => {
    pluginVersion = PLUGIN_VERSION_PULLING - 1;
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    const refused = await driver
      .restore({ archivePath, download, destination: named, expectedActivities: {} })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "PLUGIN_MISSING",
      transient: false,
      message: expect.stringContaining(
        `has local_coursefed ${PLUGIN_VERSION_PULLING - 1}, which takes backups as uploads, limited by PHP's upload_max_filesize: update local_coursefed to version ${PLUGIN_VERSION_PULLING} or later`,
      ),
    });
    expect(restoreCalls()).toEqual([]);
    // Upgraded since: the next restore probes again and goes through.
    pluginVersion = PLUGIN_VERSION_PULLING;
    const after = await driver.restore({
      archivePath,
      download,
      destination: { kind: "existing-course", courseId: 12, mode: "merge" },
      expectedActivities: {},
    });
    expect(after.courseId).toBe(12);
    expect(calls.map((call) => call.wsfunction)).toEqual([
      "local_coursefed_site_info",
      "local_coursefed_site_info",
      "local_coursefed_restore_course",
    ]);
  });

  it("sends no names when none are given, nor for an existing course", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    await driver.restore({
      archivePath,
      download,
      destination: { kind: "new-course", categoryId: 3 },
      expectedActivities: {},
    });
    await driver.restore({
      archivePath,
      download,
      destination: { kind: "existing-course", courseId: 12, mode: "replace" },
      expectedActivities: {},
    });
    expect(restoreCalls().map((call) => Object.keys(call).sort())).toEqual([
      ["categoryid", "sha256", "size", "target", "url", "wsfunction"],
      ["courseid", "sha256", "size", "target", "url", "wsfunction"],
    ]);
  });

  it("refuses a name Moodle would not keep before calling the site", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    await expect(
      driver.restore({
        archivePath,
        download,
        destination: { kind: "new-course", categoryId: 3, fullName: "x".repeat(255) },
        expectedActivities: {},
      }),
    ).rejects.toMatchObject({ code: "RESTORE_FAILED", message: expect.stringContaining("254") });
    expect(calls).toEqual([]);
  });

  it("refuses a restore without a link, which it cannot hand the site", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    await expect(
      driver.restore({ archivePath, destination: named, expectedActivities: {} }),
    ).rejects.toMatchObject({
      code: "MISCONFIGURED",
      message: expect.stringContaining(
        "was given none for /var/lib/coursefed/blobs/ab/cd/abcd.mbz",
      ),
    });
    expect(calls).toEqual([]);
  });

  it("reports no size limit: the plugin's upload limit no longer bounds a restore", async () => {
    const driver = new WsDriver({ url, token: "t", timeoutMs: 5000 });
    const info = await driver.probe();
    expect(info.maxRestoreBytes).toBeNull();
    expect(info.plugins.local_coursefed).toBe(PLUGIN_VERSION_PULLING);
  });
});
