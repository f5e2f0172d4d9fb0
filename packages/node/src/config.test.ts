import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "./config.ts";

describe("resolveConfig", () => {
  it("derives a working local setup from nothing", () => {
    const config = resolveConfig({}, {});
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8321 });
    expect(config.publicUrl.href).toBe("http://127.0.0.1:8321/");
    expect(config.institution).toEqual({ handle: "institution", name: "127.0.0.1" });
    expect(config.dataDir).toMatch(/\.coursefed$/);
  });

  it("takes the environment when no flag is given, and flags over it", () => {
    const environment = {
      COURSEFED_URL: "https://courses.univ.example/",
      COURSEFED_LISTEN: "0.0.0.0:9000",
      COURSEFED_INSTITUTION_HANDLE: "univ",
    };
    const config = resolveConfig({ handle: "faculty" }, environment);
    expect(config.publicUrl.host).toBe("courses.univ.example");
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(config.institution).toEqual({ handle: "faculty", name: "courses.univ.example" });
    expect(resolveConfig({ listen: "[::1]:8080" }, {}).publicUrl.href).toBe("http://[::1]:8080/");
    expect(
      resolveConfig(
        {},
        { COURSEFED_FEDERATION: "allowlist", COURSEFED_FEDERATION_DOMAINS: "A.example, b.example" },
      ).federation,
    ).toEqual({ mode: "allowlist", domains: ["a.example", "b.example"] });
  });

  it.each([
    [{ listen: "8080" }, "--listen", "not HOST:PORT"],
    [{ listen: "localhost:99999" }, "--listen", "not HOST:PORT"],
    [{ url: "courses.univ.example" }, "--url", "not a URL"],
    [{ url: "ftp://courses.univ.example/" }, "--url", "http(s)"],
    [{ url: "https://univ.example/courses/" }, "--url", "without a path"],
    [{ handle: "two words" }, "--handle", "not a usable handle"],
    [{ federation: "closed" }, "--federation", "not a federation mode"],
    [{ federation: "allowlist" }, "--domains", "needs at least one host"],
    [{ federation: "blocklist", domains: "bad host" }, "--domains", "not a host name"],
    [{ maxUpload: "lots" }, "--max-upload", "not a usable size"],
  ])("refuses %o, naming the setting", (flags, setting, message) => {
    expect(() => resolveConfig(flags, {})).toThrow(ConfigError);
    expect(() => resolveConfig(flags, {})).toThrow(message);
    try {
      resolveConfig(flags, {});
    } catch (error) {
      expect((error as ConfigError).setting).toContain(setting);
    }
  });
});
