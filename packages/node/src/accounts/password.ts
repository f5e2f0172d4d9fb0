import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB and about 50 ms a hash here), the
 * parameters OWASP recommends as a floor. They are written into each hash, so raising
 * them later leaves older hashes verifiable.
 */
const COST_LOG2 = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  const N = options.N ?? 2 ** COST_LOG2;
  const r = options.r ?? BLOCK_SIZE;
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is just short of N = 2^15.
  const maxmem = 256 * N * r;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$15$8$1$<salt>$<key>`, salt and key in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, {
    N: 2 ** COST_LOG2,
    r: BLOCK_SIZE,
    p: PARALLELISM,
  });
  return [
    "scrypt",
    COST_LOG2,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString("base64url"),
    key.toString("base64url"),
  ].join("$");
}

/**
 * The password hash of an account that signs in through the OpenID provider only: no
 * password can match it, since it is not a hash (verifyPassword refuses it at once).
 */
export const NO_PASSWORD = "oidc";

/** Whether `password` is the one `stored` was made from; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [costLog2, blockSize, parallelism] = parts.slice(1, 4).map(Number) as [
    number,
    number,
    number,
  ];
  if (![costLog2, blockSize, parallelism].every((n) => Number.isInteger(n) && n > 0 && n < 64))
    return false;
  const salt = Buffer.from(parts[4] as string, "base64url");
  const expected = Buffer.from(parts[5] as string, "base64url");
  const key = await derive(password, salt, { N: 2 ** costLog2, r: blockSize, p: parallelism });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password for a new or reset account, shown once: 128 random bits, easy to copy. */
export function randomPassword(): string {
  return randomBytes(16).toString("base64url");
}
