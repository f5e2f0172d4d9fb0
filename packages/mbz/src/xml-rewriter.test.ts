import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSet } from "./record-collector.ts";
import { type EditRule, XmlRewriter } from "./xml-rewriter.ts";
import { parseXmlMember } from "./xml-stream.ts";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "coursefed-rewriter-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function rewrite(xml: string, rules: EditRule[], chunkSize = 7): Promise<string> {
  const path = join(directory, "out.xml");
  const fd = openSync(path, "w");
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(xml);
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  try {
    await parseXmlMember("test.xml", Readable.from(chunks), new XmlRewriter(fd, rules), 1024 ** 2);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, "utf8");
}

const quiz = `<?xml version="1.0" encoding="UTF-8"?>
<activity id="1" moduleid="2" modulename="quiz">
  <quiz id="1">
    <name>Quiz é 01 — ünïcode</name>
    <overrides>
      <override id="1">
        <userid>$@NULL@$</userid>
        <groupid>4</groupid>
      </override>
      <override id="2">
        <userid>12</userid>
        <groupid>$@NULL@$</groupid>
      </override>
    </overrides>
    <attempts>
      <attempt id="1">
        <userid>3</userid>
        <steps><step><userid>3</userid></step></steps>
      </attempt>
    </attempts>
  </quiz>
</activity>`;

const rules: EditRule[] = [
  { path: ["activity", "quiz", "attempts", "attempt"], edit: () => "drop" },
  { path: ["activity", "quiz", "attempts", "attempt", "steps", "step"], edit: () => "drop" },
  {
    path: ["activity", "quiz", "overrides", "override"],
    edit: (fields) => (isSet(fields.userid) ? "drop" : "keep"),
  },
];

describe("XmlRewriter", () => {
  it("removes whole records, keeps every other character, whatever the chunking", async () => {
    const expected = `<?xml version="1.0" encoding="UTF-8"?>
<activity id="1" moduleid="2" modulename="quiz">
  <quiz id="1">
    <name>Quiz é 01 — ünïcode</name>
    <overrides>
      <override id="1">
        <userid>$@NULL@$</userid>
        <groupid>4</groupid>
      </override>
    </overrides>
    <attempts>
    </attempts>
  </quiz>
</activity>`;
    for (const chunkSize of [1, 3, 7, 64, 100_000]) {
      expect(await rewrite(quiz, rules, chunkSize)).toBe(expected);
    }
  });

  it("copies a document untouched when no rule matches", async () => {
    expect(await rewrite(quiz, [{ path: ["nothing"], edit: () => "drop" }])).toBe(quiz);
  });

  it("replaces a record's text", async () => {
    const settings =
      "<s><setting><name>users</name><value>1</value></setting><setting><name>x</name><value>1</value></setting></s>";
    const result = await rewrite(settings, [
      {
        path: ["s", "setting"],
        edit: (fields) =>
          fields.name === "users"
            ? { replace: (text: string) => text.replace("<value>1</value>", "<value>0</value>") }
            : "keep",
      },
    ]);
    expect(result).toBe(
      "<s><setting><name>users</name><value>0</value></setting><setting><name>x</name><value>1</value></setting></s>",
    );
  });
});
