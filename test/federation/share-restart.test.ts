/**
 * A share job outlives its node: the node is killed while its site is making the backup,
 * and once started again it takes the job up from the backup and publishes the course,
 * and removes the staging folder the killed node left in the temporary folder.
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { initialAdminToken, serveNode } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { freePort } from "../support/test-node.ts";

const dataDir = mkdtempSync(join(tmpdir(), "coursefed-share-restart-"));
// The nodes' temporary folder, where they stage the site's backups: one of this test's own.
const temporary = join(dataDir, "tmp");
mkdirSync(temporary);
vi.stubEnv("TMPDIR", temporary);
let node: ChildProcess | undefined;
let moodle: Server | undefined;

afterAll(async () => {
  node?.kill("SIGKILL");
  moodle?.closeAllConnections();
  await new Promise<void>((resolve) => (moodle ? moodle.close(() => resolve()) : resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A site answering as local_coursefed does, whose first backup never ends (the node dies
 * while waiting for it); later ones are made at once.
 */
async function startMoodle(): Promise<{ url: string; backupsAsked: () => number }> {
  const backup = await buildTarGz([
    {
      name: "moodle_backup.xml",
      data: moodleBackupXml({ activities: [{ module: "page", id: 1, title: "Welcome" }] }),
    },
  ]);
  let asked = 0;
  let url = "";
  moodle = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.url?.startsWith("/webservice/pluginfile.php/")) {
        return response
          .writeHead(200, { "content-type": "application/vnd.moodle.backup" })
          .end(backup);
      }
      asked += 1;
      if (asked === 1) return;
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          filename: "backup.mbz",
          fileurl: `${url}/webservice/pluginfile.php/5/local_coursefed/backup/0/backup.mbz`,
          filesize: backup.length,
          contenthash: createHash("sha1").update(backup).digest("hex"),
          log: "backup settings: users=0",
        }),
      );
    });
  });
  await new Promise<void>((resolve) => moodle?.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(moodle.address() as AddressInfo).port}`;
  return { url, backupsAsked: () => asked };
}

describe("a share job and a node restart", () => {
  it("is taken up again after the node was killed in the middle of the backup", async () => {
    const site = await startMoodle();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}/api/v1`;
    const started = await serveNode(dataDir, port);
    node = started.process;
    const admin = initialAdminToken(started.output);
    const ada = Buffer.from(
      JSON.stringify({ id: 5, username: "ada", fullname: "Ada Lovelace", email: "" }),
    ).toString("base64url");
    /** A call with the site's token is made for Ada, a Moodle user of the site. */
    const call = async (path: string, token: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          ...(token === admin ? {} : { "coursefed-moodle-user": ada }),
        },
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const added = await call("/moodle/targets", admin, {
      method: "POST",
      body: JSON.stringify({ name: "campus", driver: "ws", url: site.url, token: "ws-token" }),
    });
    expect(added.status).toBe(201);
    const registered = await fetch(`${base}/moodle/targets/campus/registration`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}` },
    });
    const { code } = (await registered.json()) as { code: string };
    const siteToken = JSON.parse(
      Buffer.from(code.slice("coursefed-site:".length), "base64url").toString(),
    ).token as string;

    const asked = await call("/site/courses/2/share", siteToken, {
      method: "POST",
      body: JSON.stringify({ title: "Chimie organique" }),
    });
    expect(asked.status).toBe(202);
    const jobId = asked.body.job.id as string;
    // Killed only once the site has the backup request: the job's state says
    // "backing-up" a moment before the request leaves, and on a busy machine a node
    // killed in between would send the restarted node's request to the site's hang.
    await eventually(
      async () =>
        site.backupsAsked() === 1 &&
        (await call(`/site/share-jobs/${jobId}`, siteToken)).body.job.state === "backing-up",
    );
    node.kill("SIGKILL");
    await new Promise((resolve) => node?.once("exit", resolve));
    // The killed node's staging folder for the backup stays behind; as if that was long ago.
    const left = readdirSync(temporary);
    expect(left).toHaveLength(1);
    const longAgo = new Date(Date.now() - 11 * 60_000);
    utimesSync(join(temporary, left[0] as string), longAgo, longAgo);

    node = (await serveNode(dataDir, port)).process;
    // The message's lease (30 s) runs out, and a worker of the new process takes it.
    const job = await eventually(async () => {
      const { body } = await call(`/site/share-jobs/${jobId}`, siteToken);
      return body.job.state === "done" || body.job.state === "failed" ? body.job : undefined;
    }, 90_000);
    expect(job).toMatchObject({ state: "done", course: { revision: 1 } });
    expect(site.backupsAsked()).toBe(2);
    const state = await call("/site/courses/2", siteToken);
    expect(state.body).toMatchObject({ shared: true, course: { title: "Chimie organique" } });
    // The new node removed the dead one's staging folder, and its own once done.
    expect(readdirSync(temporary)).toEqual([]);
  }, 150_000);
});
