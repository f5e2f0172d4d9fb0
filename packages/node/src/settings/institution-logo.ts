import { createHash } from "node:crypto";
import { formatBytes } from "@coursefed/mbz";
import { CodedError } from "../coded-error.ts";

/**
 * The institution's logo is shown by every server that displays its actor, and our own
 * pages: 512 KiB is plenty for a square image of a few hundred pixels, and keeps the
 * setting (stored in node_settings, read by every process) small.
 */
export const MAX_LOGO_BYTES = 512 * 1024;

/** The image types a logo may be: those every Fediverse server displays, none that runs script. */
export const LOGO_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type LogoMediaType = (typeof LOGO_MEDIA_TYPES)[number];

export interface InstitutionLogo {
  readonly mediaType: LogoMediaType;
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/**
 * Where the logo is served (http/logo-routes.ts): named by its digest, so that a URL
 * always means the same image and may be cached for good; a new logo is a new URL, which
 * the actor names.
 */
export function institutionLogoUrl(
  origin: string | URL,
  logo: Pick<InstitutionLogo, "sha256">,
): URL {
  return new URL(`/logo/${logo.sha256}`, origin);
}

export class LogoError extends CodedError<"NOT_AN_IMAGE" | "SVG_REFUSED" | "TOO_LARGE" | "EMPTY"> {
  override readonly name = "LogoError";
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return prefix.every((byte, index) => bytes[at + index] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/**
 * What the bytes are, by their own signature, never by a name or a declared type: a PNG
 * (signature and IHDR chunk), a JPEG (SOI and a marker), a WebP (RIFF....WEBP and a VP8
 * chunk); undefined for anything else.
 */
export function sniffLogo(bytes: Uint8Array): LogoMediaType | undefined {
  if (bytes.length >= 24 && startsWith(bytes, PNG_SIGNATURE) && ascii(bytes, 12, 16) === "IHDR") {
    return "image/png";
  }
  if (bytes.length >= 4 && startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (
    bytes.length >= 16 &&
    ascii(bytes, 0, 4) === "RIFF" &&
    ascii(bytes, 8, 12) === "WEBP" &&
    ascii(bytes, 12, 15) === "VP8"
  ) {
    return "image/webp";
  }
  return undefined;
}

/** Whether the bytes look like SVG (or other XML): named in the refusal, since people try it first. */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder("utf-8", { fatal: false })
    .decode(bytes.subarray(0, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart()
    .toLowerCase();
  return head.startsWith("<?xml") || head.startsWith("<svg") || head.includes("<svg");
}

/**
 * The logo an admin gives, checked: not empty, at most MAX_LOGO_BYTES, and a PNG, JPEG
 * or WebP by its content. SVG is refused: it may carry script, which would run on our
 * origin when the logo is opened on its own.
 */
export function checkLogo(bytes: Uint8Array): InstitutionLogo {
  if (bytes.length === 0) {
    throw new LogoError("EMPTY", "The logo file is empty; give a PNG, JPEG or WebP image.");
  }
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new LogoError(
      "TOO_LARGE",
      `The logo is ${formatBytes(bytes.length)}, more than the ${formatBytes(MAX_LOGO_BYTES)} a logo may be; save it smaller (a square of 400 pixels is plenty).`,
    );
  }
  const mediaType = sniffLogo(bytes);
  if (mediaType) {
    return { mediaType, sha256: createHash("sha256").update(bytes).digest("hex"), bytes };
  }
  if (looksLikeSvg(bytes)) {
    throw new LogoError(
      "SVG_REFUSED",
      "SVG logos are refused: an SVG may carry script. Export the logo as PNG (or JPEG or WebP) and upload that.",
    );
  }
  throw new LogoError(
    "NOT_AN_IMAGE",
    "The logo is not a PNG, JPEG or WebP image (its content was checked, not its name); export it in one of these formats.",
  );
}
