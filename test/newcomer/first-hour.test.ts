/**
 * A new institution's first hour, as the README tells it (issue 14): the commands a
 * newcomer types, run as typed (`npx coursefed ...` from the project's folder, real
 * processes, fresh data directories, plain http on loopback), between two nodes and into
 * each real Moodle test site (4.5.6, then 5.1.3). Each step must succeed and say so in
 * words: a non-zero exit, a stack trace or an error left on stderr is a step a newcomer
 * would trip on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryMoodle } from "../moodle/moodle-database.ts";
import { eventually } from "../support/eventually.ts";
import { describeOnEachMoodle } from "../support/moodle-site.ts";
import { fixture, haveFixtures, repositoryRoot } from "../support/shared-fixtures.ts";
import { freePort } from "../support/test-node.ts";

/** Course titles of this run: the Moodle site is kept between runs. */
const BEFORE_THE_FOLLOW = `First-hour glossary ${Date.now()}`;
const AFTER_THE_FOLLOW = `Second-hour glossary ${Date.now()}`;

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npx coursefed ARGS` from the project's folder, as the README writes it. */
function npxCoursefed(args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["coursefed", ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** What a newcomer would call a failure: a non-zero exit, or anything alarming on stderr. */
function expectClean(step: string, outcome: Outcome): string {
  const shown = `${step}\nexit ${outcome.code}\nstdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`;
  expect(outcome.code, shown).toBe(0);
  expect(outcome.stderr, shown).not.toMatch(/^\s+at /m);
  expect(outcome.stderr, shown).not.toMatch(/Error|Warning|npm (ERR|warn)/);
  return outcome.stdout;
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** `npx coursefed serve` left running, as in a terminal of its own. */
interface Serving {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
}

async function serve(handle: string, name: string, dataDir: string): Promise<Serving> {
  const port = await freePort();
  const child = spawn(
    "npx",
    [
      "coursefed",
      "serve",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${port}`,
      "--handle",
      handle,
      "--name",
      name,
      "--allow-private-addresses",
    ],
    // Its own process group, so that whatever it leaves behind can be cleaned up.
    { cwd: repositoryRoot, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/`,
    exited,
    output: () => ({ stdout, stderr }),
  };
}

describeOnEachMoodle(
  "a newcomer's first hour: the README's commands on two fresh nodes and a real Moodle",
  (live) => {
    let work: string;
    let publisher: Serving;
    let subscriber: Serving;
    let publisherToken: string;
    let subscriberToken: string;
    let teacherToken: string;
    let courseObject: string;

    const asPublisher = () => ({ COURSEFED_NODE: publisher.url, COURSEFED_TOKEN: publisherToken });
    const asSubscriber = () => ({
      COURSEFED_NODE: subscriber.url,
      COURSEFED_TOKEN: subscriberToken,
    });

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), "coursefed-newcomer-"));
    });
    afterAll(async () => {
      for (const node of [publisher, subscriber]) {
        if (!node || node.child.exitCode !== null || node.child.signalCode !== null) continue;
        try {
          process.kill(-(node.child.pid as number), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("starts two nodes with npx coursefed serve, each printing its admin token and address", async () => {
      publisher = await serve("alpha", "Alpha University", join(work, "alpha"));
      subscriber = await serve("beta", "Beta School", join(work, "beta"));
      const tokenOf = async (node: Serving) =>
        await eventually(() => {
          const { stdout, stderr } = node.output();
          if (node.child.exitCode !== null) {
            throw new Error(`serve exited ${node.child.exitCode}:\n${stdout}\n${stderr}`);
          }
          return (
            stdout.includes("coursefed node running:") &&
            /Admin API token[^\n]*\n\s+(\S+)/.exec(stdout)?.[1]
          );
        }, 120_000);
      [publisherToken, subscriberToken] = await Promise.all([
        tokenOf(publisher),
        tokenOf(subscriber),
      ]);
      for (const node of [publisher, subscriber]) {
        expect(node.output().stdout).toContain(node.url.replace(/\/$/, ""));
        expect(node.output().stderr).not.toMatch(/^\s+at |Error/m);
      }
    }, 180_000);

    /** The teacher publishes a backup under `title`; returns the course's address. */
    async function teacherPublishes(title: string): Promise<string> {
      const published = expectClean(
        `coursefed publish --title "${title}"`,
        await npxCoursefed(
          [
            "publish",
            fixture("m26dev-zip-course-glossary-nousers.mbz"),
            "--title",
            title,
            "--tag",
            "newcomer",
          ],
          { COURSEFED_NODE: publisher.url, COURSEFED_TOKEN: teacherToken },
        ),
      );
      expect(published).toContain("Published revision 1 of course");
      return /^\s+(http:\/\/\S+\/courses\/\S+)$/m.exec(published)?.[1] as string;
    }

    /** The catalog's text for a search, once it lists `title`. */
    async function catalogListing(title: string): Promise<string> {
      return await eventually(async () => {
        const listed = expectClean(
          "coursefed catalog",
          await npxCoursefed(["catalog", "--query", "glossary"], asSubscriber()),
        );
        return listed.includes(title) && listed;
      }, 90_000);
    }

    it("makes a teacher account, and the teacher publishes a backup", async () => {
      const created = expectClean(
        "coursefed teachers --add ada",
        await npxCoursefed(["teachers", "--add", "ada", "--name", "Ada Lovelace"], asPublisher()),
      );
      teacherToken = /API token for ada[^\n]*\n\s+(\S+)/.exec(created)?.[1] as string;
      expect(teacherToken, created).toBeDefined();
      expect(await teacherPublishes(BEFORE_THE_FOLLOW)).toMatch(
        new RegExp(`^${publisher.url}courses/`),
      );
    });

    it("follows the other institution by @handle@host, and its admin accepts", async () => {
      const handle = `@alpha@127.0.0.1:${publisher.port}`;
      const followed = expectClean(
        `coursefed follow ${handle}`,
        await npxCoursefed(["follow", handle], asSubscriber()),
      );
      expect(followed).toContain(`${publisher.url}actors/institution`);
      expect(followed).toContain("pending");

      const subscriberActor = `${subscriber.url}actors/institution`;
      const waiting = await eventually(async () => {
        const listed = expectClean(
          "coursefed follow-requests",
          await npxCoursefed(["follow-requests"], asPublisher()),
        );
        return listed.includes(subscriberActor) && listed;
      }, 60_000);
      expect(waiting).toContain(`beta@127.0.0.1:${subscriber.port}`);
      const accepted = expectClean(
        "coursefed follow-requests --accept",
        await npxCoursefed(["follow-requests", "--accept", subscriberActor], asPublisher()),
      );
      expect(accepted).toContain(`Accepted ${subscriberActor}`);
    }, 120_000);

    it("finds a course the teacher publishes now with coursefed catalog", async () => {
      await teacherPublishes(AFTER_THE_FOLLOW);
      const found = await catalogListing(AFTER_THE_FOLLOW);
      const entry = found.slice(found.indexOf(AFTER_THE_FOLLOW));
      courseObject = /^\s+(http:\/\/\S+)$/m.exec(entry)?.[1] as string;
      expect(courseObject, found).toMatch(new RegExp(`^${publisher.url}`));
      expect(entry).toContain("by Ada Lovelace");
    }, 180_000);

    it("finds the course published before the follow too (what a newcomer publishes first)", async () => {
      expect(await catalogListing(BEFORE_THE_FOLLOW)).toContain(BEFORE_THE_FOLLOW);
    }, 120_000);

    it("adds its Moodle site and probes it, as the add command then says to", async () => {
      const added = expectClean(
        "coursefed moodle add",
        await npxCoursefed(
          [
            "moodle",
            "add",
            "campus",
            "--driver",
            "cli",
            "--url",
            live.wwwroot,
            "--moodle-dir",
            live.moodleDir,
          ],
          asSubscriber(),
        ),
      );
      expect(added).toContain("Added Moodle target campus");
      expect(added).toContain("coursefed moodle probe campus");
      const probed = expectClean(
        "coursefed moodle probe campus",
        await npxCoursefed(["moodle", "probe", "campus"], asSubscriber()),
      );
      expect(probed).toContain(live.version);
    }, 120_000);

    it("restores the course into Moodle with coursefed restore --wait", async () => {
      const restored = expectClean(
        "coursefed restore --wait",
        await npxCoursefed(
          ["restore", courseObject, "--target", "campus", "--wait"],
          asSubscriber(),
        ),
      );
      const courseId = new RegExp(`${live.wwwroot}/course/view\\.php\\?id=(\\d+)`).exec(
        restored,
      )?.[1];
      expect(courseId, restored).toBeDefined();
      const [course] = await queryMoodle(
        live,
        `SELECT fullname FROM mdl_course WHERE id = ${Number(courseId)}`,
      );
      expect(course?.[0]).toBe(AFTER_THE_FOLLOW);
    }, 300_000);

    it("stops each node on SIGTERM sent to npx: the port closes and the process exits", async () => {
      for (const node of [publisher, subscriber]) {
        expect(await listening(node.port)).toBe(true);
        node.child.kill("SIGTERM");
        const ended = await Promise.race([
          node.exited,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
        ]);
        expect(
          ended,
          `npx coursefed serve on ${node.port} still runs 20 s after SIGTERM`,
        ).toBeDefined();
        expect(await eventually(async () => !(await listening(node.port)), 10_000)).toBe(true);
        expect(node.output().stderr).not.toMatch(/^\s+at /m);
      }
    }, 90_000);
  },
  { when: haveFixtures() },
);
