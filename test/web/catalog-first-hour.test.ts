import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { freePort, startTestNode, type TestNode } from "../support/test-node.ts";
import { addProbedTargets } from "./probed-targets.ts";
import { WebClient } from "./web-client.ts";

/**
 * A new institution's first hour: a school follows a university whose teacher Ada has
 * published a course; the school's people read the catalog, restore, and restore again.
 */
let university: TestNode;
let school: TestNode;

interface CatalogPage {
  total: number;
  items: Array<{
    title: string;
    author: { actor: string | null; name: string | null; handle: string | null } | null;
    institution: { actor: string | null; name: string | null; handle: string | null; host: string };
  }>;
  emptyReason?: { code: string; message: string; filters?: string[] };
}

async function call<T>(peer: TestNode, path: string, init: RequestInit = {}, token = peer.token) {
  const response = await fetch(new URL(`/api/v1${path}`, peer.url), {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": init.body instanceof Buffer ? "application/octet-stream" : "application/json",
    },
  });
  expect(response.status, path).toBeLessThan(300);
  return (await response.json()) as T;
}

describe.runIf(haveFixtures())("the catalog and restores in a new institution's first hour", () => {
  let object: string;
  let adaUri: string;
  let admin: WebClient;
  const summary = `Stoichiometry & titrations, step by step: ${"a long lesson ".repeat(12)}`;

  beforeAll(async () => {
    [university, school] = await Promise.all([
      startTestNode("univ", "Université Exemple"),
      startTestNode("school", "Lycée Exemple"),
    ]);
    admin = new WebClient(school.url);
    await admin.login("admin", school.node.initialAdminPassword as string);
  });
  afterAll(async () => {
    await Promise.all([university, school].map((peer) => peer?.stop()));
  });

  it("says the catalog is empty, and why, before anything is followed", async () => {
    const found = await call<CatalogPage>(school, "/catalog?tag=chimie");
    expect(found.total).toBe(0);
    expect(found.emptyReason).toMatchObject({ code: "catalog_empty" });
    expect(found.emptyReason?.message).toContain("Follow an institution or a teacher");
    const page = await admin.page("/catalog");
    expect(page.html).toContain("The catalog is empty: this node has not received any course yet.");
    const cli = await coursefed(school, "catalog");
    expect(cli.stdout).toContain("0 courses\nThe catalog is empty");
  });

  it("receives a teacher's course announced by the institution", async () => {
    await followAndApprove(school, university);
    const { account } = await createAccount(
      {
        actors: university.node.services.actors,
        accounts: new AccountRepository(university.node.db),
      },
      { username: "ada", role: "teacher", displayName: "Ada Lovelace" },
    );
    const adaToken = (
      await new TokenRepository(university.node.db).create("ada", "teacher", account.actorId)
    ).token;
    const upload = await call<{ id: string }>(
      university,
      "/uploads",
      { method: "POST", body: await readFile(fixture("m26dev-zip-course-glossary-nousers.mbz")) },
      adaToken,
    );
    ({ object } = await call<{ object: string }>(
      university,
      "/courses",
      {
        method: "POST",
        body: JSON.stringify({
          uploadId: upload.id,
          title: "Chimie des solutions",
          summary,
          tags: ["chimie", "lycee"],
        }),
      },
      adaToken,
    ));
    const ada = await university.node.services.actors.byId(account.actorId);
    adaUri = new URL(`/actors/${ada?.identifier}`, university.url).href;
    await eventually(() => school.node.services.catalog.catalogEntry(object));
    // The author is remembered when the Announce arrives, after the entry.
    await eventually(() => school.node.services.follows.remoteActor(adaUri));
  });

  it("names the teacher and the institution in the API, the web and the CLI", async () => {
    const host = university.url.host;
    const found = await call<CatalogPage>(school, "/catalog");
    expect(found.items[0]).toMatchObject({
      author: { actor: adaUri, name: "Ada Lovelace", handle: `ada@${host}` },
      institution: { name: "Université Exemple", handle: `univ@${host}`, host },
    });
    expect(found.emptyReason).toBeUndefined();

    const catalog = await admin.page("/catalog");
    expect(catalog.html).toContain(
      `<p class="byline"><span class="author" title="@ada@${host}">Ada Lovelace</span> · <span class="institution" title="${host}">Université Exemple</span></p>`,
    );
    const course = await admin.page(`/catalog/course?${new URLSearchParams({ object })}`);
    expect(course.html).toContain(
      `<a href="${adaUri}" rel="external" class="author" title="@ada@${host}">Ada Lovelace</a> <small class="handle">@ada@${host}</small> · <span class="institution" title="${host}">Université Exemple</span>`,
    );

    const cli = await coursefed(school, "catalog");
    expect(cli.code).toBe(0);
    const lines = cli.stdout.split("\n");
    expect(lines[0]).toBe("1 course");
    expect(lines[1]).toMatch(/^- Chimie des solutions \(revision 1, \d+(\.\d)? KiB, Moodle /);
    expect(lines[2]).toBe(`  by Ada Lovelace (@ada@${host}), Université Exemple (${host})`);
    // The summary's text on one line, cut at a word.
    expect(lines[3]).toMatch(/^ {2}Stoichiometry & titrations, step by step: a long lesson .*…$/);
    expect((lines[3] as string).length).toBeLessThanOrEqual(102);
    expect(lines[4]).toBe("  #chimie #lycee");
    expect(lines[5]).toBe(`  ${object}`);
    // One course with its revisions: sizes as everywhere else.
    const one = await coursefed(school, "catalog", "--object", object);
    expect(one.stdout).toContain(`  by Ada Lovelace (@ada@${host}), Université Exemple (${host})`);
    expect(one.stdout).toMatch(
      /\n {2}revision 1 {2}\S+ {2}\d+(\.\d)? KiB {2}sha256 [0-9a-f]{64}\n/,
    );
  });

  it("says restorable finds nothing because no Moodle target was probed, then finds the course once one is", async () => {
    const found = await call<CatalogPage>(school, "/catalog?restorable=true");
    expect(found.total).toBe(0);
    expect(found.emptyReason).toMatchObject({ code: "no_probed_target" });
    expect(found.emptyReason?.message).toContain("No Moodle target has been probed yet");

    const page = await admin.page("/catalog?restorable=true&q=chimie");
    expect(page.html).toContain("no Moodle site of this node has been probed.");
    expect(page.html).toContain('<a href="/admin/targets">Probe a Moodle site</a>');
    expect(page.html).toContain('<a href="/catalog?q=chimie">Search without this filter</a>');
    const french = new WebClient(school.url, { "accept-language": "fr" });
    await french.login("admin", school.node.initialAdminPassword as string);
    expect((await french.page("/catalog?restorable=true")).html).toContain(
      "aucun site Moodle de ce nœud n’a été sondé",
    );

    const cli = await coursefed(school, "catalog", "--restorable");
    expect(cli.stdout).toContain(
      "0 courses\nNo Moodle target has been probed yet, so no course can be judged restorable",
    );

    await addProbedTargets(school);
    expect((await call<CatalogPage>(school, "/catalog?restorable=true")).total).toBe(1);
  });

  it("shows the largest backup each probed Moodle site accepts in the sites table", async () => {
    const sites = await admin.page("/admin/targets");
    expect(sites.html).toContain('<th scope="col">Largest backup</th>');
    expect(sites.html).toMatch(/<th scope="row">moodle-45<\/th>[\s\S]*?<td>no limit<\/td>/);
    expect(sites.html).toMatch(/<th scope="row">moodle-small<\/th>[\s\S]*?<td>1000 B<\/td>/);
  });

  it("names the filters that left nothing, and offers to clear them", async () => {
    const found = await call<CatalogPage>(school, "/catalog?tag=physique&language=de");
    expect(found.emptyReason).toEqual({
      code: "filtered",
      filters: ["tag", "language"],
      message: expect.stringContaining("(tag, language)"),
    });
    const page = await admin.page("/catalog?q=chimie&tag=physique&language=de");
    expect(page.html).toContain("No course matches all of these filters");
    expect(page.html).toContain(
      '<a href="/catalog?q=chimie&amp;language=de" aria-label="Remove the filter tag: physique"><span aria-hidden="true">×</span> tag: physique</a>',
    );
    expect(page.html).toContain('<a href="/catalog" role="button" class="secondary compact">');
    const cli = await coursefed(school, "catalog", "--tag", "physique", "--language", "de");
    expect(cli.stdout).toContain("Nothing matches every option given (--tag, --language)");
  });

  it("shows filter examples as hints, not as values", async () => {
    const page = await admin.page("/catalog");
    expect(page.html).toContain('placeholder="e.g. qtype_stack"');
    expect(page.html).toContain('placeholder="e.g. 4.1"');
    expect(page.html).not.toContain('placeholder="fr"');
  });

  it("says a restore asked for again is the same job, and how it stands (API, web, CLI)", async () => {
    await school.node.services.moodleTargets.add({
      name: "nowhere",
      driver: "ws",
      url: `http://127.0.0.1:${await freePort()}`,
      token: "t",
      timeoutMs: 5000,
    });
    const ask = () =>
      call<{ id: string; state: string; repeat: string | null }>(school, "/restores", {
        method: "POST",
        body: JSON.stringify({ object, target: "nowhere", categoryId: 7 }),
      });
    const first = await ask();
    expect(first.repeat).toBeNull();
    const again = await ask();
    expect(again).toMatchObject({ id: first.id, repeat: "unchanged" });

    await admin.page(`/catalog/course?${new URLSearchParams({ object })}`);
    const asked = await admin.post("/catalog/restore", {
      object,
      target: "nowhere",
      destination: "new-course",
      categoryId: "7",
    });
    expect(asked.status).toBe(303);
    const location = asked.headers.get("location") as string;
    expect(location).toBe(`/restores?again=${first.id}&repeat=unchanged#job-${first.id}`);
    const restores = await admin.page(location);
    // It stays through the page's reloads while the job waits.
    expect(restores.html).toContain(
      `<meta http-equiv="refresh" content="5; url=/restores?again=${first.id}&amp;repeat=unchanged">`,
    );
    expect(restores.html).toMatch(
      /role="status">You had already asked for this restore \(same revision, Moodle site and destination\) on [^<]+ UTC\. A restore is made once: this is the same job\. It is (still waiting its turn|running now)\./,
    );

    const cli = await coursefed(
      school,
      "restore",
      object,
      "--target",
      "nowhere",
      "--category",
      "7",
    );
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`Restore job ${first.id}`);
    expect(cli.stdout).toContain(
      "This restore (same revision, target and destination) was asked for before",
    );
    // A job that had failed, asked for again, is the same job tried again, and says so.
    await school.node.services.restores.update(first.id, { state: "failed" });
    expect(await ask()).toMatchObject({ id: first.id, state: "queued", repeat: "queued-again" });
    await school.node.services.restores.update(first.id, { state: "failed" });
    const retried = await admin.post("/catalog/restore", {
      object,
      target: "nowhere",
      destination: "new-course",
      categoryId: "7",
    });
    const retriedPage = await admin.page(retried.headers.get("location") as string);
    expect(retriedPage.html).toContain("It had failed or been refused: it is tried again now.");

    // A new destination is a new job, said as nothing else.
    const elsewhere = await coursefed(school, "restore", object, "--target", "nowhere");
    expect(elsewhere.stdout).not.toContain("asked for before");
  });
});
