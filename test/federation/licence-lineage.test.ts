import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublishError } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { readOwnManifest } from "../../packages/node/src/manifests/course-manifest.ts";
import type { MoodleTargetRepository } from "../../packages/node/src/moodle-targets/target-repository.ts";
import { publishFromMoodle } from "../../packages/node/src/restores/publish-from-moodle.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  contextOf,
  followAndApprove,
  publishToFollower,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { nodeApi } from "../support/node-api.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

// univ publishes; school follows univ and adapts its courses; third follows school only,
// so it holds univ's courses only as school's manifests credit them.
let univ: TestNode;
let school: TestNode;
let third: TestNode;
let directory: string;
let backup: Buffer;
let original: string;
let noDerivatives: string;
/** A course's title as a node's catalog holds it, which credits and refusals name. */
const titleAt = async (peer: TestNode, object: string) =>
  (await peer.node.services.catalog.catalogEntry(object))?.title ?? "";

/** Uploads the backup to `peer` and publishes it through the API, as `coursefed publish` does. */
async function publishDerived(peer: TestNode, fields: Record<string, unknown>, path = "/courses") {
  const uploaded = await fetch(new URL("/api/v1/uploads", peer.url), {
    method: "POST",
    headers: { authorization: `Bearer ${peer.token}`, "content-type": "application/octet-stream" },
    body: backup,
  });
  const { id } = (await uploaded.json()) as { id: string };
  return await nodeApi(peer, path, { method: "POST", json: { uploadId: id, ...fields } });
}

beforeAll(async () => {
  [univ, school, third] = await Promise.all([
    startTestNode("univ", "Université A"),
    startTestNode("school", "École B"),
    startTestNode("third", "Lycée C"),
  ]);
  await followAndApprove(school, univ);
  await followAndApprove(third, school);
  directory = await mkdtemp(join(tmpdir(), "coursefed-lineage-"));
  const file = await writeOnePageBackup(directory);
  backup = await readFile(file);
  original = await publishToFollower(univ, school, file, {
    title: "Algèbre",
    license: "CC BY-NC-SA 4.0",
  });
  noDerivatives = await publishToFollower(univ, school, file, {
    title: "Géométrie",
    license: "CC BY-ND 4.0",
  });
});
afterAll(async () => {
  await Promise.all([univ, school, third].map((peer) => peer?.stop()));
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("licences along the lineage", () => {
  let derived: { id: string; object: string };

  it("refuses a derivative of an ND course, naming it, its publisher and its licence", async () => {
    const refused = await publishDerived(school, {
      title: "Géométrie adaptée",
      license: "CC BY-ND 4.0",
      derivedFrom: { object: noDerivatives },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("licence_refused");
    expect(refused.body.error.message).toContain(
      `"${await titleAt(school, noDerivatives)}" (Université A)`,
    );
    expect(refused.body.error.message).toContain("CC BY-ND 4.0");
    expect(refused.body.error.message).toContain("allows no derivatives");
  });

  it("refuses to drop NC or share-alike, and says which licence to choose", async () => {
    const refused = await publishDerived(school, {
      title: "Algèbre adaptée",
      license: "CC BY 4.0",
      derivedFrom: { object: original },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain(
      `"${await titleAt(school, original)}" (Université A)`,
    );
    expect(refused.body.error.message).toContain(
      'publish it under the same licence (licence "CC BY-NC-SA 4.0"), not "CC BY 4.0"',
    );
  });

  it("refuses a source this node does not hold", async () => {
    const refused = await publishDerived(school, {
      derivedFrom: { object: "https://nowhere.example/courses/x" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("unknown_source");
  });

  it("takes the source's licence and credits every ancestor in the summary and manifest", async () => {
    const published = await publishDerived(school, {
      title: "Algèbre adaptée",
      summary: "Une adaptation.",
      derivedFrom: { object: original },
    });
    expect(published.status).toBe(201);
    derived = published.body;
    const course = await school.node.services.courses.course(derived.id);
    expect(course?.license).toBe("CC BY-NC-SA 4.0");
    expect(course?.summary).toContain("Une adaptation.\n\nCredits: adapted from");
    expect(course?.summary).toContain(
      `"${await titleAt(school, original)}" by Université A, licence CC BY-NC-SA 4.0: ${original}`,
    );
    const revision = await school.node.services.courses.latestRevision(derived.id);
    const manifest = readOwnManifest(revision?.manifest ?? "");
    expect(manifest.derivedFrom).toEqual({ object: original, revision: 1 });
    expect(manifest.credits).toEqual([
      {
        object: original,
        revision: 1,
        title: await titleAt(school, original),
        authors: ["Université A"],
        institution: "Université A",
        license: "CC BY-NC-SA 4.0",
        url: original,
      },
    ]);
  });

  it("keeps the licence and the lineage in a new revision, and credits once", async () => {
    const revised = await publishDerived(school, {}, `/courses/${derived.id}/revisions`);
    expect(revised.status).toBe(201);
    expect(revised.body.revision).toBe(2);
    const course = await school.node.services.courses.course(derived.id);
    expect(course?.license).toBe("CC BY-NC-SA 4.0");
    expect(course?.summary?.split("Credits:").length).toBe(2);
    const manifest = readOwnManifest(
      (await school.node.services.courses.latestRevision(derived.id))?.manifest ?? "",
    );
    expect(manifest.derivedFrom).toEqual({ object: original, revision: 1 });
    // A licence changed on a revision is checked as a new course's is.
    const relicensed = await publishDerived(
      school,
      { license: "CC BY-SA 4.0" },
      `/courses/${derived.id}/revisions`,
    );
    expect(relicensed.status).toBe(422);
    expect(relicensed.body.error.code).toBe("licence_refused");
  });

  it("checks an ancestor a node holds only through its descendant's signed credits", async () => {
    await eventually(
      async () => (await third.node.services.catalog.catalogEntry(derived.object))?.revision === 2,
    );
    // third does not follow univ: "Algèbre" is not in its catalog.
    expect(await third.node.services.catalog.catalogEntry(original)).toBeUndefined();
    const shown = await nodeApi(
      third,
      `/catalog/course?object=${encodeURIComponent(derived.object)}`,
    );
    expect(shown.body.lineage).toEqual([
      expect.objectContaining({
        object: original,
        title: await titleAt(school, original),
        license: "CC BY-NC-SA 4.0",
        known: "credited",
      }),
    ]);
    const cli = await coursefed(third, "catalog", "--object", derived.object);
    expect(cli.stdout).toContain(
      `adapted from "${await titleAt(school, original)}" (revision 1) by Université A, licence CC BY-NC-SA 4.0 (as its descendant credits it)`,
    );
    const refused = await publishDerived(third, {
      license: "CC BY-SA 4.0",
      derivedFrom: { object: derived.object },
    });
    expect(refused.status).toBe(422);
    // school's adaptation is BY-NC-SA too: the first ancestor that refuses is named.
    expect(refused.body.error.message).toContain(
      `"${await titleAt(third, derived.object)}" (École B)`,
    );
    const accepted = await publishDerived(third, {
      license: "CC BY-NC-SA 4.0",
      derivedFrom: { object: derived.object },
    });
    expect(accepted.status).toBe(201);
    const manifest = readOwnManifest(
      (await third.node.services.courses.latestRevision(accepted.body.id))?.manifest ?? "",
    );
    expect(manifest.credits?.map((credit) => [credit.title, credit.license])).toEqual([
      [await titleAt(third, derived.object), "CC BY-NC-SA 4.0"],
      [await titleAt(school, original), "CC BY-NC-SA 4.0"],
    ]);
  });

  it("checks a share from Moodle of a course restored from the catalog the same way", async () => {
    const target = await school.node.services.moodleTargets.add({
      name: "campus",
      driver: "cli",
      url: "https://moodle.school.example",
      moodleDir: "/nonexistent",
      php: "php",
    });
    // Moodle course 12 was restored from the ND course: the restores' lineage says so.
    await school.node.db.insert(school.node.db.tables.restoredCourses).values({
      targetId: target.id,
      moodleCourseId: 12,
      objectUri: noDerivatives,
      revision: 1,
      jobId: "restored-by-hand",
      restoredAt: Date.now(),
    });
    // The site's backup of it, as a driver gives one: a file of the backup's.
    const targets = school.node.services.moodleTargets;
    const moodleTargets = {
      byName: (name: string) => targets.byName(name),
      driverOf: () => ({
        backup: async ({ outputDirectory }: { outputDirectory: string }) => {
          const path = join(outputDirectory, "backup.mbz");
          await copyFile(join(directory, "course.mbz"), path);
          return { path, log: "" };
        },
      }),
    } as unknown as MoodleTargetRepository;
    const refused = await publishFromMoodle(
      { ...domainServices(contextOf(school)), moodleTargets },
      school.node.institution,
      { targetName: "campus", moodleCourseId: 12 },
      { title: "Géométrie (campus)" },
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PublishError);
    expect((refused as PublishError).code).toBe("LICENCE_REFUSED");
    expect((refused as PublishError).message).toContain(
      `"${await titleAt(school, noDerivatives)}" (Université A)`,
    );
  });

  it("shows the chain on the course page, and through the CLI's --derived-from", async () => {
    const shown = await nodeApi(school, `/catalog/course?object=${encodeURIComponent(original)}`);
    expect(shown.body.lineage).toEqual([]);
    const cli = await coursefed(
      school,
      "publish",
      join(directory, "course.mbz"),
      "--derived-from",
      `${noDerivatives}#1`,
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("allows no derivatives");
  });
});
