import { type KeyObject, sign } from "node:crypto";
import { availableParallelism } from "node:os";
import type { HttpMessageSignaturesSpec } from "@fedify/fedify";

/** What a POST is signed from; `headers` have lower-case names and hold no digest or date. */
export interface PostToSign {
  readonly url: URL;
  readonly headers: ReadonlyMap<string, string>;
  /** The body's SHA-256, base64: the same for every inbox an activity goes to. */
  readonly bodySha256: string;
  readonly date: Date;
}

/** An RSA private key and the id its public key is published under. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly keyId: URL;
}

/**
 * The covered components of Fedify's RFC 9421 signatures (its default ones, and the
 * digest since a POST has a body), as its verifier and other servers expect them.
 */
const RFC9421_COMPONENTS = '"@method" "@target-uri" "@authority" "host" "date" "content-digest"';

/**
 * RSA signatures made at once on libuv's thread pool: one per core, so that a fan-out uses
 * the cores it may while the pool keeps threads for file and DNS work.
 */
const SIGNING_THREADS = Math.max(1, availableParallelism());
let signing = 0;
const waitingToSign: (() => void)[] = [];

/**
 * RSASSA-PKCS1-v1_5 with SHA-256, base64. Off the event loop: an RSA signature takes
 * 0.3 ms (2048 bits, new actors' keys) to 1.6 ms (4096 bits, actors made before), about as
 * long as a whole plain POST, and the loop meanwhile sends and reads the other deliveries.
 */
async function rsaSha256(data: string, key: KeyObject): Promise<string> {
  if (signing < SIGNING_THREADS) signing++;
  else await new Promise<void>((resolve) => waitingToSign.push(resolve));
  try {
    return await new Promise<string>((resolve, reject) =>
      sign("sha256", Buffer.from(data), key, (error, signature) =>
        error ? reject(error) : resolve(signature.toString("base64")),
      ),
    );
  } finally {
    // The slot passes straight to the next in line, so none is taken twice.
    const next = waitingToSign.shift();
    if (next) next();
    else signing--;
  }
}

/**
 * The headers to send with a POST signed as Fedify 2.3's signRequest signs it, for either
 * scheme: the same headers, covered components and parameter order, so a receiver cannot
 * tell the two apart. It exists because signRequest takes a fetch Request and returns a
 * copy, and copying Requests costs more than the RSA signature; here the signature base is
 * built from strings and signed with a key imported once.
 */
export async function signedPostHeaders(
  post: PostToSign,
  signer: SigningKey,
  spec: HttpMessageSignaturesSpec,
): Promise<Map<string, string>> {
  const headers = new Map(post.headers);
  const date = post.date.toUTCString();
  if (!headers.has("host")) headers.set("host", post.url.host);
  headers.set("date", date);
  if (spec === "rfc9421") {
    const contentDigest = `sha-256=:${post.bodySha256}:`;
    headers.set("content-digest", contentDigest);
    const created = Math.floor(post.date.getTime() / 1000);
    const parameters = `alg="rsa-v1_5-sha256";keyid="${signer.keyId.href}";created=${created}`;
    const base = [
      `"@method": POST`,
      `"@target-uri": ${post.url.href}`,
      `"@authority": ${post.url.host}`,
      `"host": ${headers.get("host")}`,
      `"date": ${date}`,
      `"content-digest": ${contentDigest}`,
      `"@signature-params": (${RFC9421_COMPONENTS});${parameters}`,
    ].join("\n");
    const signature = await rsaSha256(base, signer.key);
    headers.set("signature-input", `sig1=(${RFC9421_COMPONENTS});${parameters}`);
    headers.set("signature", `sig1=:${signature}:`);
    return headers;
  }
  headers.set("digest", `SHA-256=${post.bodySha256}`);
  // draft-cavage covers every header sent, in the order a fetch Headers lists them.
  const names = [...headers.keys()].sort();
  const lines = [`(request-target): post ${post.url.pathname}`];
  for (const name of names) lines.push(`${name}: ${headers.get(name)?.trim()}`);
  const signature = await rsaSha256(lines.join("\n"), signer.key);
  headers.set(
    "signature",
    `keyId="${signer.keyId.href}",algorithm="rsa-sha256",headers="(request-target) ${names.join(" ")}",signature="${signature}"`,
  );
  return headers;
}
