import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRepository } from "../../packages/node/src/accounts/account-repository.ts";
import { createAccount } from "../../packages/node/src/accounts/account-service.ts";
import { createNode } from "../../packages/node/src/node.ts";
import { buildTarGz, moodleBackupXml, noise } from "../support/archive-builder.ts";
import { eventually } from "../support/eventually.ts";
import { startTestNode, type TestNode } from "../support/test-node.ts";
import { WebClient } from "./web-client.ts";

/**
 * A client that goes away in the middle of its upload: the node must end that request
 * alone, keep serving everyone else, and keep nothing of the half it received. Before,
 * the request body was piped with no error handler and the node process died.
 */

let node: TestNode;
let teacher: WebClient;
let backup: Buffer;

const escapes: unknown[] = [];
const onEscape = (error: unknown) => escapes.push(error);

beforeAll(async () => {
  process.on("unhandledRejection", onEscape);
  process.on("uncaughtException", onEscape);
  node = await startTestNode("univ");
  const { password } = await createAccount(
    { actors: node.node.services.actors, accounts: new AccountRepository(node.node.db) },
    { username: "marie", role: "teacher" },
  );
  teacher = new WebClient(node.url);
  expect((await teacher.login("marie", password)).status).toBe(303);
  await teacher.page("/publish");
  // Big enough that half of it is many socket writes, not one.
  backup = await buildTarGz([
    { name: "moodle_backup.xml", data: moodleBackupXml({}) },
    { name: "files/0a/0a00000000000000000000000000000000000000", data: noise(4 * 1024 ** 2) },
  ]);
});
afterAll(async () => {
  process.off("unhandledRejection", onEscape);
  process.off("uncaughtException", onEscape);
  await node?.stop();
});

/**
 * Sends the request's head and `body` up to half of what its content-length promises,
 * waits until the node has taken some of it, then destroys the socket.
 */
async function abandon(path: string, headers: Record<string, string>, body: Buffer) {
  const socket = connect(Number(node.url.port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const head = [
    `POST ${path} HTTP/1.1`,
    `host: ${node.url.host}`,
    `content-length: ${body.length}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "",
    "",
  ].join("\r\n");
  socket.write(head);
  const half = body.subarray(0, Math.floor(body.length / 2));
  for (let at = 0; at < half.length; at += 64 * 1024) {
    await new Promise<void>((resolve) =>
      socket.write(half.subarray(at, at + 64 * 1024), () => resolve()),
    );
  }
  // The node is writing the upload to its incoming area when the client vanishes.
  await eventually(async () => (await incoming()).length > 0);
  socket.destroy();
}

async function incoming(): Promise<string[]> {
  return await readdir(join(node.node.config.dataDir, "blobs", "incoming")).catch(() => []);
}

async function stillServing() {
  const response = await fetch(new URL("/healthz", node.url));
  expect(response.status).toBe(200);
  await response.body?.cancel();
}

describe("an upload cut in the middle", () => {
  it("through the API's raw body ends that request only and keeps nothing", async () => {
    await abandon(
      "/api/v1/uploads",
      { authorization: `Bearer ${node.token}`, "content-type": "application/octet-stream" },
      backup,
    );
    await eventually(async () => (await incoming()).length === 0);
    await stillServing();
    expect(escapes).toEqual([]);

    // And the same upload, whole, still works afterwards.
    const whole = await fetch(new URL("/api/v1/uploads", node.url), {
      method: "POST",
      headers: {
        authorization: `Bearer ${node.token}`,
        "content-type": "application/octet-stream",
      },
      body: backup,
    });
    expect(whole.status).toBe(201);
  });

  it("through the web's multipart publish form ends that request only and keeps nothing", async () => {
    const boundary = "----coursefed-aborted-upload";
    const form = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${teacher.csrf}\r\n` +
          `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="course.mbz"\r\n` +
          "content-type: application/octet-stream\r\n\r\n",
      ),
      backup,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await abandon(
      "/publish/upload",
      {
        cookie: `coursefed_session=${teacher.cookie("coursefed_session")}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
      },
      form,
    );
    await eventually(async () => (await incoming()).length === 0);
    await stillServing();
    expect(escapes).toEqual([]);
  });

  it("through the web's raw upload ends that request only and keeps nothing", async () => {
    await abandon(
      "/publish/upload",
      {
        cookie: `coursefed_session=${teacher.cookie("coursefed_session")}`,
        "content-type": "application/octet-stream",
        "x-csrf-token": teacher.csrf,
      },
      backup,
    );
    await eventually(async () => (await incoming()).length === 0);
    await stillServing();
    expect(escapes).toEqual([]);
  });

  it("leaves nothing a crash left behind once a node starts on the data directory", async () => {
    // Another node process on the same data directory, starting after one died in the
    // middle of an upload 11 minutes ago, while this one is writing an upload now.
    const dir = join(node.node.config.dataDir, "blobs", "incoming");
    await mkdir(dir, { recursive: true });
    const dead = join(dir, "left-by-a-crash");
    const live = join(dir, "being-written");
    await writeFile(dead, "half a backup");
    await writeFile(live, "an upload under way");
    const longAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(dead, longAgo, longAgo);
    const second = await createNode(node.node.config);
    try {
      expect(await incoming()).toEqual(["being-written"]);
    } finally {
      await second.close();
      await rm(live);
    }
  });
});
