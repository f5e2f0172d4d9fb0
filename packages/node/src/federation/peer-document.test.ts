import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PeerDocumentError, readPeerDocument } from "./peer-document.ts";

/** A peer on loopback whose answer to each path is set by the test. */
let peer: Server;
let origin: string;
const answers = new Map<string, (response: import("node:http").ServerResponse) => void>();
const signed: string[] = [];

beforeAll(async () => {
  peer = createServer((request, response) => {
    signed.push(String(request.headers["x-signed"]));
    const answer = answers.get(request.url ?? "");
    if (answer) answer(response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
  const address = peer.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  peer.closeAllConnections();
  await new Promise((resolve) => peer.close(resolve));
});

const sign = async (request: Request) => {
  const headers = new Headers(request.headers);
  headers.set("x-signed", "yes");
  return new Request(request, { headers });
};

function read(path: string, maxBytes = 1024, signal = AbortSignal.timeout(5000)) {
  return readPeerDocument(new URL(path, origin), {
    sign,
    accept: "application/activity+json",
    maxBytes,
    signal,
  });
}

function answering(path: string, type: string | null, body: string | Buffer, status = 200) {
  answers.set(path, (response) => {
    response.writeHead(status, type === null ? {} : { "content-type": type });
    response.end(body);
  });
}

async function refusal(promise: Promise<unknown>): Promise<PeerDocumentError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(PeerDocumentError);
  return error as PeerDocumentError;
}

describe("reading a peer's JSON document", () => {
  it("gives the object a peer answered, asked for signed", async () => {
    answering(
      "/actor",
      'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
      '{"type":"Person"}',
    );
    answering("/plain", "application/json; charset=utf-8", '{"a":1}');
    answering("/untyped", null, '{"b":2}');
    expect(await read("/actor")).toEqual({ type: "Person" });
    expect(await read("/plain")).toEqual({ a: 1 });
    expect(await read("/untyped")).toEqual({ b: 2 });
    expect(signed.at(-1)).toBe("yes");
  });

  it("names the peer and what was wrong: not JSON, not an object, HTML, too large", async () => {
    answering("/garbled", "application/activity+json", '{"type": "Person",');
    answering("/list", "application/json", "[1, 2]");
    answering("/html", "text/html; charset=utf-8", "<html>Sign in</html>");
    answering("/huge", "application/json", `{"x":"${"y".repeat(4096)}"}`);
    const host = new URL(origin).host;
    const garbled = await refusal(read("/garbled"));
    expect(garbled.code).toBe("NOT_JSON");
    expect(garbled.message).toBe(
      `${host} answered something that is not JSON for ${origin}/garbled: try again later, and tell its administrators if it lasts.`,
    );
    expect((await refusal(read("/list"))).code).toBe("NOT_AN_OBJECT");
    const html = await refusal(read("/html"));
    expect(html.code).toBe("WRONG_TYPE");
    expect(html.message).toMatch(new RegExp(`^${host} answered text/html for .*/html, not JSON`));
    const huge = await refusal(read("/huge"));
    expect(huge.code).toBe("TOO_LARGE");
    expect(huge.message).toMatch(new RegExp(`^${host} answered more than 1024 bytes for`));
  });

  it("keeps an error status, and a 429's Retry-After", async () => {
    answering("/busy", "text/plain", "slow down", 429);
    answers.set("/later", (response) => {
      response.writeHead(429, { "retry-after": "120" }).end();
    });
    answering("/gone", "application/activity+json", '{"type":"Tombstone"}', 410);
    const busy = await refusal(read("/busy"));
    expect(busy).toMatchObject({ code: "HTTP_STATUS", status: 429, retryAfterMs: undefined });
    const later = await refusal(read("/later"));
    expect(later).toMatchObject({ code: "HTTP_STATUS", status: 429, retryAfterMs: 120_000 });
    expect(later.message).toMatch(/answered 429 \(too many requests, retry after 120 s\)/);
    expect(await refusal(read("/gone"))).toMatchObject({ code: "HTTP_STATUS", status: 410 });
  });

  it("says a peer that cannot be reached, or is cut by the caller's signal mid-answer, could not be read", async () => {
    answers.set("/stalls", (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"a":');
    });
    const stalled = await refusal(read("/stalls", 1024, AbortSignal.timeout(300)));
    expect(stalled.code).toBe("UNREACHABLE");
    expect(stalled.message).toMatch(/could not be read for .*\/stalls .*: check that it is up/);
    const closed = await refusal(
      readPeerDocument(new URL("http://127.0.0.1:9/actor"), {
        sign,
        accept: "application/json",
        maxBytes: 1024,
        signal: AbortSignal.timeout(5000),
      }),
    );
    expect(closed.code).toBe("UNREACHABLE");
  });
});
