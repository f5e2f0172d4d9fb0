import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { TokenRepository } from "../../packages/node/src/tokens/token-repository.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import { followAndApprove } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { addProbedTargets } from "../web/probed-targets.ts";
import { WebClient } from "../web/web-client.ts";

let university: TestNode;
let school: TestNode;

interface CatalogPage {
  total: number;
  items: Array<{ object: string; title: string; actor: string }>;
}

async function call<T>(peer: TestNode, token: string, path: string, init: RequestInit = {}) {
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

async function publish(token: string, file: string, title: string): Promise<string> {
  const upload = await call<{ id: string }>(university, token, "/uploads", {
    method: "POST",
    body: await readFile(fixture(file)),
  });
  const published = await call<{ object: string }>(university, token, "/courses", {
    method: "POST",
    body: JSON.stringify({ uploadId: upload.id, title }),
  });
  return published.object;
}

function titles(page: CatalogPage): string[] {
  return page.items.map((item) => item.title).sort();
}

describe.runIf(haveFixtures())("catalog filters: teacher, and restorable on our targets", () => {
  let ada: string;
  /** What GET /catalog/compatibility judges restorable on at least one target. */
  let restorable: string[];

  beforeAll(async () => {
    [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    // The school follows the institution only: Ada's courses come announced by it.
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
    ada = (await university.node.services.actors.byId(account.actorId))?.identifier as string;
    const objects = [
      await publish(adaToken, "m232-zip-course-stackdemo-nousers.mbz", "Stack by Ada"),
      await publish(adaToken, "m285-zip-activity-quiz-nousers.mbz", "Quiz by Ada"),
      await publish(university.token, "m26dev-zip-course-glossary-nousers.mbz", "Glossary"),
    ];
    for (const object of objects) {
      await eventually(() => school.node.services.catalog.catalogEntry(object));
    }
    await addProbedTargets(school);
    restorable = [];
    for (const object of objects) {
      const verdict = await call<{ targets: Array<{ restorable?: boolean }> }>(
        school,
        school.token,
        `/catalog/compatibility?${new URLSearchParams({ object })}`,
      );
      const entry = await school.node.services.catalog.catalogEntry(object);
      if (verdict.targets.some((target) => target.restorable))
        restorable.push(entry?.title as string);
    }
    restorable.sort();
  });
  afterAll(async () => {
    await Promise.all([university, school].map((peer) => peer?.stop()));
  });

  it("finds a teacher's courses by handle or name through the API, and lists the teachers", async () => {
    const adaUri = new URL(`/actors/${ada}`, university.url).href;
    const teachers = await call<{ items: Array<{ actor: string; name: string; handle: string }> }>(
      school,
      school.token,
      "/catalog/teachers",
    );
    expect(teachers.items).toEqual([
      { actor: adaUri, name: "Ada Lovelace", handle: `ada@${university.url.host}` },
    ]);
    for (const teacher of ["ada", "LOVELACE", `@ada@${university.url.host}`]) {
      const found = await call<CatalogPage>(
        school,
        school.token,
        `/catalog?${new URLSearchParams({ teacher })}`,
      );
      expect(titles(found), teacher).toEqual(["Quiz by Ada", "Stack by Ada"]);
      expect(found.total).toBe(2);
    }
    // The institution published the glossary: it is no teacher.
    const institution = await call<CatalogPage>(school, school.token, "/catalog?teacher=univ");
    expect(institution.total).toBe(0);
  });

  it("keeps the courses a probed target can restore, as the compatibility check says", async () => {
    // The stack demo needs qtype_stack, which neither target has; the others restore.
    expect(restorable).toEqual(["Glossary", "Quiz by Ada"]);
    const found = await call<CatalogPage>(school, school.token, "/catalog?restorable=true");
    expect(titles(found)).toEqual(restorable);
    const paged = await call<CatalogPage>(school, school.token, "/catalog?restorable=true&limit=1");
    expect(paged.total).toBe(2);
    expect(paged.items).toHaveLength(1);
    const both = await call<CatalogPage>(
      school,
      school.token,
      "/catalog?restorable=true&teacher=ada",
    );
    expect(titles(both)).toEqual(["Quiz by Ada"]);
  });

  it("pages by cursor through the API and the command line, and refuses a cursor it did not give", async () => {
    const seen: string[] = [];
    let page = await call<CatalogPage & { totalExact: boolean; nextCursor?: string }>(
      school,
      school.token,
      "/catalog?limit=2",
    );
    expect(page).toMatchObject({ total: 3, totalExact: true });
    seen.push(...page.items.map((item) => item.title));
    page = await call(school, school.token, `/catalog?limit=2&cursor=${page.nextCursor}`);
    seen.push(...page.items.map((item) => item.title));
    expect(page.nextCursor).toBeUndefined();
    expect(seen.sort()).toEqual(["Glossary", "Quiz by Ada", "Stack by Ada"]);

    const refused = await fetch(new URL("/api/v1/catalog?cursor=nonsense", school.url), {
      headers: { authorization: `Bearer ${school.token}` },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_cursor" } });

    const first = await coursefed(school, "catalog", "--limit", "2");
    const cursor = /next page: --cursor (\S+)/.exec(first.stdout)?.[1];
    expect(first.stdout).toContain("3 courses");
    const second = await coursefed(school, "catalog", "--limit", "2", "--cursor", cursor ?? "");
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain("next page");
    const listed = `${first.stdout}${second.stdout}`;
    for (const title of ["Glossary", "Quiz by Ada", "Stack by Ada"])
      expect(listed).toContain(title);
  });

  it("filters the same from the command line", async () => {
    const both = await coursefed(school, "catalog", "--teacher", "ada", "--restorable", "--json");
    expect(both.code).toBe(0);
    expect(titles(JSON.parse(both.stdout) as CatalogPage)).toEqual(["Quiz by Ada"]);
    const text = await coursefed(school, "catalog", "--teacher", "lovelace");
    expect(text.stdout).toContain("2 courses");
    expect(text.stdout).toContain("Stack by Ada");
  });

  it("offers both filters on the catalog page", async () => {
    const admin = new WebClient(school.url);
    await admin.login("admin", school.node.initialAdminPassword as string);
    const adaUri = new URL(`/actors/${ada}`, university.url).href;
    const all = await admin.page("/catalog");
    expect(all.html).toContain(
      `<option value="${adaUri}">Ada Lovelace (@ada@${university.url.host})</option>`,
    );
    expect(all.html).toContain("Judged on the last probe of our 2 Moodle sites");
    expect(all.html).toContain("3 courses");

    const theirs = await admin.page(`/catalog?${new URLSearchParams({ actor: adaUri })}`);
    expect(theirs.html).toContain(`<option value="${adaUri}" selected>`);
    expect(theirs.html).toContain("2 courses");
    expect(theirs.html).not.toContain("Glossary");

    const restorableHere = await admin.page("/catalog?restorable=true");
    expect(restorableHere.html).toMatch(/name="restorable" value="true" checked/);
    expect(restorableHere.html).toContain("2 courses");
    expect(restorableHere.html).not.toContain("Stack by Ada");
  });
});
