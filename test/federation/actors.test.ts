import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signObject } from "@fedify/fedify";
import { Delete, type Recipient } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalActor } from "../../packages/node/src/actors/local-actors.ts";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { institutionSigner } from "../../packages/node/src/federation/signed-fetch.ts";
import { coursefed } from "../support/coursefed-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  actorUri,
  contextOf,
  followAccepted,
  inboxSyncFlag,
  institutionOf,
  writeOnePageBackup,
} from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

/** The school follows univ's institution and its teacher ada, as its institution and as its teacher sam. */
let univ: TestNode;
let school: TestNode;
let ada: LocalActor;
let sam: LocalActor;
let workDir: string;
let backup: string;

async function publish(peer: TestNode, actor: LocalActor, title: string, visibility = "public") {
  const published = await publishCourse(domainServices(contextOf(peer)), actor, backup, {
    title,
    visibility: visibility as "public" | "followers",
  });
  return new URL(`/courses/${published.course.id}`, peer.url).href;
}

function sharedInboxOf(to: TestNode): Recipient {
  return { id: new URL(institutionOf(to)), inboxId: new URL("/inbox", to.url), endpoints: null };
}

async function api(peer: TestNode, method: string, path: string, body?: string | Uint8Array) {
  return await fetch(new URL(`/api/v1${path}`, peer.url), {
    method,
    headers: { authorization: `Bearer ${peer.token}`, "content-type": "application/octet-stream" },
    ...(body === undefined ? {} : { body }),
  });
}

async function actorJson(peer: TestNode, path = "/actors/institution") {
  const response = await fetch(new URL(path, peer.url), {
    headers: { accept: "application/activity+json" },
  });
  return (await response.json()) as Record<string, unknown>;
}

/** A PNG of one pixel, as an image editor writes it. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "coursefed-actors-"));
  backup = await writeOnePageBackup(workDir);
  [univ, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
  ada = await univ.node.services.actors.createTeacher("ada", "Ada");
  sam = await school.node.services.actors.createTeacher("sam", "Sam");
  await followAccepted(school, school.node.institution, univ, univ.node.institution);
  await followAccepted(school, sam, univ, univ.node.institution);
  await followAccepted(school, school.node.institution, univ, ada);
  // ada follows the school back: her follows go both ways.
  await followAccepted(univ, ada, school, school.node.institution);
}, 60_000);
afterAll(async () => {
  await Promise.all([univ?.stop(), school?.stop()]);
  await rm(workDir, { recursive: true, force: true });
});

describe("the actors of a node as others see them", () => {
  it("lists whom an actor follows in its following collection", async () => {
    const actor = await actorJson(school);
    const following = (await (
      await fetch(`${actor.following}?cursor=`, {
        headers: { accept: "application/activity+json" },
      })
    ).json()) as { orderedItems: string[] };
    expect(following.orderedItems).toEqual([institutionOf(univ), actorUri(univ, ada)].sort());
    expect((await actorJson(school, `/actors/${sam.identifier}`)).url).toBe(actorUri(school, sam));
  });

  it("takes a PNG, JPEG or WebP logo from an admin as the institution's icon, and refuses the rest", async () => {
    const svg =
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    const refused = await api(univ, "PUT", "/settings/logo", svg);
    expect(refused.status).toBe(415);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /SVG logos are refused/,
    );
    // A PNG's name is not enough: the content is read.
    const renamed = await api(univ, "PUT", "/settings/logo", "GIF89a not really");
    expect(renamed.status).toBe(415);
    const huge = Buffer.concat([PNG, Buffer.alloc(600 * 1024)]);
    expect((await api(univ, "PUT", "/settings/logo", huge)).status).toBe(413);
    expect((await actorJson(univ)).icon).toBeUndefined();

    const set = await api(univ, "PUT", "/settings/logo", PNG);
    expect(set.status).toBe(200);
    const logo = (await set.json()) as { url: string; mediaType: string };
    expect(logo.mediaType).toBe("image/png");
    expect((await actorJson(univ)).icon).toEqual({
      type: "Image",
      url: logo.url,
      mediaType: "image/png",
    });
    const served = await fetch(logo.url);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("cache-control")).toContain("immutable");
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    // The institution's page shows it too.
    const profile = await (
      await fetch(new URL("/actors/institution", univ.url), { headers: { accept: "text/html" } })
    ).text();
    expect(profile).toContain(`<img class="avatar" src="${new URL(logo.url).pathname}"`);
    // Teachers have no icon: their accounts bring no picture.
    expect((await actorJson(univ, `/actors/${ada.identifier}`)).icon).toBeUndefined();

    expect((await api(univ, "DELETE", "/settings/logo")).status).toBe(200);
    expect((await actorJson(univ)).icon).toBeUndefined();
    expect((await fetch(logo.url)).status).toBe(404);
  });

  it("sets the logo from the command line too, with the same checks", async () => {
    const svgFile = join(workDir, "logo.png");
    await writeFile(svgFile, '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const refused = await coursefed(univ, "settings", "logo", svgFile);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SVG logos are refused/);
    const pngFile = join(workDir, "logo-really.png");
    await writeFile(pngFile, PNG);
    const set = await coursefed(univ, "settings", "logo", pngFile);
    expect(set.stdout).toMatch(
      /^The institution's logo: http:\/\/.*\/logo\/[0-9a-f]{64} \(image\/png, \d+ bytes\)\.$/m,
    );
    expect(((await actorJson(univ)).icon as { mediaType: string }).mediaType).toBe("image/png");
    expect((await coursefed(univ, "settings", "logo", "--remove")).stdout).toBe(
      "The institution has no logo.\n",
    );
  });

  it("counts its actors, those that published lately and its courses in NodeInfo", async () => {
    await publish(univ, ada, "Counted");
    const info = (await (await fetch(new URL("/nodeinfo/2.1", univ.url))).json()) as {
      usage: unknown;
    };
    expect(info.usage).toMatchObject({
      users: { total: 2, activeMonth: 1, activeHalfyear: 1 },
      localPosts: 1,
    });
  });
});

describe("FEP-8fcf: followers-only deliveries keep both sides' follows the same", () => {
  it("forgets a follow the publisher no longer counts, and undoes one it counts that we do not have", async () => {
    // What the header's url points to: univ's followers on the school's server, in one page.
    const url = new URL(`${institutionOf(univ)}/followers`);
    url.searchParams.set("base-url", `${school.url.origin}/`);
    const get = async (at: string | URL) =>
      (await (await fetch(at, { headers: { accept: "application/activity+json" } })).json()) as {
        first: string;
        next?: string;
        orderedItems: Array<{ id?: string } | string>;
      };
    const partial = await get(url);
    const page = await get(partial.first);
    expect(page.next).toBeUndefined();
    expect(
      page.orderedItems.map((item) => (typeof item === "string" ? item : item.id)).sort(),
    ).toEqual([institutionOf(school), actorUri(school, sam)].sort());
    // A header pointing elsewhere than the sender's own server is not followed.
    const info = vi.spyOn(console, "info");
    const note = new Request(new URL("/inbox", school.url), {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        "collection-synchronization": `collectionId="${institutionOf(univ)}/followers", url="http://127.0.0.1:9/followers?base-url=${school.url.origin}/", digest="${"0".repeat(64)}"`,
      },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${institutionOf(univ)}/notes/elsewhere`,
        type: "Create",
        actor: institutionOf(univ),
        object: { id: `${institutionOf(univ)}/notes/1`, type: "Note", content: "hi" },
      }),
    });
    expect((await fetch(await (await institutionSigner(contextOf(univ)))(note))).status).toBe(202);
    await eventually(() =>
      info.mock.calls.some(([line]) => /refused: the collection it names is not on/.test(line)),
    );
    info.mockRestore();
    expect(await school.node.services.follows.following(sam.id, institutionOf(univ))).toMatchObject(
      { state: "accepted" },
    );
    // univ lost sam's follow (a database restored from before it, say): the school still
    // has it accepted, and would wait in vain for univ's followers-only courses.
    await univ.node.services.follows.removeFollower(
      univ.node.institution.id,
      actorUri(school, sam),
    );
    await publish(univ, univ.node.institution, "For followers", "followers");
    await eventually(
      async () =>
        (await school.node.services.follows.following(sam.id, institutionOf(univ))) === undefined,
    );
    expect(
      await school.node.services.follows.following(school.node.institution.id, institutionOf(univ)),
    ).toMatchObject({ state: "accepted" });

    // The other way round: the school forgot its institution's follow, univ still counts it.
    await school.node.services.follows.forgetFollowing(
      school.node.institution.id,
      institutionOf(univ),
    );
    await publish(univ, univ.node.institution, "For followers, again", "followers");
    await eventually(
      async () =>
        (await univ.node.services.follows.follower(
          univ.node.institution.id,
          institutionOf(school),
        )) === undefined,
    );
  });
});

describe("a remote actor deleted", () => {
  it("refuses a Delete of an actor by another actor, and one signed with another's key", async () => {
    const warn = vi.spyOn(console, "warn");
    const ctx = contextOf(univ);
    const id = new URL(`/actors/institution/deletes/${crypto.randomUUID()}`, univ.url);
    await ctx.sendActivity(
      { identifier: "institution" },
      sharedInboxOf(school),
      new Delete({
        id,
        actor: ctx.getActorUri("institution"),
        object: new URL(actorUri(univ, ada)),
      }),
    );
    await eventually(() =>
      warn.mock.calls.some(([line]) => String(line).includes(`${id.href} by`)),
    );
    warn.mockRestore();
    // Signed by the institution's key, claiming to be ada's own.
    const forged = new Request(new URL("/inbox", school.url), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${actorUri(univ, ada)}#delete-forged`,
        type: "Delete",
        actor: actorUri(univ, ada),
        object: actorUri(univ, ada),
      }),
    });
    expect((await fetch(await (await institutionSigner(ctx))(forged))).status).toBe(401);
    expect(
      await school.node.services.follows.following(school.node.institution.id, actorUri(univ, ada)),
    ).toBeDefined();
  });

  it("refuses a Delete whose integrity proof does not hold once its object was changed", async () => {
    const ctx = contextOf(univ);
    const [rsa, ed25519] = await ctx.getActorKeyPairs(ada.identifier);
    const pairs = await univ.node.services.actors.keyPairs(ada);
    const privateKey = pairs[1]?.privateKey;
    if (!rsa || !ed25519?.multikey.id || !privateKey) throw new Error("ada has no Ed25519 key");
    const genuine = await signObject(
      new Delete({
        id: new URL(`${actorUri(univ, ada)}#delete-proof`),
        actor: new URL(actorUri(univ, ada)),
        object: new URL(`${univ.url.origin}/courses/none`),
      }),
      privateKey,
      ed25519.multikey.id,
      { contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader },
    );
    const json = (await genuine.toJsonLd({ contextLoader: ctx.contextLoader })) as Record<
      string,
      unknown
    >;
    const post = (body: unknown) =>
      fetch(new URL("/inbox", school.url), {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(body),
      });
    // Unsigned, its proof alone vouches for it (eddsa-jcs-2022, FEP-8b32) ...
    expect((await post(json)).status).toBe(202);
    // ... and no longer once it deletes ada herself.
    const tampered = { ...json, id: `${json.id}-again`, object: actorUri(univ, ada) };
    expect((await post(tampered)).status).toBe(401);
    expect(
      await school.node.services.follows.following(school.node.institution.id, actorUri(univ, ada)),
    ).toBeDefined();
  });

  it("forgets its follows both ways and withdraws its courses from the catalog, once", async () => {
    const course = await publish(univ, ada, "Ada's last course");
    await eventually(() => school.node.services.catalog.catalogEntry(course));
    const ctx = contextOf(univ);
    // Delivered at once: each is in school's inbox when this returns.
    const deletion = (n: number) =>
      ctx.sendActivity(
        { identifier: ada.identifier },
        sharedInboxOf(school),
        new Delete({
          id: new URL(`${actorUri(univ, ada)}#delete-${n}`),
          actor: new URL(actorUri(univ, ada)),
          object: new URL(actorUri(univ, ada)),
        }),
        { immediate: true },
      );
    await deletion(1);
    await eventually(
      async () => (await school.node.services.catalog.catalogEntry(course))?.deletedAt != null,
    );
    const school_ = school.node.services.follows;
    expect(
      await school_.following(school.node.institution.id, actorUri(univ, ada)),
    ).toBeUndefined();
    expect(await school_.follower(school.node.institution.id, actorUri(univ, ada))).toBeUndefined();
    const withdrawnAt = (await school.node.services.catalog.catalogEntry(course))?.deletedAt;
    // Again (another id): nothing left to change, nothing fails.
    const errors = vi.spyOn(console, "error");
    const warnings = vi.spyOn(console, "warn");
    await deletion(2);
    // Nothing changes to wait for: a later activity, once handled, shows the Delete was.
    const sync = inboxSyncFlag(new URL(institutionOf(univ)));
    await ctx.sendActivity({ identifier: "institution" }, sharedInboxOf(school), sync, {
      immediate: true,
    });
    await eventually(() =>
      warnings.mock.calls.some(([line]) => String(line).includes(sync.id?.href ?? "?")),
    );
    warnings.mockRestore();
    expect((await school.node.services.catalog.catalogEntry(course))?.deletedAt).toBe(withdrawnAt);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });
});
