/**
 * local_coursefed pulls what it restores from the node's archive link, on a site with
 * PHP's stock upload limits (upload_max_filesize 2M, post_max_size 8M, as php.ini ships
 * them and as the test site's `php -S` runs): a backup several times larger than any
 * upload the site accepts restores whole, a cut download resumes, and a download that is
 * not the archive announced is refused with nothing restored and nothing left on disk.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MoodleError } from "../../packages/moodle/src/errors.ts";
import {
  ArchiveLinkServer,
  downloadsLeft,
  PullingWsDriver,
} from "../support/archive-link-server.ts";
import { type BulkyBackup, buildBulkyBackup } from "../support/bulky-backup.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite, siteScript } from "../support/moodle-site.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { queryMoodle } from "./moodle-database.ts";

const run = promisify(execFile);
const MIB = 1024 * 1024;
/**
 * The bulky backup's size: 16 MiB by default, twice post_max_size and eight times
 * upload_max_filesize. COURSEFED_PULL_TEST_MIB measures a larger one (e.g. 200).
 */
const BULKY_MIB = Number(process.env.COURSEFED_PULL_TEST_MIB ?? 16);
const FILE_MIB = 4;
const TIMEOUT_MS = 15 * 60_000;

/** PHP's limits as the site's web server (php -S, the CLI's php.ini) runs with them. */
async function phpUploadLimits(): Promise<{ upload: string; post: string }> {
  const { stdout } = await run("php", [
    "-r",
    'echo ini_get("upload_max_filesize"), " ", ini_get("post_max_size");',
  ]);
  const [upload = "", post = ""] = stdout.trim().split(" ");
  return { upload, post };
}

/** The files of a course's summary area, as Moodle stored them: name, size and SHA-1. */
async function summaryFiles(site: LiveMoodleSite, courseId: number) {
  const rows = await queryMoodle(
    site,
    `SELECT f.filename, f.filesize, f.contenthash FROM mdl_files f
       JOIN mdl_context x ON x.id = f.contextid AND x.contextlevel = 50
      WHERE x.instanceid = ${Number(courseId)} AND f.component = 'course'
        AND f.filearea = 'summary' AND f.filename <> '.'
`,
  );
  return byName(rows.map(([name, size, sha1]) => ({ name: name ?? "", size: Number(size), sha1 })));
}

function byName<T extends { readonly name: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

describeOnEachMoodle(
  "local_coursefed pulls the backups it restores",
  (site) => {
    let links: ArchiveLinkServer;
    let driver: PullingWsDriver;
    let scratch: string;
    let bulky: BulkyBackup;
    let bulkyPath: string;

    beforeAll(async () => {
      links = await ArchiveLinkServer.start();
      await siteScript(site, "serve");
      const token = await installCoursefedPlugin(site);
      driver = new PullingWsDriver(links, { url: site.wwwroot, token, timeoutMs: TIMEOUT_MS });
      scratch = await mkdtemp(join(tmpdir(), "coursefed-pull-"));
      bulkyPath = join(scratch, "bulky.mbz");
      bulky = await buildBulkyBackup(
        fixture("m324-tgz-course-files-scorm-nousers.mbz"),
        bulkyPath,
        { count: Math.ceil(BULKY_MIB / FILE_MIB), fileBytes: FILE_MIB * MIB },
      );
    }, TIMEOUT_MS);

    afterAll(async () => {
      await links?.stop();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it(
      "restores a backup larger than any upload the site accepts, every byte of it",
      async () => {
        // Stock limits: what made the upload of a 12 MB course fail before.
        expect(await phpUploadLimits()).toEqual({ upload: "2M", post: "8M" });
        expect(bulky.size).toBeGreaterThan(12 * 1000 * 1000);
        const started = performance.now();
        const outcome = await driver.restore({
          archivePath: bulkyPath,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        });
        const seconds = (performance.now() - started) / 1000;
        console.info(
          `ws restore of a ${(bulky.size / MIB).toFixed(1)} MiB backup on ${site.name}: ${seconds.toFixed(1)} s`,
        );
        expect(outcome.log).toContain("users=0");
        expect(await summaryFiles(site, outcome.courseId)).toEqual(byName(bulky.files));
        expect(await downloadsLeft(site)).toEqual([]);
        // One plain download, no upload anywhere.
        expect(links.served.filter((request) => request.method === "GET")).toEqual([
          { method: "GET", range: null, status: 200 },
        ]);
      },
      TIMEOUT_MS,
    );

    it("resumes a download cut in the middle with a range, and restores the whole", async () => {
      links.served.length = 0;
      links.cutNextAfter = 3 * MIB + 17;
      const outcome = await driver.restore({
        archivePath: bulkyPath,
        destination: { kind: "new-course", categoryId: 1 },
        expectedActivities: {},
      });
      expect(await summaryFiles(site, outcome.courseId)).toEqual(byName(bulky.files));
      const gets = links.served.filter((request) => request.method === "GET");
      expect(gets[0]).toEqual({ method: "GET", range: null, status: 200 });
      // What came before the cut was kept: the resume asks for the rest only.
      expect(gets.slice(1)).toEqual([
        { method: "GET", range: expect.stringMatching(/^bytes=[1-9]\d*-$/), status: 206 },
      ]);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]?.range ?? "")?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(3 * MIB + 17);
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("refuses an archive whose sha256 or size is not the one announced: nothing restored, nothing left", async () => {
      const title = `Pulled wrong ${Date.now().toString(36)}`;
      const attempt = async (lie: { sha256?: string; size?: number }) => {
        const link = await links.offer(fixture("m26dev-zip-course-glossary-nousers.mbz"));
        return await driver
          .restore({
            archivePath: "unused: the site pulls the link",
            download: { ...link, ...lie },
            destination: { kind: "new-course", categoryId: 1, fullName: title },
            expectedActivities: {},
          })
          .then(
            () => undefined,
            (error: unknown) => error as MoodleError,
          );
      };
      const wrongDigest = await attempt({ sha256: "0".repeat(64) });
      expect(wrongDigest).toMatchObject({ code: "RESTORE_FAILED", transient: false });
      expect(wrongDigest?.message).toContain(
        `with SHA-256 ${(await links.offer(fixture("m26dev-zip-course-glossary-nousers.mbz"))).sha256}, not ${"0".repeat(64)}; it was deleted and nothing was restored`,
      );
      const shorter = await attempt({ size: 1000 });
      expect(shorter?.message).toContain("sent more than the 1000 bytes it announced");
      // Whole at 18,941 bytes: asking for the rest gets a 416 from the node.
      const longer = await attempt({ size: 10 * MIB });
      expect(longer).toMatchObject({ code: "RESTORE_FAILED", transient: false });
      expect(longer?.message).toContain(
        `(HTTP 416: the archive ends before the ${10 * MIB} bytes announced)`,
      );
      expect(
        await queryMoodle(
          site,
          `SELECT count(*) FROM mdl_course WHERE fullname LIKE 'Pulled wrong %'`,
        ),
      ).toEqual([["0"]]);
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("says so when the link is no longer valid, and restores nothing", async () => {
      const link = await links.offer(fixture("m26dev-zip-course-glossary-nousers.mbz"));
      await links.links.revoke(link);
      links.served.length = 0;
      const error = await driver
        .restore({
          archivePath: "unused",
          download: link,
          destination: { kind: "existing-course", courseId: 999_999, mode: "merge" },
          expectedActivities: {},
        })
        .then(
          () => undefined,
          (reason: unknown) => reason as MoodleError,
        );
      // The course does not exist: Moodle refuses before anything is downloaded.
      expect(error).toMatchObject({ code: "NOT_FOUND" });
      expect(links.served).toEqual([]);
      const refused = await driver
        .restore({
          archivePath: "unused",
          download: link,
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        })
        .then(
          () => undefined,
          (reason: unknown) => reason as MoodleError,
        );
      expect(refused).toMatchObject({ code: "RESTORE_FAILED" });
      expect(refused?.message).toContain("refused the backup's download (HTTP 404");
      expect(refused?.message).toContain("unknown or no longer valid");
      expect(await downloadsLeft(site)).toEqual([]);
    });

    it("says when the node cannot be reached from the site, as a setting to fix", async () => {
      const link = await links.offer(fixture("m26dev-zip-course-glossary-nousers.mbz"));
      // Nothing listens on port 9: the node's address, as the site would reach it, is wrong.
      const nowhere = new URL(link.url.pathname, "http://127.0.0.1:9");
      const error = await driver
        .restore({
          archivePath: "unused",
          download: { ...link, url: nowhere },
          destination: { kind: "new-course", categoryId: 1 },
          expectedActivities: {},
        })
        .then(
          () => undefined,
          (reason: unknown) => reason as MoodleError,
        );
      expect(error).toMatchObject({ code: "MISCONFIGURED", transient: false });
      expect(error?.message).toContain(
        "The coursefed node at 127.0.0.1 could not be reached to download the backup",
      );
      expect(error?.message).toContain("public address is reachable from this Moodle site");
      expect(await downloadsLeft(site)).toEqual([]);
    });
  },
  { when: haveFixtures() },
);
