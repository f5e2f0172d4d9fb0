import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Accept,
  Create,
  Delete,
  Follow,
  generateCryptoKeyPair,
  Hashtag,
  type HttpMessageSignaturesSpec,
  Link,
  Note,
  OrderedCollection,
  Organization,
  PUBLIC_COLLECTION,
  signRequest,
  Tombstone,
  traverseCollection,
  Update,
} from "fedify1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../packages/node/src/cli/api-client.ts";
import { JWS_MEDIA_TYPE } from "../../packages/node/src/federation/course-object.ts";
import { MBZ_MEDIA_TYPE } from "../../packages/node/src/manifests/course-manifest.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import { eventually } from "../support/eventually.ts";
import { institutionOf } from "../support/federation-steps.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { type Fedify1Peer, type SignatureScheme, startFedify1Peer } from "./fedify1-peer.ts";

interface Published {
  readonly id: string;
  readonly object: string;
  readonly revision: number;
  readonly sha256: string;
  readonly size: number;
}

const scenarios: ReadonlyArray<{
  readonly signsWith: HttpMessageSignaturesSpec;
  readonly acceptsRfc9421: boolean;
  readonly scheme: Exclude<SignatureScheme, "unsigned">;
}> = [
  // A peer that speaks only draft-cavage: our node must fall back to it (double knock).
  { signsWith: "draft-cavage-http-signatures-12", acceptsRfc9421: false, scheme: "draft-cavage" },
  { signsWith: "rfc9421", acceptsRfc9421: true, scheme: "rfc9421" },
];

describe.each(scenarios)("a Fedify 1.x server signing with $scheme", (scenario) => {
  let node: TestNode;
  let peer: Fedify1Peer;
  let api: ApiClient;
  let workDir: string;
  let institution: string;
  let follow: Follow;
  let course: Published;

  /** Uploads a generated backup through the API and publishes it (as a new revision of `courseId`). */
  async function publish(
    pageTitle: string,
    metadata: Record<string, unknown>,
    courseId?: string,
  ): Promise<Published> {
    const file = join(workDir, `${pageTitle}.mbz`);
    await writeFile(
      file,
      await buildTarGz([
        {
          name: "moodle_backup.xml",
          data: moodleBackupXml({ activities: [{ module: "page", id: 4, title: pageTitle }] }),
        },
      ]),
    );
    const upload = await api.upload<{ id: string }>("/uploads", file);
    return await api.json<Published>(
      "POST",
      courseId ? `/courses/${courseId}/revisions` : "/courses",
      { uploadId: upload.id, ...metadata },
    );
  }

  function receivedOf<T>(type: abstract new (...args: never[]) => T): T[] {
    return peer.received.flatMap(({ activity }) => (activity instanceof type ? [activity] : []));
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "coursefed-interop-"));
    [node, peer] = await Promise.all([
      startTestNode("univ", "University"),
      startFedify1Peer(scenario),
    ]);
    api = new ApiClient({ node: node.url.href, token: node.token });
    institution = institutionOf(node);
  });
  afterAll(async () => {
    await Promise.all([node?.stop(), peer?.stop()]);
    await rm(workDir, { recursive: true, force: true });
  });

  it("follows the institution, waits for approval, and receives an Accept", async () => {
    follow = await peer.follow(institution);
    await eventually(
      async () =>
        (await api.json<{ items: Array<{ actor: string }> }>("GET", "/follow-requests")).items[0]
          ?.actor === peer.actorId.href,
    );
    expect(receivedOf(Accept)).toEqual([]);
    await api.json("POST", "/follow-requests/accept", { actor: peer.actorId.href });

    const accept = await eventually(() => receivedOf(Accept)[0]);
    expect(accept.actorId?.href).toBe(institution);
    expect(accept.objectId?.href).toBe(follow.id?.href);
  });

  it("has a Follow refused when its HTTP signature is not by the actor's key", async () => {
    const stranger = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const forged = new Follow({
      id: new URL(`/users/reader/follows/${crypto.randomUUID()}`, peer.url),
      actor: peer.actorId,
      object: new URL(institution),
    });
    const request = await signRequest(
      new Request(`${institution}/inbox`, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(await forged.toJsonLd({ format: "compact" })),
      }),
      stranger.privateKey,
      new URL(`${peer.actorId.href}#main-key`),
      { spec: scenario.signsWith },
    );
    expect((await fetch(request)).status).toBe(401);
  });

  it("receives a published course as a Create of a Note it can show", async () => {
    course = await publish("Welcome", {
      title: `Fractions & <script>alert("x")</script>`,
      summary: `Parts & "wholes" <b>for</b> year 5.\n\nWith worked examples.`,
      tags: ["maths", "fractions"],
      license: "CC-BY-4.0",
    });
    const create = await eventually(() => receivedOf(Create)[0]);
    expect(create.actorId?.href).toBe(institution);
    const note = peer.received.find(({ activity }) => activity === create)?.object;
    // A Note, all in its content: no name or summary, which servers show as a warning.
    expect(note).toBeInstanceOf(Note);
    if (!(note instanceof Note)) return;

    expect(note.id?.href).toBe(course.object);
    expect(note.name).toBeNull();
    expect(note.summary).toBeNull();
    const summary =
      "<p>Parts &#38; &#34;wholes&#34; &#60;b&#62;for&#60;/b&#62; year 5.</p><p>With worked examples.</p>";
    expect(note.url).toEqual(new URL(course.object));
    expect(note.attributionId?.href).toBe(institution);
    expect(note.published).not.toBeNull();
    expect(note.updated).not.toBeNull();
    expect(note.toIds.map(String)).toEqual([PUBLIC_COLLECTION.href]);
    expect(note.ccIds.map(String)).toEqual([`${institution}/followers`]);

    const tags: Array<[string | undefined, string | undefined]> = [];
    for await (const tag of note.getTags()) {
      if (tag instanceof Hashtag) tags.push([tag.name?.toString(), tag.href?.href]);
    }
    expect(tags).toEqual([
      ["#maths", new URL("/tags/maths", node.url).href],
      ["#fractions", new URL("/tags/fractions", node.url).href],
    ]);

    const links: Link[] = [];
    for await (const attachment of note.getAttachments()) {
      if (attachment instanceof Link) links.push(attachment);
    }
    const archive = new URL(`/blobs/${course.sha256}`, node.url).href;
    expect(links.map((link) => [link.mediaType, link.href?.href, link.name?.toString()])).toEqual([
      [
        JWS_MEDIA_TYPE,
        new URL(`/courses/${course.id}/revisions/1/manifest`, node.url).href,
        "manifest",
      ],
      [MBZ_MEDIA_TYPE, archive, `Fractions & <script>alert("x")</script>`],
    ]);
    expect((await fetch(archive, { method: "HEAD" })).status).toBe(200);

    expect(note.mediaType).toBe("text/html");
    const content = note.content?.toString() ?? "";
    const lastParagraph = content.lastIndexOf("<p>");
    const hashtag = (tag: string) =>
      `<a href="${new URL(`/tags/${tag}`, node.url).href}" class="mention hashtag" rel="tag">#<span>${tag}</span></a>`;
    expect(content.slice(0, lastParagraph)).toBe(
      "<p><strong>Fractions &#38; &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</strong></p>" +
        `${summary}<p>${hashtag("maths")} ${hashtag("fractions")}</p>`,
    );
    // A generated backup is a few hundred bytes: under a KiB, sizes are written in B.
    expect(course.size).toBeLessThan(1024);
    expect(content.slice(lastParagraph)).toBe(
      `<p>Moodle course backup, revision 1: ${course.size} B, Moodle 4.5.6 (Build: 20250811), ` +
        `licence CC-BY-4.0. <a href="${course.object}">${course.object}</a></p>`,
    );
  });

  it("reads the course, the institution and its collections with its own loader", async () => {
    const documentLoader = await peer.documentLoader();
    const fetched = await peer.lookup(course.object);
    expect(fetched).toBeInstanceOf(Note);
    expect(fetched?.id?.href).toBe(course.object);

    const organization = await peer.lookup(institution);
    expect(organization).toBeInstanceOf(Organization);
    if (!(organization instanceof Organization)) return;
    expect(organization.preferredUsername?.toString()).toBe("univ");
    expect(organization.manuallyApprovesFollowers).toBe(true);
    expect((await organization.getPublicKey({ documentLoader }))?.publicKey?.algorithm.name).toBe(
      "RSASSA-PKCS1-v1_5",
    );
    const keyTypes: string[] = [];
    for await (const method of organization.getAssertionMethods({ documentLoader })) {
      keyTypes.push(method.publicKey?.algorithm.name ?? "none");
    }
    expect(keyTypes).toEqual(["RSASSA-PKCS1-v1_5", "Ed25519"]);

    const followers = await organization.getFollowers({ documentLoader });
    expect(followers).toBeInstanceOf(OrderedCollection);
    expect(followers?.totalItems).toBe(1);
    const followerIds: string[] = [];
    for await (const item of traverseCollection(followers as OrderedCollection, {
      documentLoader,
    })) {
      followerIds.push(item.id?.href ?? "");
    }
    expect(followerIds).toEqual([peer.actorId.href]);

    const outbox = await organization.getOutbox({ documentLoader });
    expect(outbox).toBeInstanceOf(OrderedCollection);
    const posted: string[] = [];
    for await (const item of traverseCollection(outbox as OrderedCollection, { documentLoader })) {
      if (item instanceof Create)
        posted.push((await item.getObject({ documentLoader }))?.id?.href ?? "");
    }
    expect(posted).toEqual([course.object]);
  });

  it("receives a new revision as an Update", async () => {
    await publish(
      "Welcome back",
      { title: "Fractions, revised", tags: ["maths"], license: "CC-BY-4.0" },
      course.id,
    );
    const update = await eventually(() => receivedOf(Update)[0]);
    expect(update.actorId?.href).toBe(institution);
    const note = peer.received.find(({ activity }) => activity === update)?.object;
    expect(note).toBeInstanceOf(Note);
    expect(note?.id?.href).toBe(course.object);
    expect(note?.content?.toString()).toContain("<strong>Fractions, revised</strong>");
    expect(note?.content?.toString()).toContain("Moodle course backup, revision 2:");

    // Its outbox lists the course once, where the revision was published, as that Update.
    const documentLoader = await peer.documentLoader();
    const organization = await peer.lookup(institution);
    const outbox = await (organization as Organization).getOutbox({ documentLoader });
    const listed: Array<[string, string | undefined]> = [];
    expect(organization).toBeInstanceOf(Organization);
    for await (const item of traverseCollection(outbox as OrderedCollection, { documentLoader })) {
      if (item instanceof Update || item instanceof Create) {
        listed.push([item instanceof Update ? "Update" : "Create", item.objectId?.href]);
      }
    }
    expect(listed).toEqual([["Update", course.object]]);
    expect(update.id?.href).toBe(`${course.object}/revisions/2/activity`);
  });

  it("receives a Delete with a Tombstone when the course is withdrawn", async () => {
    await api.json("DELETE", `/courses/${course.id}`);
    const deletion = await eventually(() => receivedOf(Delete)[0]);
    expect(deletion.actorId?.href).toBe(institution);
    const tombstone = peer.received.find(({ activity }) => activity === deletion)?.object;
    expect(tombstone).toBeInstanceOf(Tombstone);
    expect(tombstone?.id?.href).toBe(course.object);
  });

  it("unfollows with an Undo, and leaves the followers collection", async () => {
    await peer.undo(follow);
    await eventually(
      async () =>
        (await node.node.services.follows.follower(node.node.institution.id, peer.actorId.href)) ===
        undefined,
    );
    const organization = await peer.lookup(institution);
    if (!(organization instanceof Organization)) throw new Error("The institution is gone.");
    const followers = await organization.getFollowers({
      documentLoader: await peer.documentLoader(),
    });
    expect(followers?.totalItems).toBe(0);
  });

  it(`signs and verifies ${scenario.scheme} in both directions`, () => {
    // The peer to us (Follow, Undo), with nothing but an HTTP signature: our inbox verified it.
    const institutionInbox = new URL(`${institution}/inbox`).pathname;
    expect(peer.deliveriesOut).toEqual([
      { path: institutionInbox, scheme: scenario.scheme, status: 202 },
      { path: institutionInbox, scheme: scenario.scheme, status: 202 },
    ]);
    // Us to the peer (Accept, Create, Update, Delete), each HTTP signature verified by
    // Fedify 1.x as the institution's. A peer that only knows draft-cavage refused the
    // first RFC 9421 knock, and our node fell back and kept to draft-cavage.
    const taken = ["/users/reader/inbox", "/inbox", "/inbox", "/inbox"].map((path) => ({
      path,
      scheme: scenario.scheme,
      status: 202,
      signer: institution,
    }));
    expect(peer.deliveriesIn).toEqual(
      scenario.acceptsRfc9421
        ? taken
        : [{ path: "/users/reader/inbox", scheme: "rfc9421", status: 401 }, ...taken],
    );
  });
});
