import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStore } from "../../packages/node/src/blobs/blob-store.ts";
import { downloadResumably } from "../../packages/node/src/blobs/resumable-download.ts";
import { fetchCatalogArchive } from "../../packages/node/src/catalog/fetch-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { openSqliteDatabase } from "../../packages/node/src/db/sqlite-database.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { withInstitutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import { coursefedBin } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";

/** The usual umask, under which files would be 0644 and folders 0755 unless made private. */
const USUAL_UMASK = 0o022;
let umaskBefore: number;
const scratch = mkdtempSync(join(tmpdir(), "coursefed-at-rest-"));

beforeAll(() => {
  umaskBefore = process.umask(USUAL_UMASK);
});
afterAll(() => {
  process.umask(umaskBefore);
  rmSync(scratch, { recursive: true, force: true });
});

/** Every file and folder under `root` (itself included, as "."), with its permission bits. */
function modesUnder(root: string): Record<string, string> {
  const modes: Record<string, string> = {};
  const visit = (path: string) => {
    const stats = statSync(path);
    modes[relative(root, path) || "."] = (stats.mode & 0o777).toString(8);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return modes;
}

/** What `modesUnder` finds when all of it is private: folders 700, files 600. */
function allPrivate(root: string): Record<string, string> {
  const modes = modesUnder(root);
  return Object.fromEntries(
    Object.keys(modes).map((path) => [
      path,
      statSync(join(root, path)).isDirectory() ? "700" : "600",
    ]),
  );
}

describe.runIf(haveFixtures())("a node's data at rest, under umask 022", () => {
  let publisher: TestNode;
  let follower: TestNode;

  beforeAll(async () => {
    [publisher, follower] = await Promise.all([
      startTestNode("univ", "University"),
      startTestNode("school", "School"),
    ]);
    await followAndApprove(follower, publisher);
  });
  afterAll(async () => {
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("is its user's only after it published, received and fetched a course", async () => {
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m324-tgz-course-files-scorm-nousers.mbz"),
      { title: "Private at rest", visibility: "followers" },
    );
    const object = new URL(`/courses/${published.course.id}`, publisher.url).href;
    await eventually(() => follower.node.services.catalog.catalogEntry(object));
    const stored = await fetchCatalogArchive(withInstitutionSigner(contextOf(follower)), object);
    expect(stored.sha256).toBe(published.revision.sha256);

    const blob = (sha256: string) => join("blobs", sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    for (const peer of [publisher, follower]) {
      const dataDir = peer.node.config.dataDir;
      const modes = modesUnder(dataDir);
      expect(modes).toHaveProperty([blob(stored.sha256)]);
      if (peer.node.db.engine === "sqlite") {
        expect(Object.keys(modes)).toEqual(
          expect.arrayContaining(["node.sqlite", "node.sqlite-wal", "node.sqlite-shm"]),
        );
      }
      expect(modes).toEqual(allPrivate(dataDir));
    }
  });
});

describe("the node's files when they are created, under umask 022", () => {
  it("makes a data directory that did not exist private, for the archives", async () => {
    const dataDir = join(scratch, "archives-first", "data");
    const store = new BlobStore(join(dataDir, "blobs"));
    const bytes = randomBytes(1000);
    const { sha256 } = await store.put(Readable.from([bytes]));
    expect(statSync(store.pathOf(sha256)).size).toBe(1000);
    expect(modesUnder(join(scratch, "archives-first"))).toEqual(
      allPrivate(join(scratch, "archives-first")),
    );
    expect(Object.keys(modesUnder(dataDir))).toContain("blobs/incoming");
  });

  it("makes a data directory that did not exist private, for the SQLite database", async () => {
    const dataDir = join(scratch, "database-first", "data");
    const db = openSqliteDatabase(join(dataDir, "node.sqlite"));
    try {
      await db.select().from(db.tables.nodeSettings);
      expect(Object.keys(modesUnder(dataDir)).sort()).toEqual(
        [".", "node.sqlite", "node.sqlite-shm", "node.sqlite-wal"].sort(),
      );
      expect(modesUnder(join(scratch, "database-first"))).toEqual(
        allPrivate(join(scratch, "database-first")),
      );
    } finally {
      await db.close();
    }
  });

  it("writes an archive on its way in private, while it arrives", async () => {
    const root = join(scratch, "incoming");
    const store = new BlobStore(root);
    const content = new PassThrough();
    const stored = store.put(content);
    content.write(randomBytes(4096));
    const arriving = await eventually(() => {
      const names = (() => {
        try {
          return readdirSync(join(root, "incoming"));
        } catch {
          return [];
        }
      })();
      const name = names[0];
      return name !== undefined && statSync(join(root, "incoming", name)).size > 0 && name;
    });
    expect((statSync(join(root, "incoming", arriving)).mode & 0o777).toString(8)).toBe("600");
    content.end();
    await stored;
  });

  describe("a download cut halfway", () => {
    const archive = randomBytes(512 * 1024);
    const sha256 = createHash("sha256").update(archive).digest("hex");
    let server: Server;
    let url: URL;

    beforeAll(async () => {
      // Sends half the archive, then drops the connection.
      server = createServer((_request, response) => {
        response.writeHead(200, { "content-length": archive.length, etag: `"${sha256}"` });
        response.write(archive.subarray(0, archive.length / 2), () => response.destroy());
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/archive.mbz`);
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it("leaves its partial file, its folder and its lock private", async () => {
      const root = join(scratch, "partial");
      const store = new BlobStore(root);
      let lockMode = "";
      const failed = await store
        .download(sha256, async (partial) => {
          lockMode = (statSync(`${partial}.lock`).mode & 0o777).toString(8);
          return await downloadResumably(url, partial, sha256);
        })
        .catch((error: unknown) => error);
      expect((failed as Error).message).toContain("was cut");
      expect(lockMode).toBe("600");
      const modes = modesUnder(root);
      expect(modes).toHaveProperty([`partial/${sha256}.part`]);
      expect(modes).toEqual(allPrivate(root));
    });
  });
});

/**
 * Runs `coursefed serve` on `dataDir` until it says it is running, then stops it as an
 * admin would; returns what it printed on stderr.
 */
async function serveOnce(dataDir: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      coursefedBin,
      "serve",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${await freePort()}`,
      "--allow-private-addresses",
    ],
    // On SQLite, in the data directory, whichever project runs the test.
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DATABASE_URL: undefined } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await eventually(() => {
      if (child.exitCode !== null) throw new Error(`coursefed serve exited: ${stderr}`);
      return stdout.includes("coursefed node running:");
    }, 60_000);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
  return stderr;
}

describe("coursefed serve and a data directory open to others", () => {
  it("creates it private, and warns without changing it when it was opened up", async () => {
    const dataDir = join(scratch, "served");
    expect(await serveOnce(dataDir)).not.toContain("warning");
    expect(modesUnder(dataDir)).toEqual(allPrivate(dataDir));

    // As an earlier version under umask 022 left it.
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, "node.sqlite"), 0o644);
    const warnings = (await serveOnce(dataDir))
      .split("\n")
      .filter((line) => line.includes("warning"));
    expect(warnings).toEqual([
      `coursefed serve: warning: other users of this machine can read ${dataDir} (mode 755), ${join(dataDir, "node.sqlite")} (mode 644), which hold the node's private keys, Moodle tokens and archives; to keep them private run: chmod -R go= ${dataDir}`,
    ]);
    // Warned, not changed: the administrator decides.
    expect(modesUnder(dataDir)["."]).toBe("755");
    expect(modesUnder(dataDir)["node.sqlite"]).toBe("644");
  });
});
