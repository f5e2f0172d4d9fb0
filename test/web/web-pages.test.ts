import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { answerFollow } from "../../packages/node/src/follows/follow-service.ts";
import { grantCourse } from "../../packages/node/src/moodle-targets/teacher-permissions.ts";
import { totalsStoppingAt } from "../support/catalog-total-bound.ts";
import { eventually } from "../support/eventually.ts";
import { contextOf, institutionOf } from "../support/federation-steps.ts";
import { restorePerson } from "../support/restore-person.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { webFingerOverHttp } from "./loopback-webfinger.ts";
import { addProbedTargets } from "./probed-targets.ts";
import { WebClient } from "./web-client.ts";

const XSS_TITLE = `Chimie <script>alert("title")</script><img src=x onerror=alert(1)>`;
const XSS_SUMMARY = `<p>Des <strong>réactions</strong> sûres.</p><script>alert("summary")</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">lien</a>`;

let publisher: TestNode;
let follower: TestNode;
let restoreFetch: () => void;

/** Markup that would run a script: a script element, an event handler or a javascript: URL. */
function activeMarkup(html: string): string[] {
  return [
    ...html.matchAll(/<script\b[^>]*>|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*=\s*["']?javascript:/gi),
  ].map((match) => match[0]);
}

describe.runIf(haveFixtures())("web pages with a course received from another node", () => {
  let teacher: WebClient;
  let objectUri: string;
  let sha256: string;

  beforeAll(async () => {
    [publisher, follower] = await Promise.all([
      startTestNode("univ", "Université Exemple"),
      startTestNode("school"),
    ]);
    const published = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      { title: XSS_TITLE, summary: XSS_SUMMARY, tags: ["chimie"], license: "CC-BY-4.0" },
    );
    restoreFetch = webFingerOverHttp([publisher.url.host]);
    objectUri = new URL(`/courses/${published.course.id}`, publisher.url).href;
    sha256 = published.report.sha256;
    const nowhere = await follower.node.services.moodleTargets.add({
      name: "nowhere",
      driver: "ws",
      url: `http://127.0.0.1:${await freePort()}`,
      token: "t",
      timeoutMs: 5000,
    });
    // Teachers may restore new courses into category 4 of it (an admin's choice).
    await follower.node.services.moodleTargets.setTeacherCategories(nowhere, [4]);
    await addProbedTargets(follower);
    const { password } = await createAccount(
      { actors: follower.node.services.actors, accounts: new AccountRepository(follower.node.db) },
      { username: "marie", role: "teacher", displayName: "Marie Curie" },
    );
    teacher = new WebClient(follower.url);
    expect((await teacher.login("marie", password)).status).toBe(303);
  });
  afterAll(async () => {
    restoreFetch?.();
    await Promise.all([publisher, follower].map((peer) => peer?.stop()));
  });

  it("follows a remote institution by its handle from the feeds page", async () => {
    await teacher.page("/feeds");
    const handle = `@univ@${publisher.url.host}`;
    const sent = await teacher.post("/feeds/follow", { target: handle });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/feeds?notice=followed");
    const feeds = await teacher.page("/feeds?notice=followed");
    expect(feeds.html).toContain("Follow request sent.");
    expect(feeds.html).toContain("Université Exemple");
    // A teacher follows as themself; the institution's admin at the other end approves.
    const marie = await follower.node.services.actors.byHandle("marie");
    const marieUri = new URL(`/actors/${marie?.identifier}`, follower.url).href;
    await eventually(() =>
      publisher.node.services.follows.follower(publisher.node.institution.id, marieUri),
    );
    expect(feeds.html).toContain("waiting for approval");
    await answerFollow(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      marieUri,
      "accepted",
    );
    await eventually(() => follower.node.services.catalog.catalogEntry(objectUri));
    expect((await teacher.page("/feeds")).html).toMatch(/badge-ok">accepted/);
  });

  it("shows a remote course's hostile title and summary inert in the catalog and on its page", async () => {
    const catalog = await teacher.page("/catalog?q=chimie");
    expect(catalog.status).toBe(200);
    expect(catalog.html).toContain("1 course");
    expect(catalog.html).toContain("Chimie &lt;script&gt;");
    // The summary arrives as the publisher's sanitized HTML: here its text, shown as text.
    expect(catalog.html).toMatch(/class="summary"><p>[^<]*Des [^<]*r\u00e9actions/);
    expect(activeMarkup(catalog.html)).toEqual([]);

    const course = await teacher.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    expect(course.status).toBe(200);
    expect(course.html).toContain(
      `<title>Chimie &lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;`,
    );
    expect(course.html).toContain(sha256);
    expect(course.html).toContain("CC-BY-4.0");
    expect(course.html).toMatch(
      /compat-unknown"><strong>nowhere<\/strong> <span class="badge badge-neutral">not probed yet/,
    );
    expect(course.html).toMatch(
      /compat-ok"><strong>moodle-45<\/strong> <span class="badge badge-ok">✓ restorable/,
    );
    expect(course.html).toMatch(
      /compat-problem"><strong>moodle-small<\/strong>[\s\S]*?The backup \(\d+ KiB\) is larger than the 1000 B the site accepts\./,
    );
    expect(activeMarkup(course.html)).toEqual([]);
    // No script may run on these pages at all, whatever a summary holds.
    const response = await teacher.get("/catalog");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'none'");
  });

  it("renders the catalog and course page in French", async () => {
    const french = new WebClient(follower.url, { "accept-language": "fr" });
    const { password } = await createAccount(
      { actors: follower.node.services.actors, accounts: new AccountRepository(follower.node.db) },
      { username: "lecteur", role: "viewer" },
    );
    await french.login("lecteur", password);
    const catalog = await french.page("/catalog");
    expect(catalog.html).toContain('<html lang="fr">');
    expect(catalog.html).toContain("1 cours");
    expect(catalog.html).toContain("Plugins nécessaires");
    const course = await french.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    expect(course.html).toContain("Révisions");
    expect(course.html).toContain("pas encore interrogé");
    expect(activeMarkup(course.html)).toEqual([]);
    // A viewer reads, and is offered nothing to act with.
    expect(course.html).not.toContain('action="/catalog/restore"');
    expect(course.html).not.toContain('action="/catalog/download"');
  });

  it("says 'at least' a total whose count stopped at its budget, in English and French", async () => {
    const restore = totalsStoppingAt(follower.node.services.catalog, 3);
    try {
      expect((await teacher.page("/catalog")).html).toContain(
        '<p class="result-count" role="status">At least 3 courses</p>',
      );
      const french = new WebClient(follower.url, { "accept-language": "fr" });
      const { password } = await createAccount(
        {
          actors: follower.node.services.actors,
          accounts: new AccountRepository(follower.node.db),
        },
        { username: "lectrice", role: "viewer" },
      );
      await french.login("lectrice", password);
      expect((await french.page("/catalog")).html).toContain(
        '<p class="result-count" role="status">Au moins 3 cours</p>',
      );
    } finally {
      restore();
    }
  });

  it("downloads the archive through the node, verified", async () => {
    await teacher.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    const response = await teacher.post("/catalog/download", { object: objectUri });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toContain("attachment");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha256);
  });

  it("offers every revision received, to download and to restore", async () => {
    const courseId = new URL(objectUri).pathname.split("/").pop() as string;
    const second = await publishCourse(
      domainServices(contextOf(publisher)),
      publisher.node.institution,
      fixture("m262-tgz-course-availability-nousers.mbz"),
      { title: XSS_TITLE, summary: XSS_SUMMARY },
      { courseId },
    );
    await eventually(
      async () => (await follower.node.services.catalog.catalogEntry(objectUri))?.revision === 2,
    );
    const course = await teacher.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    expect(course.html).toContain('<option value="2" selected>revision 2</option>');
    expect(course.html).toContain('aria-label="Download revision 1 (.mbz)"');
    const digestOf = async (fields: Record<string, string>) => {
      const response = await teacher.post("/catalog/download", { object: objectUri, ...fields });
      expect(response.status).toBe(200);
      return createHash("sha256")
        .update(Buffer.from(await response.arrayBuffer()))
        .digest("hex");
    };
    expect(await digestOf({ revision: "1" })).toBe(sha256);
    expect(await digestOf({})).toBe(second.report.sha256);
  });

  it("asks for a restore and shows the job, refreshing while it waits, with why it waits", async () => {
    await teacher.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    const asked = await teacher.post("/catalog/restore", {
      object: objectUri,
      target: "nowhere",
      revision: "1",
      destination: "new-course",
      categoryId: "4",
    });
    expect(asked.status).toBe(303);
    const [job] = await follower.node.services.restores.jobs({ limit: 1, offset: 0 });
    expect(job).toMatchObject({
      requestedBy: "web marie",
      revision: 1,
      destination: { kind: "new-course", categoryId: 4 },
    });
    expect(asked.headers.get("location")).toBe(`/restores#job-${job?.id}`);
    await eventually(
      async () => (await follower.node.services.restores.job(job?.id as string))?.errorMessage,
    );
    const restores = await teacher.page("/restores");
    expect(restores.html).toContain('<meta http-equiv="refresh" content="5; url=/restores">');
    expect(restores.html).toContain("new course in category 4");
    expect(restores.html).toContain("Will be tried again");
    expect(activeMarkup(restores.html)).toEqual([]);

    const refused = await teacher.post("/catalog/restore", {
      object: objectUri,
      target: "nowhere",
      destination: "existing-course",
      intoCourse: "12",
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Choose merge or replace");
  });

  it("keeps a teacher's restore to what admins allowed, and confirms an existing course first", async () => {
    const coursePage = await teacher.page(
      `/catalog/course?object=${encodeURIComponent(objectUri)}`,
    );
    expect(coursePage.html).toContain('action="/catalog/restore"');
    expect(coursePage.html).not.toContain('name="override"');
    expect(coursePage.html).toContain("Teachers restore new courses into these categories (");
    expect(coursePage.html).toContain("nowhere: 4");
    const restore = (fields: Record<string, string>) =>
      teacher.post("/catalog/restore", { object: objectUri, target: "nowhere", ...fields });

    const elsewhere = await restore({ destination: "new-course", categoryId: "7" });
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).toContain("Teachers may not restore into category 7 of nowhere");
    const overridden = await restore({
      destination: "new-course",
      categoryId: "4",
      override: "true",
    });
    expect(overridden.status).toBe(403);
    expect(await overridden.text()).toContain("Only an admin may override");
    const into = { destination: "existing-course", intoCourse: "12", mode: "replace" };
    const notGranted = await restore(into);
    expect(notGranted.status).toBe(403);
    expect(await notGranted.text()).toContain("course 12 is neither");

    const services = follower.node.services;
    await grantCourse(services, restorePerson(follower), "nowhere", 12, "marie");
    const confirmation = await restore(into);
    expect(confirmation.status).toBe(200);
    const html = await confirmation.text();
    expect(html).toContain("Restore into an existing course?");
    expect(html).toContain("Replacing deletes the contents of Moodle course 12 on nowhere");
    expect(html).toContain('<input type="hidden" name="confirm" value="true">');
    expect(html).toContain("Replace its contents</button>");
    const jobsInto12 = async () =>
      (await services.restores.jobs({ limit: 100, offset: 0 })).filter(
        (job) => job.destinationKey === "course:12:replace",
      );
    expect(await jobsInto12()).toEqual([]);

    const confirmed = await restore({ ...into, confirm: "true" });
    expect(confirmed.status).toBe(303);
    expect(await jobsInto12()).toEqual([
      expect.objectContaining({
        requestedBy: "web marie",
        destination: { kind: "existing-course", courseId: 12, mode: "replace" },
      }),
    ]);
    const { entries } = await restorePerson(follower).auditLog.page({ limit: 100, offset: 0 });
    const marie = entries
      .filter((entry) => entry.byKind === "web" && entry.byName === "marie")
      .map((entry) => entry.action);
    expect(marie).toEqual(
      expect.arrayContaining(["restore.refuse", "restore.request", "restore.confirm"]),
    );
  });

  it("lists to a teacher her restores and those into her courses, and every restore to an admin", async () => {
    const services = follower.node.services;
    const accounts = { actors: services.actors, accounts: new AccountRepository(follower.node.db) };
    const pierre = await createAccount(accounts, {
      username: "pierre",
      role: "teacher",
      displayName: "Pierre Curie",
    });
    const admin = await createAccount(accounts, {
      username: "irene",
      role: "admin",
      displayName: "Irène Joliot-Curie",
    });
    const target = await services.moodleTargets.byName("nowhere");
    const pierresActor = (await services.actors.byHandle("pierre"))?.id;
    const asked = async (destination: { kind: "new-course"; categoryId: number }, by: string) =>
      (
        await services.restores.request({
          objectUri,
          revision: 1,
          targetId: target?.id as number,
          destination,
          requesterKey: by === "web pierre" ? `actor:${pierresActor}` : `name:${by}`,
          requestedBy: by,
          requestedByActorId: by === "web pierre" ? pierresActor : undefined,
        })
      ).job.id;
    const pierres = await asked({ kind: "new-course", categoryId: 41 }, "web pierre");
    await services.restores.update(pierres, {
      state: "failed",
      errorMessage: "Pierre's category is full",
    });
    const admins = await asked({ kind: "new-course", categoryId: 42 }, "web irene");
    const maries = (await services.restores.jobs({ limit: 100, offset: 0 })).find(
      (job) => job.requestedBy === "web marie" && job.destinationKey === "category:4",
    )?.id;
    const marie = (await teacher.page("/restores")).html;
    expect(marie).toContain(`id="job-${maries}"`);
    expect(marie).not.toContain(`id="job-${pierres}"`);
    expect(marie).not.toContain("Pierre's category is full");
    expect(marie).not.toContain("category 41");
    expect(marie).not.toContain(`id="job-${admins}"`);
    expect(marie).toContain("the restores into the Moodle courses you may restore into");

    const pierreClient = new WebClient(follower.url);
    expect((await pierreClient.login("pierre", pierre.password)).status).toBe(303);
    const his = (await pierreClient.page("/restores")).html;
    expect(his).toContain(`id="job-${pierres}"`);
    expect(his).not.toContain(`id="job-${maries}"`);
    const adminClient = new WebClient(follower.url);
    expect((await adminClient.login("irene", admin.password)).status).toBe(303);
    const all = (await adminClient.page("/restores")).html;
    for (const id of [pierres, admins, maries]) expect(all).toContain(`id="job-${id}"`);
  });

  it("gives a teacher asking for a colleague's new course a job of her own", async () => {
    const services = follower.node.services;
    const lise = await createAccount(
      { actors: services.actors, accounts: new AccountRepository(follower.node.db) },
      { username: "lise", role: "teacher", displayName: "Lise Meitner" },
    );
    const client = new WebClient(follower.url);
    expect((await client.login("lise", lise.password)).status).toBe(303);
    await client.page(`/catalog/course?object=${encodeURIComponent(objectUri)}`);
    // Marie asked for this very restore (revision 1, nowhere, category 4) earlier on.
    const maries = (await services.restores.jobs({ limit: 100, offset: 0 })).find(
      (job) => job.requestedBy === "web marie" && job.destinationKey === "category:4",
    )?.id as string;
    expect(maries).toBeDefined();
    const ask = () =>
      client.post("/catalog/restore", {
        object: objectUri,
        target: "nowhere",
        revision: "1",
        destination: "new-course",
        categoryId: "4",
      });
    const asked = await ask();
    expect(asked.status).toBe(303);
    const location = asked.headers.get("location") as string;
    expect(location).not.toContain(maries);
    const id = /#job-(.+)$/.exec(location)?.[1] as string;
    expect(await services.restores.job(id)).toMatchObject({
      requestedBy: "web lise",
      destination: { kind: "new-course", categoryId: 4 },
    });
    const page = (await client.page("/restores")).html;
    expect(page).toContain(`id="job-${id}"`);
    expect(page).not.toContain(`id="job-${maries}"`);
    expect(page).not.toContain("web marie");
    // Asking again, she is told it is the job she asked for before.
    const again = (await ask()).headers.get("location") as string;
    expect(again).toContain(`again=${id}`);
    expect(again).toContain(`#job-${id}`);

    // Into a course both may restore into, the job is Marie's too, and not said to be Lise's.
    await grantCourse(services, restorePerson(follower), "nowhere", 12, "lise");
    const maries12 = (await services.restores.jobs({ limit: 100, offset: 0 })).find(
      (job) => job.destinationKey === "course:12:replace",
    );
    const into12 = await client.post("/catalog/restore", {
      object: objectUri,
      target: "nowhere",
      revision: String(maries12?.revision),
      destination: "existing-course",
      intoCourse: "12",
      mode: "replace",
      confirm: "true",
    });
    const shared = into12.headers.get("location") as string;
    expect(shared).toContain(`again=${maries12?.id}`);
    const sharedPage = (await client.page(shared)).html;
    expect(sharedPage).toContain("was already asked for on");
    expect(sharedPage).not.toContain("You had already asked for this restore");
  });

  it("says on the feeds page why a follow could not be sent, keeping what was typed", async () => {
    await teacher.page("/feeds");
    const nobody = `@nobody@127.0.0.1:${await freePort()}`;
    const response = await teacher.post("/feeds/follow", { target: nobody });
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain(`${nobody.slice("@nobody@".length)} could not be reached to look`);
    expect(html).toContain("ECONNREFUSED");
    expect(html).toContain(
      `value="${nobody}" aria-describedby="follow-help follow-error" aria-invalid="true"`,
    );
  });

  it("stops following from the feeds page", async () => {
    await teacher.page("/feeds");
    const response = await teacher.post("/feeds/unfollow", { actor: institutionOf(publisher) });
    expect(response.headers.get("location")).toBe("/feeds?notice=unfollowed");
    expect((await teacher.page("/feeds")).html).toContain("Nobody yet.");
  });
});
