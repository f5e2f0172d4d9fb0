import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coursefedBin } from "../support/coursefed-cli.ts";
import { freePort } from "../support/test-node.ts";

/**
 * Request bodies are held to their route's limit before anything parses them or works
 * out who sent them. The node runs as its own process, so that its memory can be read.
 */

const MiB = 1024 * 1024;
/** What an attacker sends: far more than any limit. */
const HUGE = 200 * MiB;
const MAX_INBOX_BODY = 64 * 1024;
const MAX_UPLOAD = 2 * MiB;

const dataDir = mkdtempSync(join(tmpdir(), "coursefed-body-limits-"));
let nodeProcess: ChildProcess | undefined;
let port = 0;
let token = "";

beforeAll(async () => {
  port = await freePort();
  const started = await serve(port);
  nodeProcess = started.process;
  token = started.token;
});

afterAll(() => {
  nodeProcess?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `coursefed serve` as its own process; resolves once it listens, with its admin token. */
function serve(listenPort: number): Promise<{ process: ChildProcess; token: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      coursefedBin,
      "serve",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${listenPort}`,
      "--handle",
      "univ",
      "--max-inbox-body",
      String(MAX_INBOX_BODY),
      "--max-upload",
      String(MAX_UPLOAD),
    ]);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      // Printed once it listens, on its first start.
      const token = /Admin API token[^\n]*\n\s+(\S+)\n/.exec(output)?.[1];
      if (token) resolve({ process: child, token });
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

interface Sent {
  readonly status: number;
  readonly connection: string | undefined;
  readonly body: string;
  /** How much of the body the node let the client write before it answered. */
  readonly sentBytes: number;
}

/**
 * POSTs `bytes` of body (or `body`) as fast as the node takes them, chunked or with a
 * Content-Length (`declared`, which may lie), and stops writing once the answer has come.
 */
function post(
  path: string,
  bytes: number,
  options: {
    declared?: number;
    headers?: Record<string, string>;
    body?: string;
    /** Take a reset connection for an answer (status 0). */
    resetAllowed?: boolean;
  } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.declared !== undefined) headers["content-length"] = String(options.declared);
    else headers["transfer-encoding"] = "chunked";
    const outgoing = request({
      host: "127.0.0.1",
      port,
      path,
      method: "POST",
      headers,
      agent: false,
    });
    const chunk = Buffer.alloc(64 * 1024, "a");
    let sentBytes = 0;
    let answered = false;
    if (options.body !== undefined) {
      outgoing.end(options.body);
      sentBytes = Buffer.byteLength(options.body);
    }
    const pump = () => {
      while (!answered && sentBytes < bytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sentBytes));
        sentBytes += piece.length;
        if (!outgoing.write(piece)) {
          outgoing.once("drain", pump);
          return;
        }
      }
      if (!answered) outgoing.end();
    };
    outgoing.on("response", (response) => {
      answered = true;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (text) => {
        body += text;
      });
      const done = () =>
        resolve({
          status: response.statusCode ?? 0,
          connection: response.headers.connection,
          body,
          sentBytes,
        });
      response.on("end", () => {
        done();
        outgoing.destroy();
      });
      response.on("error", (error) => reject(new Error(`${path}: the answer was cut: ${error}`)));
    });
    outgoing.on("error", (error) => {
      if (answered) return;
      answered = true;
      if (options.resetAllowed) resolve({ status: 0, connection: undefined, body: "", sentBytes });
      else reject(new Error(`${path}: no answer after ${sentBytes} bytes: ${error}`));
    });
    if (options.body === undefined) pump();
  });
}

/**
 * Starts a POST whose body never ends and gives the status of the answer, if one comes
 * while the body is still awaited: the node decided without reading it.
 */
function answerBeforeBody(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: "127.0.0.1",
      port,
      path,
      method: "POST",
      headers:
        "content-length" in headers ? headers : { ...headers, "transfer-encoding": "chunked" },
      agent: false,
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`${path}: no answer while the body was awaited`));
    }, 3000);
    outgoing.on("response", (response) => {
      clearTimeout(timer);
      response.resume();
      outgoing.destroy();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on("error", () => {});
    outgoing.write("_csrf=x&username=admin&password=");
  });
}

/**
 * Sends `bytes` of chunked body whatever the node answers, as an attacker would, and
 * gives how much it could write before the node cut the connection, and the answer.
 */
function pushRegardless(
  path: string,
  bytes: number,
  headers: Record<string, string>,
): Promise<{ status: number; sentBytes: number }> {
  return new Promise((resolve) => {
    const outgoing = request({
      host: "127.0.0.1",
      port,
      path,
      method: "POST",
      headers: { ...headers, "transfer-encoding": "chunked" },
      agent: false,
    });
    const chunk = Buffer.alloc(64 * 1024, "a");
    let sentBytes = 0;
    let status = 0;
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      outgoing.destroy();
      resolve({ status, sentBytes });
    };
    const pump = () => {
      while (!ended && sentBytes < bytes) {
        sentBytes += chunk.length;
        if (!outgoing.write(chunk)) {
          outgoing.once("drain", pump);
          return;
        }
      }
      outgoing.end();
    };
    outgoing.on("response", (response) => {
      status = response.statusCode ?? 0;
      response.resume();
    });
    outgoing.on("error", finish);
    outgoing.on("close", finish);
    pump();
  });
}

function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
}

function activity(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: "https://elsewhere.example/activities/1",
    type: "Create",
    actor: "https://elsewhere.example/actors/someone",
    object: { type: "Note", content: "hello" },
    ...extra,
  });
}

/** The `{error: {code, message}}` of a refusal. */
async function problemOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

const json = { "content-type": "application/json" };
const activityJson = { "content-type": "application/activity+json" };
const form = { "content-type": "application/x-www-form-urlencoded" };
/**
 * The sign-in form as anyone can send it: its CSRF cookie (a random value, double
 * submitted) is one GET /login away, so the form is read.
 */
const signInForm = { ...form, cookie: `coursefed_login_csrf=${"a".repeat(43)}` };

describe("request body limits", () => {
  it.runIf(process.platform === "linux")(
    "keeps the node's memory flat under four unauthenticated 200 MB bodies at once, chunked, declared or lying",
    async () => {
      const pid = nodeProcess?.pid as number;
      const targets = [
        ["/login", signInForm],
        ["/inbox", activityJson],
        ["/actors/institution/inbox", activityJson],
        ["/api/v1/follows", json],
      ] as const;
      // Warm up every route, so that what is measured is the bodies and not code loading.
      for (let round = 0; round < 3; round++) {
        await Promise.all(targets.map(([path, headers]) => post(path, 1000, { headers })));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = memoryOf(pid, "VmRSS");
      // Resets the peak ("high water mark") to the current RSS, so VmHWM is this test's peak.
      writeFileSync(`/proc/${pid}/clear_refs`, "5");

      const rounds: Record<string, { declared?: number; resetAllowed?: boolean }> = {
        chunked: {},
        declared: { declared: HUGE },
        // Past the 1000 bytes announced, what follows is taken for a next request and is
        // not HTTP: Node answers the first request, then cuts the connection (the client
        // may see the cut before the answer).
        lying: { declared: 1000, resetAllowed: true },
      };
      const answered: string[] = [];
      for (const [round, settings] of Object.entries(rounds)) {
        const answers = await Promise.all(
          targets.map(([path, headers]) => post(path, HUGE, { ...settings, headers })),
        );
        for (const [index, answer] of answers.entries()) {
          answered.push(
            `${round} ${targets[index]?.[0]}: ${answer.status} after ${answer.sentBytes} bytes`,
          );
        }
      }
      const grown = memoryOf(pid, "VmHWM") - before;
      console.info(
        `body limits: peak RSS grew by ${(grown / MiB).toFixed(1)} MiB under 3 × 4 bodies of 200 MiB (from ${(before / MiB).toFixed(0)} MiB)\n${answered.join("\n")}`,
      );
      expect(grown).toBeLessThan(16 * MiB);
      for (const line of answered) {
        const [, round, status, sent] = /^(\w+) \S+: (\d+) after (\d+)/.exec(line) ?? [];
        // The node answered early and stopped reading: the client could not write the 200 MB.
        expect(Number(sent), line).toBeLessThan(32 * MiB);
        // A lying Content-Length is answered for the bytes it announced; the rest is not HTTP.
        if (round !== "lying") expect(["401", "413"], line).toContain(status);
      }
    },
    120_000,
  );

  it.each([
    ["/login", signInForm, 256 * 1024],
    ["/inbox", activityJson, MAX_INBOX_BODY],
    ["/actors/institution/inbox", activityJson, MAX_INBOX_BODY],
    ["/api/v1/follows", json, MiB],
    ["/api/v1/uploads", { "content-type": "application/octet-stream" }, MAX_UPLOAD],
  ])(
    "answers 413 to a declared Content-Length over the limit of %s, before authentication",
    async (path, headers, limit) => {
      const answer = await post(path, limit + 1, { declared: limit + 1, headers });
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe("close");
      expect(JSON.parse(answer.body).error).toMatchObject({
        code: "too_large",
        message: expect.stringContaining(`POST ${path}`),
      });
    },
  );

  it.each([
    ["/login", signInForm, 256 * 1024],
    ["/inbox", activityJson, MAX_INBOX_BODY],
    ["/actors/institution/inbox", activityJson, MAX_INBOX_BODY],
  ])(
    "answers 413 to a chunked body once it passes the limit of %s, unsigned or without a session",
    async (path, headers, limit) => {
      const answer = await post(path, limit + 64 * 1024, { headers });
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe("close");
      expect(JSON.parse(answer.body).error.code).toBe("too_large");
    },
  );

  it("counts a chunked API body once the token is accepted, and answers 413 past the limit", async () => {
    const answer = await post("/api/v1/follows", 2 * MiB, {
      headers: { ...json, authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe("too_large");
  });

  it.each(["/inbox", "/actors/institution/inbox"])(
    "holds %s to --max-inbox-body: just under it reaches the signature check, just over is 413",
    async (path) => {
      const under = activity({ summary: "x".repeat(MAX_INBOX_BODY - 1024) });
      // Chunked: counted as it is read, with no length announced.
      const unsigned = await post(path, 0, { headers: activityJson, body: under });
      expect(unsigned.status).toBe(401);
      const over = activity({ summary: "x".repeat(MAX_INBOX_BODY) });
      const refused = await post(path, 0, { headers: activityJson, body: over });
      expect(refused.status).toBe(413);
    },
  );

  it("refuses a form or API call from no one known before reading its body", async () => {
    expect(await answerBeforeBody("/login", form)).toBe(403);
    expect(await answerBeforeBody("/feeds/follow", form)).toBe(403);
    expect(
      await answerBeforeBody("/admin/settings", {
        "content-type": "multipart/form-data; boundary=x",
      }),
    ).toBe(403);
    // The upload form: its route checks the role first, and answers over the cap itself.
    expect(
      await answerBeforeBody("/publish/upload", {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": String(1024 ** 3),
      }),
    ).toBe(403);
    expect(await answerBeforeBody("/api/v1/follows", json)).toBe(401);
    expect(
      await answerBeforeBody("/api/v1/uploads", { "content-type": "application/octet-stream" }),
    ).toBe(401);
  });

  it("stops reading a refused body even from a client that goes on sending", async () => {
    for (const [path, headers, status] of [
      ["/login", signInForm, 413],
      ["/inbox", activityJson, 413],
      ["/api/v1/follows", json, 401],
      ["/api/v1/uploads", { "content-type": "application/octet-stream" }, 401],
    ] as const) {
      const started = Date.now();
      const pushed = await pushRegardless(path, HUGE, headers);
      expect(pushed.status, path).toBe(status);
      // What the sockets' buffers hold, not the 200 MB: then the connection is cut.
      expect(pushed.sentBytes, path).toBeLessThan(32 * MiB);
      expect(Date.now() - started, path).toBeLessThan(10_000);
    }
  });

  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it.each(["/inbox", "/actors/institution/inbox"])(
    "answers 400 with what is wrong to absurdly nested or malformed JSON at %s",
    async (path) => {
      const tooDeep = `${activity().slice(0, -1)},"object":${deep(5000)}}`;
      for (const [body, code, type] of [
        [tooDeep, "too_deep", "application/activity+json"],
        // The inbox reads its body as JSON whatever its type says.
        [tooDeep, "too_deep", "text/plain"],
        [`${activity().slice(0, -1)},`, "malformed_json", "application/activity+json"],
      ] as const) {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: "POST",
          headers: { "content-type": type },
          body,
        });
        expect(response.status).toBe(400);
        expect(await problemOf(response)).toMatchObject({
          code,
          message: expect.stringMatching(/JSON/),
        });
      }
    },
  );

  it("answers 400 with what is wrong to absurdly nested or malformed JSON on the API", async () => {
    for (const [body, code] of [
      [`{"target": ${deep(5000)}}`, "too_deep"],
      ['{"target": "@someone@elsewhere.example"', "malformed_json"],
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/follows`, {
        method: "POST",
        headers: { ...json, authorization: `Bearer ${token}` },
        body,
      });
      expect(response.status).toBe(400);
      expect((await problemOf(response)).code).toBe(code);
    }
  });

  it("answers 400 to an activity whose @context cannot be loaded", async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}/context.jsonld`;
    const response = await fetch(`http://127.0.0.1:${port}/inbox`, {
      method: "POST",
      headers: activityJson,
      body: activity({ "@context": unreachable }),
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).message).toContain(unreachable);
  });
});
