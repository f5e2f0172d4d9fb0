import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { temporaryDatabases } from "../db/test-database.ts";
import type { Visibility } from "../vocabulary/visibility.ts";
import {
  CourseRepository,
  type OutboxPosition,
  type OutboxSelection,
} from "./course-repository.ts";

const databases = temporaryDatabases();
afterAll(() => databases.removeAll());

/** A database of its own, so that each group of tests sees only its courses. */
const freshDatabase = databases.open;

describe("CourseRepository published courses", () => {
  let courses: CourseRepository;
  let actorId: number;
  beforeAll(async () => {
    const db = await freshDatabase();
    courses = new CourseRepository(db);
    const { localActors } = db.tables;
    const [actor] = await db
      .insert(localActors)
      .values({
        identifier: "institution",
        handle: "institution",
        type: "Organization",
        name: "Université",
        createdAt: 0,
      })
      .returning({ id: localActors.id });
    actorId = actor?.id ?? 0;
  });
  const publish = (id: string, tags: string[], revision: number, publishedAt: number) =>
    courses.publish(
      { id, actorId, title: id, summary: null, tags, license: null, visibility: "public" },
      { revision, sha256: id.padStart(64, "0"), size: 1, manifest: "{}", publishedAt },
    );

  it("records revisions, lists public courses by exact tag, and withdraws", async () => {
    await publish("a", ["Maths"], 1, 10);
    await publish("b", ["maths"], 1, 20);
    const { course } = await publish("a", ["Maths"], 2, 30);
    expect(course).toMatchObject({ id: "a", createdAt: 10, updatedAt: 30 });
    expect((await courses.latestRevision("a"))?.revision).toBe(2);
    expect(await courses.countPublicCourses(actorId)).toBe(2);
    expect((await courses.publicCoursesTagged("Maths", 10)).map((found) => found.id)).toEqual([
      "a",
    ]);
    expect((await courses.revisionsWithArchive("a".padStart(64, "0"))).length).toBe(2);
    expect((await courses.withdraw("a"))?.deletedAt).toBeTypeOf("number");
    expect((await courses.publishedCourses(actorId)).map((found) => found.id)).toEqual(["b"]);
    expect(await courses.publicCoursesTagged("Maths", 10)).toEqual([]);
  });
});

describe("CourseRepository.outboxCourses", () => {
  let courses: CourseRepository;
  const ids = { institution: 0, teacher: 0 };
  beforeAll(async () => {
    const db = await freshDatabase();
    courses = new CourseRepository(db);
    const { localActors } = db.tables;
    for (const [key, type] of [
      ["institution", "Organization"],
      ["teacher", "Person"],
    ] as const) {
      const [actor] = await db
        .insert(localActors)
        .values({
          identifier: key,
          handle: key,
          type,
          name: key,
          createdAt: 0,
        })
        .returning({ id: localActors.id });
      ids[key] = actor?.id ?? 0;
    }
    const publish = (id: string, actorId: number, visibility: Visibility, at: number) =>
      courses.publish(
        { id, actorId, title: id, summary: null, tags: [], license: null, visibility },
        { revision: 1, sha256: id.padStart(64, "0"), size: 1, manifest: "{}", publishedAt: at },
      );
    await publish("own", ids.institution, "public", 10);
    await publish("taught", ids.teacher, "public", 20);
    await publish("partners", ids.teacher, "followers", 30);
    await publish("hidden", ids.teacher, "private", 40);
    await publish("gone", ids.teacher, "public", 50);
    await courses.withdraw("gone");
  });
  const listed = async (selection: OutboxSelection, before: OutboxPosition | null = null) =>
    (await courses.outboxCourses(selection, before, 10)).map((course) => course.id);

  it("lists the institution's courses and its teachers', newest first, public ones unless for a follower, never private or withdrawn", async () => {
    const institution = { actorId: ids.institution, teachers: true };
    expect(await listed({ ...institution, followersOnly: false })).toEqual(["taught", "own"]);
    expect(await courses.countOutboxCourses({ ...institution, followersOnly: false })).toBe(2);
    expect(await listed({ ...institution, followersOnly: true })).toEqual([
      "partners",
      "taught",
      "own",
    ]);
    expect(await courses.countOutboxCourses({ ...institution, followersOnly: true })).toBe(3);
    expect(
      await listed(
        { ...institution, followersOnly: true },
        { lastPublishedAt: 30, id: "partners" },
      ),
    ).toEqual(["taught", "own"]);
  });

  it("lists a revised course where its latest revision was published, and pages on that", async () => {
    // A new revision of the oldest course, then an edit of another's details (no revision).
    await courses.publish(
      {
        id: "own",
        actorId: ids.institution,
        title: "own",
        summary: null,
        tags: [],
        license: null,
        visibility: "public",
      },
      { revision: 2, sha256: "f".repeat(64), size: 1, manifest: "{}", publishedAt: 60 },
    );
    await courses.editMetadata(
      "taught",
      { title: "taught", summary: null, license: null, visibility: "public", tags: [] },
      70,
    );
    const institution = { actorId: ids.institution, teachers: true, followersOnly: true };
    expect(await listed(institution)).toEqual(["own", "partners", "taught"]);
    expect(await listed(institution, { lastPublishedAt: 60, id: "own" })).toEqual([
      "partners",
      "taught",
    ]);
    expect((await courses.course("own"))?.createdAt).toBe(10);
  });

  it("lists a teacher's own courses only", async () => {
    const teacher = { actorId: ids.teacher, teachers: false, followersOnly: true };
    expect(await listed(teacher)).toEqual(["partners", "taught"]);
    const institutionAlone = { actorId: ids.institution, teachers: false, followersOnly: true };
    expect(await listed(institutionAlone)).toEqual(["own"]);
  });
});

describe("CourseRepository.outboxCourses paging", () => {
  it("pages through courses revised in the same millisecond, revised first, without skipping or repeating one", async () => {
    const db = await freshDatabase();
    const courses = new CourseRepository(db);
    const [actor] = await db
      .insert(db.tables.localActors)
      .values({
        identifier: "institution",
        handle: "institution",
        type: "Organization",
        name: "Université",
        createdAt: 0,
      })
      .returning({ id: db.tables.localActors.id });
    const actorId = actor?.id ?? 0;
    const ids = Array.from(
      { length: 25 },
      (_, index) => `course-${String(index).padStart(2, "0")}`,
    );
    const publish = (id: string, revision: number, publishedAt: number) =>
      courses.publish(
        { id, actorId, title: id, summary: null, tags: [], license: null, visibility: "public" },
        { revision, sha256: id.padStart(64, "0"), size: 1, manifest: "{}", publishedAt },
      );
    // Created one a millisecond, then the older half revised all in one millisecond.
    for (const [index, id] of ids.entries()) await publish(id, 1, 100 + index);
    const revised = ids.slice(0, 13);
    for (const id of revised) await publish(id, 2, 1000);
    const selection = { actorId, teachers: false, followersOnly: false };
    const seen: string[] = [];
    let before: OutboxPosition | null = null;
    for (;;) {
      const page: Awaited<ReturnType<CourseRepository["outboxCourses"]>> =
        await courses.outboxCourses(selection, before, 10);
      seen.push(...page.map((course) => course.id));
      const last = page.at(-1);
      if (page.length < 10 || !last) break;
      before = { lastPublishedAt: last.lastPublishedAt, id: last.id };
    }
    const untouched = ids.slice(13);
    expect(seen).toEqual([...revised.reverse(), ...untouched.reverse()]);
  });
});
