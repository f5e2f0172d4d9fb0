import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishCourse } from "../../packages/node/src/courses/publish-service.ts";
import { domainServices } from "../../packages/node/src/federation/domain-services.ts";
import { contextOf } from "../support/federation-steps.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const ACTIVITY_JSON = { accept: "application/activity+json" };
const XSS_TITLE = `Chimie <script>alert("title")</script><img src=x onerror=alert(1)>`;
const XSS_SUMMARY = `Des réactions <script>alert("summary")</script><a href="javascript:alert(3)">lien</a>`;
const XSS_TAG = `"><script>alert(4)</script>`;

/** Markup that would run a script: a script element, an event handler or a javascript: URL. */
function activeMarkup(html: string): string[] {
  return [
    ...html.matchAll(/<script\b[^>]*>|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*=\s*["']?javascript:/gi),
  ].map((match) => match[0]);
}

describe.runIf(haveFixtures())("public pages for remote readers", () => {
  let node: TestNode;
  let anonymous: WebClient;
  let publicId: string;
  let followersId: string;
  let publicSha: string;

  beforeAll(async () => {
    node = await startTestNode("univ", "Université Exemple");
    const ctx = contextOf(node);
    const archive = fixture("m26dev-zip-course-glossary-nousers.mbz");
    const published = await publishCourse(domainServices(ctx), node.node.institution, archive, {
      title: XSS_TITLE,
      summary: XSS_SUMMARY,
      tags: ["chimie", XSS_TAG],
      license: "CC-BY-4.0",
    });
    publicId = published.course.id;
    publicSha = published.revision.sha256;
    const followersOnly = await publishCourse(domainServices(ctx), node.node.institution, archive, {
      title: "Réservé aux abonnés",
      visibility: "followers",
      tags: ["chimie"],
    });
    followersId = followersOnly.course.id;
    anonymous = new WebClient(node.url, BROWSER);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("shows an institution's profile to a browser and its actor to a peer", async () => {
    const profile = await anonymous.page("/actors/institution");
    expect(profile.status).toBe(200);
    expect(profile.html).toContain("<h1>Université Exemple</h1>");
    expect(profile.html).toContain(`@univ@${node.url.host}`);
    expect(profile.html).toContain(`href="/courses/${publicId}"`);
    expect(profile.html).not.toContain(followersId);
    expect(profile.html).toContain("How to follow");
    expect(profile.html).toContain("Mastodon");

    const actor = await fetch(new URL("/actors/institution", node.url), { headers: ACTIVITY_JSON });
    expect(actor.status).toBe(200);
    expect(actor.headers.get("content-type")).toContain("application/activity+json");
    expect(((await actor.json()) as { type: string }).type).toBe("Organization");
  });

  it("shows a public course to a browser and the Page object to a peer", async () => {
    const course = await anonymous.page(`/courses/${publicId}`);
    expect(course.status).toBe(200);
    expect(course.html).toContain("CC-BY-4.0");
    expect(course.html).toContain(`href="/blobs/${publicSha}"`);
    expect(course.html).toContain('href="/tags/chimie"');
    expect(course.html).toContain('href="/actors/institution"');

    const object = await fetch(new URL(`/courses/${publicId}`, node.url), {
      headers: ACTIVITY_JSON,
    });
    expect(object.status).toBe(200);
    expect(((await object.json()) as { type: string }).type).toBe("Note");
  });

  it("keeps hostile titles, summaries and tags inert", async () => {
    for (const path of [`/courses/${publicId}`, "/actors/institution", "/tags/chimie"]) {
      const { html } = await anonymous.page(path);
      expect(html, path).toContain("Chimie &lt;script&gt;");
      expect(activeMarkup(html), path).toEqual([]);
    }
    const tagged = await anonymous.page(`/tags/${encodeURIComponent(XSS_TAG)}`);
    expect(tagged.html).toContain("#&quot;&gt;&lt;script&gt;");
    expect(activeMarkup(tagged.html)).toEqual([]);
    const response = await anonymous.get(`/courses/${publicId}`);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'none'");
  });

  it("answers 404 for a followers-only course to an anonymous browser, as to a peer", async () => {
    const page = await anonymous.page(`/courses/${followersId}`);
    expect(page.status).toBe(404);
    expect(page.html).toContain("not public");
    expect(page.html).not.toContain("Réservé aux abonnés");
    const peer = await fetch(new URL(`/courses/${followersId}`, node.url), {
      headers: ACTIVITY_JSON,
    });
    expect([401, 404]).toContain(peer.status);
    expect((await anonymous.page(`/courses/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await anonymous.page("/actors/nobody")).status).toBe(404);
  });

  it("lists a tag's public courses only", async () => {
    const tag = await anonymous.page("/tags/chimie");
    expect(tag.status).toBe(200);
    expect(tag.html).toContain(`href="/courses/${publicId}"`);
    expect(tag.html).not.toContain(followersId);
    expect((await anonymous.page("/tags/absent")).html).toContain("No public course has this tag.");
    // A client that takes any type gets the page (as from Mastodon); one that asks for a
    // type we do not have gets a 404 or 406, never the page.
    expect((await fetch(new URL("/tags/chimie", node.url))).status).toBe(200);
    const xml = await fetch(new URL("/tags/chimie", node.url), {
      headers: { accept: "application/xml" },
    });
    expect([404, 406]).toContain(xml.status);
  });

  it("speaks French to a French browser", async () => {
    const french = new WebClient(node.url, { ...BROWSER, "accept-language": "fr-FR,fr;q=0.9" });
    const profile = await french.page("/actors/institution");
    expect(profile.html).toContain('<html lang="fr">');
    expect(profile.html).toContain("Comment suivre");
  });
});
