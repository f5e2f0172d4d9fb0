import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobDigestError } from "./blob-store.ts";
import { DownloadError, downloadResumably } from "./resumable-download.ts";

const archive = randomBytes(3 * 1024 * 1024 + 17);
const sha256 = createHash("sha256").update(archive).digest("hex");
const directory = mkdtempSync(join(tmpdir(), "coursefed-download-"));
const seen: Array<string | undefined> = [];
/** The URL each request's (test) signature was made for, as the server received it. */
const signedFor: Array<string | undefined> = [];
let cutNext = false;
let ignoreRanges = false;
/** Bytes the server sends after the archive, as a peer that lies about it would. */
let trailing = 0;
let server: Server;
let url: URL;

beforeAll(async () => {
  server = createServer((request, response) => {
    signedFor.push(request.headers["x-signed-for"] as string | undefined);
    if (request.url === "/moved") {
      response.writeHead(302, { location: `/blobs/${sha256}` }).end();
      return;
    }
    if (request.url === "/loop") {
      response.writeHead(307, { location: "/loop" }).end();
      return;
    }
    const away = /^\/away\?to=(.*)$/.exec(request.url ?? "");
    if (away) {
      response.writeHead(302, { location: decodeURIComponent(away[1] as string) }).end();
      return;
    }
    seen.push(request.headers.range);
    const match = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const start =
      match && !ignoreRanges && request.headers["if-range"] === `"${sha256}"`
        ? Number(match[1])
        : 0;
    const body = Buffer.concat([archive.subarray(start), Buffer.alloc(trailing, 1)]);
    response.writeHead(start > 0 ? 206 : 200, {
      "content-length": body.length,
      etag: `"${sha256}"`,
      ...(start > 0
        ? { "content-range": `bytes ${start}-${archive.length - 1}/${archive.length}` }
        : {}),
    });
    if (cutNext) {
      cutNext = false;
      // Send part of the file, then drop the connection as a failing network would.
      response.write(body.subarray(0, 1024 * 1024), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/blobs/${sha256}`);
});
afterAll(() => {
  server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("downloadResumably", () => {
  it("resumes a cut download with a Range request and verifies the whole file", async () => {
    const partial = join(directory, "cut.part");
    cutNext = true;
    await expect(downloadResumably(url, partial, sha256)).rejects.toThrow(DownloadError);
    const kept = readFileSync(partial).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(archive.length);

    seen.length = 0;
    await downloadResumably(url, partial, sha256);
    expect(seen).toEqual([`bytes=${kept}-`]);
    expect(readFileSync(partial).equals(archive)).toBe(true);
  });

  it("starts over when the server answers a range with the whole file", async () => {
    const partial = join(directory, "ignored.part");
    writeFileSync(partial, archive.subarray(0, 1000));
    ignoreRanges = true;
    try {
      await downloadResumably(url, partial, sha256);
    } finally {
      ignoreRanges = false;
    }
    expect(readFileSync(partial).equals(archive)).toBe(true);
  });

  it("stops a server that sends more than the signed size, and keeps nothing of it", async () => {
    const partial = join(directory, "endless.part");
    trailing = 8 * 1024 * 1024;
    try {
      await expect(
        downloadResumably(url, partial, sha256, { size: archive.length }),
      ).rejects.toThrow(
        `more than the ${archive.length} bytes the archive's signed manifest gives`,
      );
    } finally {
      trailing = 0;
    }
    expect(existsSync(partial)).toBe(false);
  });

  it("starts over from a partial file already past the signed size", async () => {
    const partial = join(directory, "overgrown.part");
    writeFileSync(partial, Buffer.concat([archive, Buffer.alloc(10)]));
    seen.length = 0;
    await downloadResumably(url, partial, sha256, { size: archive.length });
    expect(seen).toEqual([undefined]);
    expect(readFileSync(partial).equals(archive)).toBe(true);
  });

  it("follows a redirect to the archive, signing the request again for where it goes", async () => {
    const partial = join(directory, "moved.part");
    signedFor.length = 0;
    const sign = async (request: Request) => {
      const signed = new Request(request);
      signed.headers.set("x-signed-for", request.url);
      return signed;
    };
    await downloadResumably(new URL("/moved", url), partial, sha256, { sign });
    expect(readFileSync(partial).equals(archive)).toBe(true);
    expect(signedFor).toEqual([new URL("/moved", url).href, url.href]);
  });

  it("gives up on a redirect loop, saying so", async () => {
    const partial = join(directory, "loop.part");
    await expect(downloadResumably(new URL("/loop", url), partial, sha256)).rejects.toThrow(
      /redirected the archive more than 20 times/,
    );
  });

  it.each([
    // The same server under another name: another origin all the same.
    ["another host", () => `http://localhost:${url.port}/blobs/${sha256}`],
    ["a private address", () => `http://10.0.0.1/blobs/${sha256}`],
    ["the same host on another port", () => `http://127.0.0.1:1/blobs/${sha256}`],
    ["another scheme", () => "file:///etc/passwd"],
    ["nowhere", () => "http://[::1"],
  ])(
    "refuses a redirect to %s, neither signing nor sending the request there",
    async (_case, to) => {
      const partial = join(directory, "away.part");
      signedFor.length = 0;
      const sign = async (request: Request) => {
        const signed = new Request(request);
        signed.headers.set("x-signed-for", request.url);
        return signed;
      };
      const away = new URL(`/away?to=${encodeURIComponent(to())}`, url);
      const refusal = await downloadResumably(away, partial, sha256, {
        sign,
        headers: { authorization: "Bearer secret" },
      }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(DownloadError);
      expect((refusal as Error).message).toContain(
        `redirected the archive to ${JSON.stringify(to())}, which is not on ${url.origin}`,
      );
      expect(signedFor).toEqual([away.href]);
      expect(existsSync(partial)).toBe(false);
    },
  );

  it("fetches nothing from a private or loopback address when they are not allowed", async () => {
    const partial = join(directory, "private.part");
    seen.length = 0;
    await expect(
      downloadResumably(url, partial, sha256, { allowPrivateAddresses: false }),
    ).rejects.toThrow(
      new DownloadError(
        `127.0.0.1 is on the private or loopback address 127.0.0.1, and this node only talks to public ones. To federate on an intranet, start the node with --allow-private-addresses (COURSEFED_ALLOW_PRIVATE_ADDRESSES=1, or "allowPrivateAddresses": true in its configuration file).`,
      ),
    );
    expect(seen).toEqual([]);
  });

  it("says a peer's answer was refused, not that the peer could not be reached", async () => {
    const peer = createNetServer((socket) =>
      socket.once("data", () =>
        socket.end("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n"),
      ),
    );
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    try {
      await expect(
        downloadResumably(
          new URL(`${origin}/blobs/${sha256}`),
          join(directory, "ambiguous.part"),
          sha256,
        ),
      ).rejects.toThrow(
        `${origin} gave an answer this node does not accept (the answer has both a Transfer-Encoding and a Content-Length, which is ambiguous)`,
      );
    } finally {
      peer.close();
    }
  });

  it("deletes and refuses a file whose digest is not the promised one", async () => {
    const partial = join(directory, "forged.part");
    writeFileSync(partial, Buffer.alloc(1000, 7));
    await expect(downloadResumably(url, partial, sha256)).rejects.toThrow(BlobDigestError);
    expect(existsSync(partial)).toBe(false);
  });
});
