import { generateKeyPairSync, type webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type CourseManifest,
  ManifestError,
  signManifest,
  verifyManifest,
} from "./course-manifest.ts";

const KEY_ID = "https://univ.example/actors/institution#ed25519";
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const signingKey = privateKey.toCryptoKey("Ed25519", false, ["sign"]) as webcrypto.CryptoKey;
const verifyingKey = publicKey.toCryptoKey("Ed25519", true, ["verify"]) as webcrypto.CryptoKey;
const keyOf = async (keyId: string) => (keyId === KEY_ID ? verifyingKey : undefined);

const manifest: CourseManifest = {
  object: "https://univ.example/courses/abc",
  revision: 1,
  archive: { sha256: "a".repeat(64), size: 1234, format: "tar.gz" },
  moodle: { version: "2024100706.00", release: "4.5.6 (Build: 20250811)", backupRelease: "4.5" },
  course: { fullname: "Algèbre", shortname: "ALG", format: "topics" },
  type: "course",
  sections: 3,
  activities: { quiz: 2 },
  questionTypes: { multichoice: 5 },
  languages: ["fr"],
  requiredPlugins: [],
  license: "cc-by-4.0",
  personalData: "clean",
  derivedFrom: null,
  publishedAt: "2026-11-23T10:00:00.000Z",
};

describe("manifest signature", () => {
  it("verifies with the publisher's key and gives the manifest back", async () => {
    const jws = await signManifest(manifest, signingKey, KEY_ID);
    expect(await verifyManifest(jws, keyOf)).toEqual(manifest);
  });

  it("refuses a key that is not the publisher's, a tampered payload and a non-JWS", async () => {
    const jws = await signManifest(manifest, signingKey, "https://evil.example/key");
    await expect(verifyManifest(jws, keyOf)).rejects.toThrow("not a key of the publishing actor");
    const [header, , signature] = (await signManifest(manifest, signingKey, KEY_ID)).split(".");
    const forged = Buffer.from(JSON.stringify({ ...manifest, revision: 9 })).toString("base64url");
    await expect(verifyManifest(`${header}.${forged}.${signature}`, keyOf)).rejects.toThrow(
      "does not verify",
    );
    await expect(verifyManifest("hello", keyOf)).rejects.toThrow(ManifestError);
  });

  it("refuses a well-signed manifest that is malformed, naming the field", async () => {
    const broken = { ...manifest, archive: { ...manifest.archive, sha256: "../../etc" } };
    const jws = await signManifest(broken, signingKey, KEY_ID);
    await expect(verifyManifest(jws, keyOf)).rejects.toThrow("malformed at archive.sha256");
  });
});
