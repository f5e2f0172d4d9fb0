/**
 * The notice on a course's page asks the node where the course came from: once per course
 * every few minutes, not on every view (local_coursefed's "origins" cache), with a short
 * timeout, and a node that does not answer is left alone for a minute so that the views
 * meanwhile do not wait for it. Checked with what the course page calls
 * (network_notice::origin_for_page), against a real node behind a proxy that counts the
 * requests reaching it, and against a node that accepts connections but never answers.
 * That the notice follows an applied update at once (the cache forgotten) is checked in
 * the browser by plugin-browse.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, type LiveMoodleSite } from "../support/moodle-site.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { connectPluginToNode, registerSiteOnNode } from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

/** A server on loopback; its URL once listening. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

/** Asks for the course's origin as its page does, `times` times; what each call took and gave. */
async function viewCourse(
  site: LiveMoodleSite,
  courseId: number,
  times: number,
): Promise<{ seconds: number; origin: unknown }[]> {
  const out = await moodlePhp(
    site.moodleDir,
    `$views = [];
    for ($i = 0; $i < ${times}; $i++) {
      $started = microtime(true);
      $origin = \\local_coursefed\\local\\network_notice::origin_for_page(${courseId});
      $views[] = ['seconds' => microtime(true) - $started, 'origin' => $origin];
    }
    echo json_encode($views);`,
  );
  return JSON.parse(out.split("\n").pop() as string);
}

describeOnEachMoodle("the course notice's cache of the node's answers", (site) => {
  let node: TestNode;
  let siteToken: string;
  let proxy: Server;
  let proxyUrl: string;
  /** Requests for a course's origin that reached the node through the proxy. */
  const originRequests: string[] = [];
  let silent: Server;
  let silentUrl: string;
  /** Connections made to the node that never answers. */
  let silentConnections = 0;
  const held: Socket[] = [];
  let courseId: number;

  beforeAll(async () => {
    await installCoursefedPlugin(site);
    node = await startTestNode("univ", "Université Exemple");
    ({ siteToken } = await registerSiteOnNode(node, site, `notice-${site.tag}`));
    proxy = createServer(async (request, response) => {
      if (/\/site\/courses\/\d+\/origin$/.test(request.url ?? "")) {
        originRequests.push(request.url as string);
      }
      const answer = await fetch(new URL(request.url ?? "/", node.url), {
        method: request.method,
        headers: { authorization: request.headers.authorization ?? "" },
      });
      response.writeHead(answer.status, {
        "content-type": answer.headers.get("content-type") ?? "application/json",
      });
      response.end(Buffer.from(await answer.arrayBuffer()));
    });
    proxyUrl = await listen(proxy);
    silent = createServer(() => {
      // Never answers: the request waits until the client gives up.
    });
    silent.on("connection", (socket) => {
      silentConnections++;
      held.push(socket);
    });
    silentUrl = await listen(silent);
    const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    courseId = Number(
      (
        await moodlePhp(
          site.moodleDir,
          `$category = core_course_category::create(['name' => 'Notice cache ${stamp}']);
        echo create_course((object) ['fullname' => 'Notice cache ${stamp}', 'shortname' => 'NOTICE${stamp}',
          'category' => $category->id])->id;`,
        )
      )
        .split("\n")
        .pop(),
    );
  }, 240_000);

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await Promise.all(
      [proxy, silent].map(
        (server) => new Promise((resolve) => (server ? server.close(resolve) : resolve(null))),
      ),
    );
    await node?.stop();
  });

  it("asks the node once for two views of a course, and again once the course's answer is forgotten", async () => {
    await connectPluginToNode(site, proxyUrl, siteToken);
    const before = originRequests.length;
    const views = await viewCourse(site, courseId, 2);
    // Not a course of the network: the node says so, once.
    expect(views.map((view) => view.origin)).toEqual([null, null]);
    expect(originRequests.length - before).toBe(1);
    expect(originRequests.at(-1)).toBe(`/api/v1/site/courses/${courseId}/origin`);
    // An import, an update applied or dismissed, a share: the page asks the node again.
    await moodlePhp(
      site.moodleDir,
      `\\local_coursefed\\local\\network_notice::forget(${courseId});`,
    );
    await viewCourse(site, courseId, 1);
    expect(originRequests.length - before).toBe(2);
  }, 60_000);

  it("waits 2 s at most for a node that does not answer, then leaves it alone for the next views", async () => {
    await connectPluginToNode(site, silentUrl, siteToken);
    const views = await viewCourse(site, courseId, 3);
    expect(views.map((view) => view.origin)).toEqual([null, null, null]);
    expect(views[0]?.seconds).toBeGreaterThanOrEqual(1.5);
    expect(views[0]?.seconds).toBeLessThan(4);
    expect(Math.max(...views.slice(1).map((view) => view.seconds))).toBeLessThan(0.5);
    expect(silentConnections).toBe(1);
  }, 60_000);
});
