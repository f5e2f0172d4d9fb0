import { randomBytes } from "node:crypto";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import {
  createServer as createTlsServer,
  getCACertificates,
  setDefaultCACertificates,
} from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArchiveAddressError,
  type ArchiveAnswer,
  ArchiveAnswerError,
  getArchive,
} from "./archive-get.ts";

/**
 * A peer scripted byte by byte: each test says what the server writes on the socket, so
 * that framing lands split across reads, answers are cut, heads are malformed.
 */
let answerWith: (socket: Socket, request: string) => void = () => {};
const requests: string[] = [];
function handle(socket: Socket) {
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    if (!received.includes("\r\n\r\n")) return;
    requests.push(received);
    answerWith(socket, received);
  });
  socket.on("error", () => {});
}
const server: Server = createTcpServer(handle);
let url: URL;

/** The test's own certificate authority and server certificate, for localhost (EC P-256). */
const TEST_PEER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMDQ/xS780bVsYHUm
FWizL6eRA7ZrYCH7FbH7xTEQbo2hRANCAATT6RHuD2c/ShU/LawuCLyWONRJZnMB
gE5/eJu0Y38zTbjuMvZ9/8hkhpJ5vJi9VKOnjNzqCMJ9+EKm9/946Msv
-----END PRIVATE KEY-----`;
const TEST_PEER_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBrjCCAVWgAwIBAgIUdJT/1mRVjkBye2b/QaqPmPq9s9wwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTY291cnNlZmVkIHRlc3QgcGVlcjAgFw0yNjEyMDYxMTAwNDNa
GA8yMTI2MTExMjExMDA0M1owHjEcMBoGA1UEAwwTY291cnNlZmVkIHRlc3QgcGVl
cjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNPpEe4PZz9KFT8trC4IvJY41Elm
cwGATn94m7RjfzNNuO4y9n3/yGSGknm8mL1Uo6eM3OoIwn34Qqb3/3joyy+jbzBt
MB0GA1UdDgQWBBQ8N4AmCalKZzDOXQJo1u4eOp/5iDAfBgNVHSMEGDAWgBQ8N4Am
CalKZzDOXQJo1u4eOp/5iDAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxv
Y2FsaG9zdIcEfwAAATAKBggqhkjOPQQDAgNHADBEAiBrndV9A1v5COkmamL0VgFA
g3IUga5P06qLWNv1QgUWNAIgEVKHyXNzeYNZwjbtJI63Zok6Z+hydcLYD/vpsC6L
ixQ=
-----END CERTIFICATE-----`;
const tlsServer = createTlsServer({ key: TEST_PEER_KEY, cert: TEST_PEER_CERTIFICATE }, handle);
let tlsUrl: URL;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/blobs/a?x=1`);
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  tlsUrl = new URL(`https://localhost:${(tlsServer.address() as { port: number }).port}/blobs/a`);
});
afterAll(() => {
  server.close();
  tlsServer.close();
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `pieces` one after the other, each in a write of its own a moment apart. */
async function writeApart(socket: Socket, pieces: Array<string | Buffer>, then?: "end" | "cut") {
  for (const piece of pieces) {
    socket.write(piece);
    await wait(5);
  }
  if (then === "end") socket.end();
  if (then === "cut") socket.destroy();
}

/** Reads a body, keeping what was accepted and what was written (in order), apart. */
async function readAll(
  answer: ArchiveAnswer,
  options: { writeDelayMs?: number; refuseAfter?: number; failWrite?: number } = {},
) {
  const accepted: Buffer[] = [];
  const written: Buffer[] = [];
  let acceptedBytes = 0;
  let writing = 0;
  let mostAtOnce = 0;
  let error: Error | undefined;
  try {
    await answer.readBody(
      (piece) => {
        if (options.refuseAfter !== undefined && acceptedBytes >= options.refuseAfter) {
          throw new Error("refused");
        }
        acceptedBytes += piece.length;
        accepted.push(Buffer.from(piece));
      },
      async (batch) => {
        writing++;
        mostAtOnce = Math.max(mostAtOnce, writing);
        if (options.writeDelayMs) await wait(options.writeDelayMs);
        writing--;
        if (options.failWrite === written.length) throw new Error("disk full");
        // Copied: the batch's memory is reused once this promise settles.
        written.push(Buffer.from(batch));
      },
    );
  } catch (caught) {
    error = caught as Error;
  }
  return {
    accepted: Buffer.concat(accepted),
    written: Buffer.concat(written),
    writes: written.map((each) => each.length),
    mostAtOnce,
    error,
  };
}

describe("getArchive", () => {
  it("sends a GET with the given headers, the signer's Host if it gave one, and closes after", async () => {
    requests.length = 0;
    answerWith = (socket) => void writeApart(socket, ["HTTP/1.1 204 No Content\r\n\r\n"], "end");
    const answer = await getArchive(url, { host: "peer.example", signature: 'keyId="k"' });
    expect(answer.status).toBe(204);
    expect((await readAll(answer)).written.length).toBe(0);
    const [request] = requests;
    expect(request?.split("\r\n")[0]).toBe("GET /blobs/a?x=1 HTTP/1.1");
    expect(request?.match(/^host:/gim)).toEqual(["host:"]);
    expect(request).toContain("host: peer.example\r\n");
    expect(request).toContain('signature: keyId="k"\r\n');
    expect(request).toContain("connection: close\r\n");

    await getArchive(url, {}).then((plain) => plain.close());
    expect(requests[1]).toContain(`host: ${url.host}\r\n`);
  });

  it("refuses a header that would end the request's head early", async () => {
    await expect(getArchive(url, { "x-a": "b\r\nx-injected: yes" })).rejects.toThrow(
      'the request header "x-a" is not a valid HTTP header',
    );
  });

  it("reads the head across several reads, skips an interim answer, joins repeated headers", async () => {
    const body = randomBytes(1000);
    answerWith = (socket) =>
      void writeApart(socket, [
        "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx-seen: one\r\n",
        "X-Seen: two\r\ncontent-length: 1000\r\n\r",
        Buffer.concat([Buffer.from("\n"), body]),
      ]);
    const answer = await getArchive(url, {});
    expect([answer.status, answer.statusMessage]).toEqual([200, "OK"]);
    expect(answer.headers.get("x-seen")).toBe("one, two");
    expect(answer.headers.has("link")).toBe(false);
    const read = await readAll(answer);
    expect(read.error).toBeUndefined();
    expect(read.written.equals(body)).toBe(true);
  });

  it("takes the chunked coding off a body split anywhere across reads, extensions and trailers included", async () => {
    const body = randomBytes(300_000);
    const framed: Array<string | Buffer> = [
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    ];
    let at = 0;
    for (const size of [1, 70_000, 15, 200_000, 29_984]) {
      framed.push(`${size.toString(16).toUpperCase()};name=value\r`, "\n");
      framed.push(body.subarray(at, at + size - 1), body.subarray(at + size - 1, at + size), "\r");
      framed.push("\n");
      at += size;
    }
    framed.push("0\r\n", "x-checksum: 1\r\n", "\r\n");
    answerWith = (socket) => void writeApart(socket, framed);
    const read = await readAll(await getArchive(url, {}));
    expect(read.error).toBeUndefined();
    expect(read.accepted.equals(body)).toBe(true);
    expect(read.written.equals(body)).toBe(true);
  });

  it("reads a body with neither a length nor chunks until the connection closes", async () => {
    const body = randomBytes(200_000);
    answerWith = (socket) =>
      void writeApart(
        socket,
        ["HTTP/1.0 200 OK\r\n\r\n", body.subarray(0, 5), body.subarray(5)],
        "end",
      );
    const read = await readAll(await getArchive(url, {}));
    expect(read.error).toBeUndefined();
    expect(read.written.equals(body)).toBe(true);
  });

  it("loses and mixes no byte when the disk is slower than the network, one write at a time", async () => {
    const body = randomBytes(6 * 1024 * 1024 + 3);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    };
    const read = await readAll(await getArchive(url, {}), { writeDelayMs: 15 });
    expect(read.error).toBeUndefined();
    expect(read.written.equals(body)).toBe(true);
    expect(read.mostAtOnce).toBe(1);
    // Gathered into large writes, none larger than a batch.
    expect(read.writes.length).toBeLessThanOrEqual(8);
    expect(Math.max(...read.writes)).toBeLessThanOrEqual(1024 * 1024);
  });

  it("writes what came before a cut, then says the body was cut", async () => {
    const body = randomBytes(3 * 1024 * 1024);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, 1_500_000), () => socket.destroy());
    };
    const read = await readAll(await getArchive(url, {}));
    expect(read.error?.message).toBe("the connection closed before the end of the body");
    expect(read.written.length).toBe(read.accepted.length);
    expect(read.written.length).toBeGreaterThan(0);
    expect(read.written.equals(body.subarray(0, read.written.length))).toBe(true);
  });

  it("a chunked body cut between chunks is cut, not complete", async () => {
    answerWith = (socket) =>
      void writeApart(
        socket,
        ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "3\r\nabc\r\n"],
        "end",
      );
    const read = await readAll(await getArchive(url, {}));
    expect(read.error?.message).toBe("the connection closed before the end of the body");
    expect(read.written.toString()).toBe("abc");
  });

  it("writes nothing after a piece it refused", async () => {
    const body = randomBytes(4 * 1024 * 1024);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    };
    const read = await readAll(await getArchive(url, {}), { refuseAfter: 2 * 1024 * 1024 });
    expect(read.error?.message).toBe("refused");
    expect(read.written.length).toBeLessThanOrEqual(read.accepted.length);
    expect(read.written.equals(body.subarray(0, read.written.length))).toBe(true);
  });

  it("stops at a failed write and writes nothing after it", async () => {
    const body = randomBytes(5 * 1024 * 1024);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    };
    const read = await readAll(await getArchive(url, {}), { failWrite: 1 });
    expect(read.error?.message).toBe("disk full");
    expect(read.writes).toHaveLength(1);
  });

  it.each([
    ["a head that is not HTTP", ["SSH-2.0-OpenSSH\r\n\r\n"], "the answer is not HTTP/1.1"],
    ["a folded header", ["HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\n\r\n"], "malformed header"],
    [
      "a head without end",
      ["HTTP/1.1 200 OK\r\n", `x-a: ${"a".repeat(17_000)}`],
      "head is larger than 16384 bytes",
    ],
    [
      "two different lengths",
      ["HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\nabcdef"],
      "Content-Length is not a length",
    ],
    ["no answer at all", [], "the connection closed before an answer came"],
  ])("refuses %s", async (_case, pieces, message) => {
    answerWith = (socket) => void writeApart(socket, pieces, "end");
    await expect(getArchive(url, {})).rejects.toThrow(message);
  });

  it("refuses a chunk whose size is not hexadecimal", async () => {
    answerWith = (socket) =>
      void writeApart(socket, ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5g\r\n"]);
    const read = await readAll(await getArchive(url, {}));
    expect(read.error?.message).toBe("the answer's chunk size is not hexadecimal");
  });

  it("refuses a peer whose certificate it cannot verify", async () => {
    answerWith = (socket) => void writeApart(socket, ["HTTP/1.1 204 No Content\r\n\r\n"], "end");
    await expect(getArchive(tlsUrl, {})).rejects.toThrow(/self-signed certificate/);
  });

  it("reads over HTTPS as over HTTP", async () => {
    const body = randomBytes(2 * 1024 * 1024 + 1);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    };
    const before = getCACertificates("default");
    setDefaultCACertificates([...before, TEST_PEER_CERTIFICATE]);
    try {
      const read = await readAll(await getArchive(tlsUrl, {}));
      expect(read.error).toBeUndefined();
      expect(read.written.equals(body)).toBe(true);
    } finally {
      setDefaultCACertificates(before);
    }
  });
});

/** A peer that lies, stalls or sends anything: each answer ends in the right bytes or a typed error. */
describe("getArchive against a hostile peer", () => {
  const CHUNKED = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";

  it.each([
    [
      "both a Transfer-Encoding and a Content-Length",
      [`HTTP/1.1 200 OK\r\ncontent-length: 3\r\n${CHUNKED.slice(17)}3\r\nabc\r\n0\r\n\r\n`],
      "both a Transfer-Encoding and a Content-Length",
    ],
    ["a coding under chunked", [CHUNKED.replace("chunked", "gzip, chunked")], "only chunked"],
    ["an unknown coding", [CHUNKED.replace("chunked", "x-zip")], "only chunked"],
    ...["+1", "1e3", "-1", "1 2", "99999999999999999999", "0x10", "", "5, 6, 5"].map((length) => [
      `Content-Length ${JSON.stringify(length)}`,
      [`HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\n\r\nabcde`],
      "Content-Length is not a length",
    ]),
    ["HTTP/2", ["HTTP/2 200\r\n\r\n"], "not HTTP/1.1"],
    ["HTTP/1.2", ["HTTP/1.2 200 OK\r\n\r\n"], "not HTTP/1.1"],
    ["a status under 100", ["HTTP/1.1 099 Odd\r\ncontent-length: 1\r\n\r\na"], "not HTTP/1.1"],
    ["a header without a colon", ["HTTP/1.1 200 OK\r\nx-a 1\r\n\r\n"], "malformed header"],
    ["a NUL in a header", ["HTTP/1.1 200 OK\r\nx-a: 1\x002\r\n\r\n"], "malformed header"],
    ["a lone CR in a header", ["HTTP/1.1 200 OK\r\nx-a: 1\r2\r\n\r\n"], "malformed header"],
    [
      // In one write, so that the head's end comes in the same read that passes the limit.
      "5,000 headers in one read",
      [`HTTP/1.1 200 OK\r\n${Array.from({ length: 5000 }, (_, i) => `h${i}: v\r\n`).join("")}\r\n`],
      "head is larger than 16384 bytes",
    ],
    [
      "a flood of interim answers",
      [`${"HTTP/1.1 100 Continue\r\n\r\n".repeat(20_000)}HTTP/1.1 204 No Content\r\n\r\n`],
      "more than 8 interim (1xx) answers",
    ],
  ] as Array<[string, string[], string]>)(
    "refuses %s before reading any body",
    async (_case, pieces, message) => {
      answerWith = (socket) => void writeApart(socket, pieces, "end");
      const refusal = await getArchive(url, {}).then(
        (answer) => {
          answer.close();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(ArchiveAnswerError);
      expect((refusal as Error).message).toContain(message);
    },
  );

  it.each([
    ["a chunk size past 2^52", "10000000000000\r\n", "chunk size is too large"],
    ["a 0x prefix", "0x5\r\nabcde\r\n0\r\n\r\n", "chunk size is not hexadecimal"],
    ["junk before the size", " 5\r\nabcde\r\n0\r\n\r\n", "chunk has no size"],
    ["a negative size", "-5\r\nabcde\r\n0\r\n\r\n", "chunk has no size"],
    ["no CRLF after a chunk", "3\r\nabcdef\r\n0\r\n\r\n", "chunk does not end where its size says"],
    ["a CR inside an extension", "5;a\rb\r\nabcde\r\n0\r\n\r\n", "chunk size line does not end"],
    ["a size line that never ends", `5;${"x".repeat(1024 * 1024)}`, "chunk framing is too long"],
    ["trailers without end", `0\r\nx-a: ${"a".repeat(20_000)}`, "chunk framing is too long"],
  ])(
    "refuses %s in a chunked body, writing only what came before",
    async (_case, framing, message) => {
      answerWith = (socket) => void writeApart(socket, [CHUNKED, "2\r\nok\r\n", framing], "end");
      const read = await readAll(await getArchive(url, {}));
      expect(read.error).toBeInstanceOf(ArchiveAnswerError);
      expect(read.error?.message).toContain(message);
      expect(read.written.toString()).toBe("ok");
    },
  );

  it.each([
    [
      "bytes after a Content-Length",
      ["HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nabcdeXYZ"],
      "abcde",
    ],
    [
      "bytes after the last chunk",
      [`${CHUNKED}5;a=b\r\nabcde\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\nXYZ`],
      "abcde",
    ],
    ["a body after 204", ["HTTP/1.1 204 No Content\r\ncontent-length: 3\r\n\r\nabc"], ""],
    ["a body after 304", ["HTTP/1.1 304 Not Modified\r\n\r\nabc"], ""],
  ])("takes no more than the framing gives: %s", async (_case, pieces, body) => {
    answerWith = (socket) => void writeApart(socket, pieces, "end");
    const read = await readAll(await getArchive(url, {}));
    expect(read.error).toBeUndefined();
    expect(read.written.toString()).toBe(body);
  });

  it("connects to no private or loopback address when they are not allowed, by IP or by a name", async () => {
    requests.length = 0;
    answerWith = (socket) => void writeApart(socket, ["HTTP/1.1 204 No Content\r\n\r\n"], "end");
    for (const [host, address] of [
      [url.host, "127\\.0\\.0\\.1"],
      [`localhost:${url.port}`, "(127\\.0\\.0\\.1|::1)"],
      [`[::ffff:127.0.0.1]:${url.port}`, "::ffff:7f00:1"],
    ] as const) {
      const refusal = await getArchive(
        new URL(`http://${host}/blobs/a`),
        {},
        { allowPrivateAddresses: false },
      ).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ArchiveAddressError);
      expect((refusal as Error).message).toMatch(
        new RegExp(
          `is on the private or loopback address ${address}, and this node only talks to public ones\\. To federate on an intranet, start the node with --allow-private-addresses`,
        ),
      );
    }
    expect(requests).toEqual([]);
    await getArchive(new URL(`http://localhost:${url.port}/`), {}).then((allowed) =>
      allowed.close(),
    );
    expect(requests).toHaveLength(1);
  });

  const pace = { windowMs: 300, minBytes: 1024 };

  it("gives up on a peer that accepts the connection and never answers, over HTTP and HTTPS", async () => {
    answerWith = () => {};
    const plain = getArchive(url, {}, { pace });
    // A TLS handshake nobody answers: the plain peer reads the ClientHello and says nothing.
    const handshake = getArchive(new URL(url.href.replace("http:", "https:")), {}, { pace });
    for (const attempt of [plain, handshake]) {
      const refusal = await attempt.catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ArchiveAnswerError);
      expect((refusal as Error).message).toBe("the peer sent no answer within 0.3 s");
    }
  });

  it("gives up on a head that trickles in", async () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n";
    answerWith = (socket) =>
      void writeApart(
        socket,
        [...head].flatMap((byte) => [byte, "", "", "", "", ""]),
      );
    const refusal = await getArchive(url, {}, { pace }).catch((error: unknown) => error);
    expect((refusal as Error).message).toBe("the peer sent no answer within 0.3 s");
  });

  it("gives up on a body that stalls or trickles, not on a disk slower than the peer", async () => {
    answerWith = (socket) =>
      void writeApart(socket, ["HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nab"]);
    const stalled = await readAll(await getArchive(url, {}, { pace }));
    expect(stalled.error).toBeInstanceOf(ArchiveAnswerError);
    expect(stalled.error?.message).toBe(
      "the peer sent 0 bytes in 0.3 s, less than the 1024 a working peer sends",
    );
    expect(stalled.written.toString()).toBe("ab");

    // A byte every 5 ms or so: the connection lives, the body never comes.
    answerWith = (socket) =>
      void writeApart(socket, [
        "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n",
        ...Array.from({ length: 400 }, () => "x"),
      ]);
    const trickled = await readAll(await getArchive(url, {}, { pace }));
    expect(trickled.error?.message).toMatch(
      /^the peer sent \d+ bytes in 0\.3 s, less than the 1024/,
    );

    // Held back by writes that take longer than a window: the peer is not to blame.
    const body = randomBytes(3 * 1024 * 1024);
    answerWith = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.end(body);
    };
    const slowDisk = await readAll(await getArchive(url, {}, { pace }), { writeDelayMs: 400 });
    expect(slowDisk.error).toBeUndefined();
    expect(slowDisk.written.equals(body)).toBe(true);
  }, 15_000);

  /**
   * Mutated answers, deterministic: truncated, a byte flipped, CRLF inserted, a byte
   * deleted. Each must end, typed, with what was written exactly what was accepted; an
   * answer cut short is never complete; a change in the body's data gives that data; a
   * change in the chunked framing gives the body unchanged or an error.
   */
  it("ends every one of 320 mutated answers in the right bytes or a typed error", async () => {
    let seed = 0x5eed;
    const random = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const below = (n: number) => Math.floor(random() * n);
    const body = Buffer.from(Array.from({ length: 3000 }, () => below(256)));
    const lengthHead = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
    const chunkedHead = Buffer.from(CHUNKED);
    /** The chunked answer, and where each of the body's bytes sits in it. */
    const chunkedParts: Buffer[] = [chunkedHead];
    const dataAt: number[] = [];
    let offset = chunkedHead.length;
    let from = 0;
    for (const [size, extension] of [
      [1000, ""],
      [1500, ";x=y"],
      [500, ""],
    ] as const) {
      const line = Buffer.from(`${size.toString(16)}${extension}\r\n`);
      chunkedParts.push(line, body.subarray(from, from + size), Buffer.from("\r\n"));
      offset += line.length;
      for (let i = 0; i < size; i++) dataAt.push(offset + i);
      offset += size + 2;
      from += size;
    }
    chunkedParts.push(Buffer.from("0\r\nx-t: 1\r\n\r\n"));
    const bases = [
      { name: "length", answer: Buffer.concat([lengthHead, body]), head: lengthHead.length },
      { name: "chunked", answer: Buffer.concat(chunkedParts), head: chunkedHead.length },
    ];
    const inChunkData = new Set(dataAt);
    const failures: string[] = [];
    for (let n = 0; n < 320; n++) {
      const base = bases[n % 2] as (typeof bases)[number];
      const kind = (["truncate", "flip", "crlf", "delete"] as const)[below(4)] as string;
      const at = below(base.answer.length);
      let answer: Buffer;
      if (kind === "truncate") answer = base.answer.subarray(0, at);
      else if (kind === "flip") {
        answer = Buffer.from(base.answer);
        answer[at] = (answer[at] as number) ^ (1 + below(255));
      } else if (kind === "crlf") {
        answer = Buffer.concat([
          base.answer.subarray(0, at),
          Buffer.from("\r\n"),
          base.answer.subarray(at),
        ]);
      } else answer = Buffer.concat([base.answer.subarray(0, at), base.answer.subarray(at + 1)]);
      // What a complete read may give: undefined when it must fail, "any" when the head changed.
      let expected: Buffer | "any" | undefined;
      const inData = base.name === "length" ? at >= base.head : inChunkData.has(at);
      if (kind === "truncate") expected = undefined;
      else if (at < base.head) expected = "any";
      else if (!inData) expected = body;
      else if (kind === "flip") {
        expected =
          base.name === "length"
            ? answer.subarray(base.head)
            : Buffer.from(dataAt.map((position) => answer[position] as number));
      } else if (kind === "crlf" && base.name === "length") {
        expected = answer.subarray(base.head, base.head + body.length);
      } else expected = undefined;
      const split = below(answer.length + 1);
      answerWith = (socket) => {
        socket.write(answer.subarray(0, split));
        setImmediate(() => socket.end(answer.subarray(split)));
      };
      const label = `#${n} ${base.name} ${kind} at ${at}`;
      const outcome = await Promise.race([
        (async () => {
          const answered = await getArchive(
            url,
            {},
            { pace: { windowMs: 2000, minBytes: 1 } },
          ).catch((error: unknown) => error as Error);
          if (answered instanceof Error)
            return { error: answered, written: undefined, accepted: undefined };
          return await readAll(answered);
        })(),
        wait(3000).then(() => "hang" as const),
      ]);
      if (outcome === "hang") {
        failures.push(`${label}: no end in 3 s`);
        continue;
      }
      const { error, written, accepted } = outcome;
      if (error && !(error instanceof ArchiveAnswerError)) {
        failures.push(`${label}: untyped ${error.name}: ${error.message}`);
      }
      if (written && accepted && !written.equals(accepted)) {
        failures.push(`${label}: wrote ${written.length} bytes, accepted ${accepted.length}`);
      }
      if (!error && expected === undefined) failures.push(`${label}: complete, should have failed`);
      if (!error && written && Buffer.isBuffer(expected) && !written.equals(expected)) {
        failures.push(`${label}: complete with the wrong bytes`);
      }
      if (error && Buffer.isBuffer(expected) && kind === "flip" && inData) {
        failures.push(`${label}: a change in the data failed: ${error.message}`);
      }
    }
    expect(failures).toEqual([]);
  }, 30_000);
});
