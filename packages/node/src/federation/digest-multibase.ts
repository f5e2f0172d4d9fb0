/**
 * FEP-1311's `digestMultibase` of an archive: its sha-256 as a multihash (code 0x12,
 * length 0x20, then the 32 bytes) in base58btc multibase ("z" then base58). Peers that
 * read it can check an archive before they fetch anything else about it.
 */

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const SHA2_256 = 0x12;
const SHA2_256_LENGTH = 0x20;

/** The digestMultibase of the archive whose sha256 is `sha256Hex` (64 lowercase hex digits). */
export function sha256DigestMultibase(sha256Hex: string): string {
  const digest = Buffer.from(sha256Hex, "hex");
  return `z${encodeBase58(Buffer.concat([Buffer.from([SHA2_256, SHA2_256_LENGTH]), digest]))}`;
}

/**
 * The sha256 (hex) a digestMultibase names, or undefined when it is not a base58btc
 * sha-256 multihash (another hash, another base, or not one at all).
 */
export function sha256FromDigestMultibase(value: string): string | undefined {
  if (!value.startsWith("z")) return undefined;
  const bytes = decodeBase58(value.slice(1));
  if (!bytes || bytes.length !== 2 + SHA2_256_LENGTH) return undefined;
  if (bytes[0] !== SHA2_256 || bytes[1] !== SHA2_256_LENGTH) return undefined;
  return Buffer.from(bytes.subarray(2)).toString("hex");
}

function encodeBase58(bytes: Uint8Array): string {
  let number = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let encoded = "";
  while (number > 0n) {
    encoded = BASE58_ALPHABET[Number(number % 58n)] + encoded;
    number /= 58n;
  }
  // Each leading zero byte is a leading "1".
  for (const byte of bytes) {
    if (byte !== 0) break;
    encoded = `1${encoded}`;
  }
  return encoded;
}

function decodeBase58(text: string): Uint8Array | undefined {
  // A multihash of sha-256 is 46 characters; anything much longer is not one.
  if (text.length === 0 || text.length > 64) return undefined;
  let number = 0n;
  for (const character of text) {
    const digit = BASE58_ALPHABET.indexOf(character);
    if (digit < 0) return undefined;
    number = number * 58n + BigInt(digit);
  }
  let hex = number === 0n ? "" : number.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const leadingZeros = text.length - text.replace(/^1+/, "").length;
  return new Uint8Array(Buffer.concat([Buffer.alloc(leadingZeros), Buffer.from(hex, "hex")]));
}
