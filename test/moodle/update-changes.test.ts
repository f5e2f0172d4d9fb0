/**
 * The plugin's "Update available" notice links to a page of everything the update changes,
 * which the node works out from the backup the Moodle course holds and the new one
 * (revision_changes, GET /api/v1/catalog/changes). Checked with what the page calls, on a
 * real node that follows the publisher, for a course restored (by the lineage the node
 * records) from revision 1 of a course now at revision 2.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium, seriousAxeViolations } from "../browser/chromium.ts";
import { buildTarGz, moodleBackupXml } from "../support/archive-builder.ts";
import {
  followAndApprove,
  publishRevisionToFollower,
  publishToFollower,
} from "../support/federation-steps.ts";
import { installCoursefedPlugin } from "../support/moodle-plugin.ts";
import { describeOnEachMoodle, siteScript } from "../support/moodle-site.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import {
  connectPluginToNode,
  newUserPhp,
  registerSiteOnNode,
  signInToMoodle,
} from "./moodle-browser-steps.ts";
import { moodlePhp } from "./picker-fixtures.ts";

describeOnEachMoodle("the update notice's changes, from the node", (site) => {
  let university: TestNode;
  let school: TestNode;
  let directory: string;
  let object: string;
  let courseId: number;
  let manager: string;
  const PASSWORD = "Changes-2026!";

  beforeAll(async () => {
    await installCoursefedPlugin(site);
    directory = await mkdtemp(join(tmpdir(), "coursefed-update-changes-"));
    [university, school] = await Promise.all([startTestNode("univ"), startTestNode("school")]);
    await followAndApprove(school, university);
    const backup = async (name: string, activities: Parameters<typeof moodleBackupXml>[0]) => {
      const path = join(directory, name);
      await writeFile(
        path,
        await buildTarGz([{ name: "moodle_backup.xml", data: moodleBackupXml(activities) }]),
      );
      return path;
    };
    object = await publishToFollower(
      university,
      school,
      await backup("one.mbz", { activities: [{ module: "page", id: 4, title: "Welcome" }] }),
      { title: "Algebra" },
    );
    await publishRevisionToFollower(
      university,
      school,
      object,
      await backup("two.mbz", {
        activities: [
          { module: "page", id: 4, title: "Welcome &amp; back" },
          { module: "quiz", id: 5, title: "First check" },
        ],
      }),
    );
    const { target, siteToken } = await registerSiteOnNode(school, site, `changes-${site.tag}`);
    await connectPluginToNode(site, school.url, siteToken);
    const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
    courseId = Number(
      (
        await moodlePhp(
          site.moodleDir,
          `${newUserPhp(PASSWORD)}
          $managerid = $newuser('changes${stamp}', 'Mina', 'Manager');
          role_assign($DB->get_field('role', 'id', ['shortname' => 'manager']), $managerid,
            context_system::instance());
          $category = core_course_category::create(['name' => 'Update changes ${stamp}']);
        echo create_course((object) ['fullname' => 'Algebra ${stamp}', 'shortname' => 'ALG${stamp}',
          'category' => $category->id])->id;`,
        )
      )
        .split("\n")
        .pop(),
    );
    manager = `changes${stamp}`;
    // As a restore of revision 1 into that course leaves it.
    const job = { targetId: target.id, objectUri: object, revision: 1, id: `restore-${stamp}` };
    await school.node.services.restores.recordLineage(job as never, courseId);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([university, school].map((peer) => peer?.stop()));
    await rm(directory, { recursive: true, force: true });
  });

  it("links the notice to the changes, listed from the two backups in the user's language", async () => {
    const out = await moodlePhp(
      site.moodleDir,
      `$client = new \\local_coursefed\\local\\node_client();
      $origin = \\local_coursefed\\local\\network_notice::origin_of(${courseId}, $client);
      $diff = \\local_coursefed\\local\\revision_changes::between($client, $origin['object'],
        (int) $origin['revision'], (int) $origin['latestRevision']);
      $english = \\local_coursefed\\local\\revision_changes::render($diff);
      force_current_language('fr');
      $french = \\local_coursefed\\local\\revision_changes::render($diff);
      echo json_encode(['notice' => \\local_coursefed\\local\\network_notice::render(${courseId}, $origin),
        'english' => $english, 'french' => $french]);`,
    );
    const { notice, english, french } = JSON.parse(out.split("\n").pop() as string);
    expect(notice).toContain(`/local/coursefed/changes.php?id=${courseId}`);
    expect(notice).toContain("/local/coursefed/update.php?id=");
    expect(english).toContain("Activities added");
    expect(english).toMatch(/Quiz: First check \(section 0\)/);
    // A title from the backup is escaped, never markup.
    expect(english).toContain("Welcome → Welcome &amp; back");
    expect(french).toContain("Activités ajoutées");
    expect(french).toContain("Activités renommées");
  }, 120_000);

  it("shows the page of changes to someone who may update the course, with the update's buttons", async () => {
    await siteScript(site, "serve");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signInToMoodle(page, site, manager, PASSWORD);
      await page.goto(new URL(`/local/coursefed/changes.php?id=${courseId}`, site.wwwroot).href);
      const text = await page.locator("#region-main").innerText();
      expect(text).toContain("What the update changes (revision 1 → 2)");
      expect(text).toContain("Activities added");
      expect(text).toContain("Quiz: First check (section 0)");
      expect(await page.locator('a[href*="/local/coursefed/update.php"]').count()).toBe(3);
      // Moodle's own user-menu button mismatches its label: not this page's doing.
      expect(await seriousAxeViolations(page, ["label-content-name-mismatch"])).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it("passes the node's refusal on as a node_error, with its message", async () => {
    const out = await moodlePhp(
      site.moodleDir,
      `try {
        \\local_coursefed\\local\\revision_changes::between(new \\local_coursefed\\local\\node_client(),
          ${JSON.stringify(object)}, 1, 7);
        echo 'no refusal';
      } catch (\\local_coursefed\\local\\node_error $error) {
        echo $error->getMessage();
      }`,
    );
    expect(out.split("\n").pop()).toContain("revision 7");
  }, 60_000);
});
