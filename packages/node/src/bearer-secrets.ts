import { createHash, randomBytes } from "node:crypto";

/**
 * Secrets that grant whoever holds them something (API tokens, session ids, archive
 * links): 256 random bits, written in base64url so they travel in headers and paths.
 */
export function newBearerSecret(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * What the database keeps of a bearer secret, so that reading it gives no access. A plain
 * sha256 is enough: 256 random bits cannot be guessed, so a slow KDF would add nothing.
 */
export function hashBearerSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
