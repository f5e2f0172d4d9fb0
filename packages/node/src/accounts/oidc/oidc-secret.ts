import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { NodeDatabase } from "../../db/database.ts";

const SECRET_KEY = "oidc-cookie-secret";
const SECRET_BYTES = 32;

/**
 * The key that seals the single sign-on cookie: 32 random bytes made once and kept in
 * node_settings, so that every process of the node, and the node after a restart, opens
 * what another sealed (a sign-in may leave from one process and come back to another).
 * Processes starting together each offer theirs; the first written is the one all read.
 */
export async function oidcCookieSecret(db: NodeDatabase): Promise<Uint8Array> {
  const { nodeSettings } = db.tables;
  await db
    .insert(nodeSettings)
    .values({
      key: SECRET_KEY,
      value: randomBytes(SECRET_BYTES).toString("base64url"),
      updatedAt: Date.now(),
      updatedBy: "coursefed",
    })
    .onConflictDoNothing({ target: nodeSettings.key });
  const [row] = await db
    .select({ value: nodeSettings.value })
    .from(nodeSettings)
    .where(eq(nodeSettings.key, SECRET_KEY));
  const secret = typeof row?.value === "string" ? Buffer.from(row.value, "base64url") : undefined;
  if (!secret || secret.byteLength !== SECRET_BYTES) {
    throw new Error(
      `node_settings "${SECRET_KEY}" is not ${SECRET_BYTES} bytes in base64url: delete that row and start the node again (sign-ins under way will have to start again).`,
    );
  }
  return new Uint8Array(secret);
}
