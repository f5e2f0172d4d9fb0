import { describe, expect, it } from "vitest";
import { checkLogo, LogoError, MAX_LOGO_BYTES, sniffLogo } from "./institution-logo.ts";

const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(
    parts.flatMap((part) => (typeof part === "string" ? [...Buffer.from(part, "latin1")] : part)),
  );

const PNG = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13],
  "IHDR",
  [0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
);
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], "JFIF");
const WEBP = bytes("RIFF", [36, 0, 0, 0], "WEBPVP8L", [1, 0, 0, 0]);

function refusal(content: Uint8Array): string | undefined {
  try {
    checkLogo(content);
    return undefined;
  } catch (error) {
    return error instanceof LogoError ? error.code : "other";
  }
}

describe("an institution's logo, checked by its content", () => {
  it("knows PNG, JPEG and WebP by their signatures", () => {
    expect(sniffLogo(PNG)).toBe("image/png");
    expect(sniffLogo(JPEG)).toBe("image/jpeg");
    expect(sniffLogo(WEBP)).toBe("image/webp");
    expect(checkLogo(PNG)).toMatchObject({ mediaType: "image/png", sha256: expect.any(String) });
  });

  it("refuses SVG (with a byte order mark or a doctype too), GIF, HTML, a truncated PNG and nothing", () => {
    expect(refusal(bytes("\uFEFF<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBe("SVG_REFUSED");
    expect(refusal(bytes('<?xml version="1.0"?>\n<!DOCTYPE svg><svg/>'))).toBe("SVG_REFUSED");
    expect(refusal(bytes("<!doctype html><svg onload=alert(1)>"))).toBe("SVG_REFUSED");
    expect(refusal(bytes("GIF89a", [1, 0, 1, 0]))).toBe("NOT_AN_IMAGE");
    expect(refusal(bytes("<html><body>logo</body></html>"))).toBe("NOT_AN_IMAGE");
    expect(refusal(PNG.subarray(0, 10))).toBe("NOT_AN_IMAGE");
    expect(refusal(new Uint8Array())).toBe("EMPTY");
  });

  it("refuses more than MAX_LOGO_BYTES, and takes exactly that much", () => {
    const padded = (size: number) => {
      const content = new Uint8Array(size);
      content.set(PNG);
      return content;
    };
    expect(refusal(padded(MAX_LOGO_BYTES))).toBeUndefined();
    expect(refusal(padded(MAX_LOGO_BYTES + 1))).toBe("TOO_LARGE");
  });
});
