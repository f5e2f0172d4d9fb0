import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MoodleError } from "../errors.ts";
import { MoodleWebServiceClient } from "./ws-driver-client.ts";

let server: Server;
let site: string;
let scratch: string;

beforeAll(async () => {
  // A site whose pluginfile.php never stops sending: a broken proxy, a hostile site.
  server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 1);
    const more = () => {
      while (response.write(chunk)) {
        if (response.destroyed) return;
      }
      response.once("drain", more);
    };
    response.on("close", () => response.off("drain", more));
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scratch = await mkdtemp(join(tmpdir(), "coursefed-ws-download-"));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(scratch, { recursive: true, force: true });
});

describe("MoodleWebServiceClient.call", () => {
  it("says a site that cannot be reached is unreachable, and what to check", async () => {
    // A port just freed: nothing listens there, the connection is refused at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new MoodleWebServiceClient({ url: nowhere, token: "t", timeoutMs: 5_000 });
    const error = await client
      .call("local_coursefed_site_info", {}, "MISCONFIGURED", undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MoodleError);
    expect((error as MoodleError).code).toBe("UNREACHABLE");
    expect((error as MoodleError).transient).toBe(true);
    expect((error as MoodleError).message).toBe(
      `${nowhere} could not be reached for local_coursefed_site_info: fetch failed (ECONNREFUSED). Check that the site is up, that this host reaches it, and that the target's address is the site's own (its wwwroot).`,
    );
  });
});

describe("MoodleWebServiceClient.download", () => {
  it("stops a site that sends more than it announced, and keeps nothing", async () => {
    const client = new MoodleWebServiceClient({ url: site, token: "t", timeoutMs: 20_000 });
    const destination = join(scratch, "backup.mbz");
    const started = Date.now();
    const error = await client
      .download(
        `${site}/webservice/pluginfile.php/5/backup/course/backup.mbz`,
        destination,
        { size: 1024 * 1024, sha1: "0".repeat(40) },
        undefined,
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MoodleError);
    expect((error as MoodleError).code).toBe("BACKUP_FAILED");
    expect((error as MoodleError).message).toContain(
      "sent more than the 1048576 bytes it announced",
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(`${destination}.part`)).toBe(false);
  });
});
