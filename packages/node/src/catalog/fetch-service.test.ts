import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStore } from "../blobs/blob-store.ts";
import { DownloadError } from "../blobs/resumable-download.ts";
import type { NodeSettings } from "../settings/node-settings.ts";
import type { CatalogRepository } from "./catalog-repository.ts";
import { type ArchiveFetchStores, fetchCatalogArchive } from "./fetch-service.ts";

const archive = randomBytes(64 * 1024 + 3);
const sha256 = createHash("sha256").update(archive).digest("hex");
const root = mkdtempSync(join(tmpdir(), "coursefed-fetch-service-"));
let requests = 0;
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { "content-length": archive.length }).end(archive);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** A catalog holding one course, published by a peer on this machine's loopback. */
function storesFor(allowPrivateAddresses: boolean, folder: string): ArchiveFetchStores {
  const revision = {
    revision: 1,
    sha256,
    size: archive.length,
    archiveUrl: `${origin}/blobs/${sha256}`,
  };
  const catalog = {
    catalogEntry: async () => ({ deletedAt: null, revision: 1, actorUri: `${origin}/actors/a` }),
    catalogRevision: async () => revision,
    catalogRevisions: async () => [revision],
  } as unknown as CatalogRepository;
  const settings = {
    federationPolicy: async () => ({ mode: "open", domains: [] }),
  } as unknown as NodeSettings;
  return {
    catalog,
    blobs: new BlobStore(join(root, folder)),
    settings,
    institutionSigner: async () => async (request) => request,
    allowPrivateAddresses,
  };
}

describe("fetchCatalogArchive", () => {
  it("fetches no archive from a publisher on a private or loopback address unless allowed", async () => {
    requests = 0;
    const refusal = await fetchCatalogArchive(
      storesFor(false, "refused"),
      `${origin}/courses/1`,
    ).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DownloadError);
    expect((refusal as Error).message).toContain(
      "127.0.0.1 is on the private or loopback address 127.0.0.1, and this node only talks to public ones",
    );
    expect(requests).toBe(0);

    const fetched = await fetchCatalogArchive(storesFor(true, "allowed"), `${origin}/courses/1`);
    expect([fetched.sha256, fetched.size, requests]).toEqual([sha256, archive.length, 1]);
  });
});
