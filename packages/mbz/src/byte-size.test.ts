import { describe, expect, it } from "vitest";
import { formatBytes } from "./byte-size.ts";

describe("formatBytes", () => {
  it("writes a limit set as 8GiB as 8 GiB, the unit it was set in", () => {
    expect(formatBytes(8 * 1024 ** 3)).toBe("8 GiB");
  });

  it("keeps one decimal below ten of a unit and none above", () => {
    expect(formatBytes(1.5 * 1024 ** 2)).toBe("1.5 MiB");
    expect(formatBytes(300 * 1024 ** 2)).toBe("300 MiB");
    expect(formatBytes(713)).toBe("713 B");
  });

  it("writes French octets with a decimal comma", () => {
    expect(formatBytes(1.5 * 1024 ** 2, "fr")).toBe("1,5 Mio");
    expect(formatBytes(8 * 1024 ** 3, "fr")).toBe("8 Gio");
    expect(formatBytes(12, "fr")).toBe("12 o");
  });
});
