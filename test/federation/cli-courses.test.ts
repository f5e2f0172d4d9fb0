import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOwnManifest } from "../../packages/node/src/manifests/course-manifest.ts";
import { coursefedBin as bin, coursefed } from "../support/coursefed-cli.ts";
import { fixture, haveFixtures } from "../support/shared-fixtures.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";

let university: TestNode;
beforeAll(async () => {
  university = await startTestNode("univ");
});
afterAll(async () => {
  await university?.stop();
});

describe.runIf(haveFixtures())("coursefed edit, withdraw and publish's defaults", () => {
  it("names a course after its backup, keeps a revision's details, edits and withdraws it", async () => {
    const backup = fixture("m26dev-zip-course-glossary-nousers.mbz");
    const first = await coursefed(
      university,
      "publish",
      backup,
      "--summary",
      "Terms and definitions",
      "--tag",
      "web programming, maths",
      "--license",
      "CC-BY-4.0",
      "--visibility",
      "followers",
      "--json",
    );
    expect(first.code).toBe(0);
    const { id, object } = JSON.parse(first.stdout) as { id: string; object: string };
    const described = {
      title: "Course Import",
      summary: "Terms and definitions",
      tags: ["web programming", "maths"],
      license: "CC-BY-4.0",
      visibility: "followers",
    };
    const { courses } = university.node.services;
    expect(await courses.course(id)).toMatchObject(described);

    const second = await coursefed(university, "publish", backup, "--course", id, "--json");
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ id, revision: 2 });
    expect(await courses.course(id)).toMatchObject(described);
    const revision = await courses.latestRevision(id);
    expect(readOwnManifest(revision?.manifest ?? "").license).toBe("CC-BY-4.0");

    const edited = await coursefed(
      university,
      "edit",
      object,
      "--title",
      "Glossary",
      "--tag",
      "programming web",
      "--license",
      "",
      "--json",
    );
    expect(edited.code).toBe(0);
    expect(edited.stderr).toContain(
      'took "programming web" as one tag; tags are separated by commas: --tag "programming, web" for 2.',
    );
    expect(JSON.parse(edited.stdout)).toMatchObject({
      id,
      revision: 2,
      title: "Glossary",
      tags: ["programming web"],
      license: null,
      summary: "Terms and definitions",
    });
    const nothing = await coursefed(university, "edit", id);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("Nothing to change");

    const withdrawn = await coursefed(university, "withdraw", id);
    expect(withdrawn.code).toBe(0);
    expect(withdrawn.stdout).toContain(`Withdrew course ${id}`);
    expect((await courses.course(id))?.deletedAt).not.toBeNull();
    const again = await coursefed(university, "withdraw", id);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`There is no course ${id} here.`);
    const notACourse = await coursefed(
      university,
      "edit",
      "https://elsewhere.example/",
      "--title",
      "x",
    );
    expect(notACourse.code).toBe(2);
    expect(notACourse.stderr).toContain("is not a course's URL");
  });

  it("takes --tag repeated or comma-separated before the backup FILE, which it no longer swallows", async () => {
    const published = await coursefed(
      university,
      "publish",
      "--tag",
      "chemistry",
      "--tag",
      "first year, lab work",
      fixture("m26dev-zip-course-glossary-nousers.mbz"),
      "--visibility",
      "private",
      "--json",
    );
    expect(published.stderr).toBe("");
    expect(published.code).toBe(0);
    const { id } = JSON.parse(published.stdout) as { id: string };
    expect((await university.node.services.courses.course(id))?.tags).toEqual([
      "chemistry",
      "first year",
      "lab work",
    ]);
  });
});

describe("coursefed output read only in part (piped into head)", () => {
  for (const command of [["catalog"], ["restores"], ["rules"], ["--help"], ["catalog", "--help"]]) {
    it(`coursefed ${command.join(" ")} ends quietly with 0 when its output is closed`, async () => {
      const child = spawn(process.execPath, [
        bin,
        ...command,
        "--node",
        university.url.href,
        "--token",
        university.token,
      ]);
      // Closed before the command writes anything: its first write meets EPIPE.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
    });
  }
});
