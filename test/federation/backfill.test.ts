import { isActor } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import { publishCourse, withdrawCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { backfillFrom } from "../../packages/node/src/federation/inbox/courses.ts";
import { institutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import { answerFollow, follow } from "../../packages/node/src/follows/follow-service.ts";
import type { Visibility } from "../../packages/node/src/vocabulary/visibility.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, followAndApprove, institutionOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let publisher: TestNode;
let latecomer: TestNode;

describe.runIf(haveFixtures())("a new follower back-fills from the outbox", () => {
  beforeAll(async () => {
    [publisher, latecomer] = await Promise.all([startTestNode("univ"), startTestNode("late")]);
  });
  afterAll(async () => {
    await Promise.all([publisher, latecomer].map((peer) => peer?.stop()));
  });

  it("lists courses published and revised before the follow, once accepted, a revised one by its Update", async () => {
    const published = [];
    for (const [name, title] of [
      ["m26dev-zip-course-glossary-nousers.mbz", "Glossary"],
      ["m324-tgz-course-files-scorm-nousers.mbz", "SCORM"],
    ] as const) {
      published.push(
        await publishCourse(
          domainServices(contextOf(publisher)),
          publisher.node.institution,
          fixture(name),
          {
            title,
          },
        ),
      );
    }
    // The first course revised: the outbox lists it first, as its Update.
    const glossary = published[0]?.course.id as string;
    published[0] = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m262-tgz-course-availability-nousers.mbz"),
      {},
      { courseId: glossary },
    );
    const outbox = await fetch(new URL("/actors/institution/outbox", publisher.url), {
      headers: { accept: "application/activity+json" },
    });
    const collection = (await outbox.json()) as { totalItems: number; first: string };
    expect(collection.totalItems).toBe(2);
    const page = (await (
      await fetch(collection.first, { headers: { accept: "application/activity+json" } })
    ).json()) as { orderedItems: OutboxItem[] };
    expect(page.orderedItems.map((item) => item.type)).toEqual(["Update", "Create"]);

    await follow(
      domainServices(contextOf(latecomer)),
      latecomer.node.institution,
      institutionOf(publisher),
    );
    for (let tries = 0; tries < 100; tries++) {
      if (
        await publisher.node.services.follows.follower(
          publisher.node.institution.id,
          institutionOf(latecomer),
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await answerFollow(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      institutionOf(latecomer),
      "accepted",
    );

    let total = 0;
    for (let tries = 0; tries < 200 && total < 2; tries++) {
      total = (await latecomer.node.services.catalog.searchCatalog({ limit: 10, offset: 0 })).total;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { entries } = await latecomer.node.services.catalog.searchCatalog({
      limit: 10,
      offset: 0,
    });
    expect(entries.map((entry) => entry.title).sort()).toEqual(["Glossary", "SCORM"]);
    expect(entries.map((entry) => entry.sha256).sort()).toEqual(
      published.map((p) => p.report.sha256).sort(),
    );
    expect(entries.find((entry) => entry.title === "Glossary")?.revision).toBe(2);
  });
});

interface OutboxItem {
  readonly type: string;
  readonly id?: string;
  readonly audience?: string;
  readonly actor: string;
  readonly object: string | { readonly id: string };
}

let university: TestNode;
let school: TestNode;
let stranger: TestNode;

describe.runIf(haveFixtures())(
  "a new follower of an institution back-fills its teachers' courses",
  () => {
    const titles = {
      own: "The institution's own course",
      open: "Ada's open course",
      partners: "Ada's course for partners",
      withdrawn: "Ada's withdrawn course",
      hidden: "Ada's private course",
    };
    /** Each course's object URI, by its key in `titles`. */
    const objects: Partial<Record<keyof typeof titles, string>> = {};
    let ada: LocalActor;

    beforeAll(async () => {
      [university, school, stranger] = await Promise.all([
        startTestNode("univ"),
        startTestNode("school"),
        startTestNode("stranger"),
      ]);
      ada = await university.node.services.actors.createTeacher("ada", "Ada Lovelace");
      const ctx = contextOf(university);
      const publish = async (key: keyof typeof titles, by: LocalActor, visibility: Visibility) => {
        const { course } = await publishCourse(
          domainServices(ctx),
          by,
          fixture("m26dev-zip-course-glossary-nousers.mbz"),
          { title: titles[key], visibility },
        );
        objects[key] = new URL(`/courses/${course.id}`, university.url).href;
        return course.id;
      };
      // All published before anyone follows the university: only a back-fill brings them.
      await publish("own", university.node.institution, "public");
      // Revised: Ada's outbox lists it by its Update.
      await publishCourse(
        domainServices(ctx),
        ada,
        fixture("m262-tgz-course-availability-nousers.mbz"),
        {},
        { courseId: await publish("open", ada, "public") },
      );
      await publish("partners", ada, "followers");
      await withdrawCourse(domainServices(ctx), ada, await publish("withdrawn", ada, "public"));
      await publish("hidden", ada, "private");
    });
    afterAll(async () => {
      await Promise.all([university, school, stranger].map((peer) => peer?.stop()));
    });

    /** Every activity of a university actor's outbox, as `sign` lets it be read. */
    async function outboxItems(
      sign: (request: Request) => Promise<Request> = async (request) => request,
      actor = "institution",
    ): Promise<OutboxItem[]> {
      const read = async (url: string) =>
        (await (
          await fetch(
            await sign(new Request(url, { headers: { accept: "application/activity+json" } })),
          )
        ).json()) as { first?: string; next?: string; orderedItems?: OutboxItem[] };
      const items: OutboxItem[] = [];
      let page = (await read(new URL(`/actors/${actor}/outbox`, university.url).href)).first;
      while (page) {
        const current = await read(page);
        items.push(...(current.orderedItems ?? []));
        page = current.next;
      }
      return items;
    }
    const objectOf = (item: { object: string | { id: string } }) =>
      typeof item.object === "string" ? item.object : item.object.id;

    it("lists the teachers' public courses in the institution's outbox as its Announces, nothing withdrawn, private or followers-only for a stranger", async () => {
      const institution = institutionOf(university);
      for (const sign of [undefined, await institutionSigner(contextOf(stranger))]) {
        const items = await outboxItems(sign);
        expect(items.map((item) => [item.type, item.actor, objectOf(item)]).sort()).toEqual(
          [
            ["Announce", institution, objects.open],
            ["Create", institution, objects.own],
          ].sort(),
        );
      }
      // The teacher's own lists her revised course as the Update she delivered, naming
      // the institution whose followers got it too.
      const adaUri = new URL(`/actors/${ada.identifier}`, university.url).href;
      expect(await outboxItems(undefined, ada.identifier)).toEqual([
        expect.objectContaining({
          type: "Update",
          id: `${objects.open}/revisions/2/activity`,
          actor: adaUri,
          audience: institution,
          object: expect.objectContaining({ id: objects.open }),
        }),
      ]);
    });

    it("brings the teacher's courses to the follower once approved, by their author, announced by the institution, followers-only ones included; nothing to a follower refused", async () => {
      await followAndApprove(school, university);
      const catalog = school.node.services.catalog;
      const listed = await eventually(async () => {
        const { entries } = await catalog.searchCatalog({ limit: 20, offset: 0 });
        return entries.length >= 3 && entries;
      });
      expect(listed.map((entry) => entry.title).sort()).toEqual(
        [titles.own, titles.open, titles.partners].sort(),
      );
      const adaUri = new URL(`/actors/${ada.identifier}`, university.url).href;
      const open = listed.find((entry) => entry.objectUri === objects.open);
      expect(open?.actorUri).toBe(adaUri);
      const publishers = await catalog.catalogPublishers([adaUri]);
      expect(publishers.get(adaUri)).toMatchObject({
        author: { uri: adaUri, name: "Ada Lovelace", type: "Person" },
        institution: { uri: institutionOf(university), type: "Organization" },
      });
      // What the outbox does not list never comes: neither withdrawn nor private.
      for (const key of ["withdrawn", "hidden"] as const) {
        expect(await catalog.catalogEntry(objects[key] as string)).toBeUndefined();
      }

      // A follower refused gets nothing, even if its node reads the outbox, signed, itself.
      await follow(
        domainServices(contextOf(stranger)),
        stranger.node.institution,
        institutionOf(university),
      );
      await eventually(() =>
        university.node.services.follows.follower(
          university.node.institution.id,
          institutionOf(stranger),
        ),
      );
      await answerFollow(
        domainServices(contextOf(university)),
        university.node.institution,
        institutionOf(stranger),
        "rejected",
      );
      const ctx = contextOf(stranger);
      const institution = await ctx.lookupObject(institutionOf(university));
      if (!isActor(institution)) throw new Error("The university's institution did not answer.");
      expect(await backfillFrom(ctx, institution, stranger.node.institution)).toBe(0);
      expect(
        (await stranger.node.services.catalog.searchCatalog({ limit: 20, offset: 0 })).total,
      ).toBe(0);
    });

    it("stores nothing twice when the back-fill runs again", async () => {
      const ctx = contextOf(school);
      const institution = await ctx.lookupObject(institutionOf(university));
      if (!isActor(institution)) throw new Error("The university's institution did not answer.");
      expect(await backfillFrom(ctx, institution, school.node.institution)).toBe(3);
      const catalog = school.node.services.catalog;
      expect((await catalog.searchCatalog({ limit: 20, offset: 0 })).total).toBe(3);
      for (const key of ["own", "open", "partners"] as const) {
        expect(await catalog.catalogRevisions(objects[key] as string)).toHaveLength(1);
      }
    });
  },
);
