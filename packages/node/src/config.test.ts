import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDirectory } from "../../../test/support/scratch-directory.ts";
import { readConfigFile, resolveConfig } from "./config.ts";
import { ConfigError } from "./config-error.ts";

const scratch = scratchDirectory("coursefed-config-");
let configFiles = 0;

/** Each call writes a file of its own, so that no test reads what another one wrote. */
function configFile(content: string): string {
  configFiles += 1;
  const path = scratch.path(`coursefed-${configFiles}.json`);
  writeFileSync(path, content);
  return path;
}

describe("resolveConfig", () => {
  it("derives a working local setup from nothing", () => {
    const config = resolveConfig({}, {});
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8321 });
    expect(config.publicUrl.href).toBe("http://127.0.0.1:8321/");
    expect(config.institution).toEqual({ handle: "institution", name: "127.0.0.1" });
    expect(config.dataDir).toMatch(/\.coursefed$/);
  });

  it("keeps SQLite in the data directory unless DATABASE_URL names a PostgreSQL database", () => {
    expect(resolveConfig({ dataDir: "/srv/node" }, {}).database).toBe("/srv/node/node.sqlite");
    const url = "postgres://coursefed:secret@db.example:5432/coursefed";
    const config = resolveConfig({}, { DATABASE_URL: url, COURSEFED_WORKERS: "3" });
    expect(config.database).toBe(url);
    expect(config.workers).toBe(3);
  });

  it("refuses databases and process counts that cannot work, saying what to write", () => {
    expect(() => resolveConfig({ databaseUrl: "mysql://db.example/x" }, {})).toThrow(
      /mysql: databases are not supported; write a postgres:\/\/ URL/,
    );
    expect(() => resolveConfig({ databaseUrl: "postgres://db.example" }, {})).toThrow(
      /name the database/,
    );
    expect(() => resolveConfig({ workers: "3" }, {})).toThrow(
      /3 processes need a database they can share/,
    );
    expect(() =>
      resolveConfig({ workers: "0", databaseUrl: "postgres://db.example/coursefed" }, {}),
    ).toThrow(/whole number from 1 to 64/);
  });

  it("takes inbox bodies up to 1 MiB unless told otherwise, from the flag, variable or file", () => {
    expect(resolveConfig({}, {}).maxInboxBodyBytes).toBe(1024 * 1024);
    expect(resolveConfig({}, { COURSEFED_MAX_INBOX_BODY: "4MiB" }).maxInboxBodyBytes).toBe(
      4 * 1024 * 1024,
    );
    expect(resolveConfig({ maxInboxBody: "64KiB" }, {}).maxInboxBodyBytes).toBe(64 * 1024);
    const path = configFile(JSON.stringify({ maxInboxBody: "2MiB" }));
    expect(resolveConfig({}, {}, readConfigFile(path)).maxInboxBodyBytes).toBe(2 * 1024 * 1024);
  });

  it("catches up every 6 hours unless told another period or off, within 10 minutes to 7 days", () => {
    expect(resolveConfig({}, {}).catchUpIntervalMs).toBe(6 * 3600_000);
    expect(resolveConfig({ catchUp: "90m" }, {}).catchUpIntervalMs).toBe(90 * 60_000);
    expect(resolveConfig({}, { COURSEFED_CATCH_UP: "1d" }).catchUpIntervalMs).toBe(86_400_000);
    expect(resolveConfig({ catchUp: "off" }, {}).catchUpIntervalMs).toBeUndefined();
    expect(() => resolveConfig({ catchUp: "6 hours" }, {})).toThrow(
      /--catch-up \(COURSEFED_CATCH_UP\): "6 hours" is not a period; write minutes, hours or days/,
    );
    expect(() => resolveConfig({ catchUp: "5m" }, {})).toThrow(/5m is outside 10m to 7d/);
    expect(() => resolveConfig({ catchUp: "8d" }, {})).toThrow(/8d is outside 10m to 7d/);
  });

  it("believes X-Forwarded-For only from the proxies listed", () => {
    expect(resolveConfig({}, { COURSEFED_TRUST_PROXY: "127.0.0.1, ::1" }).trustedProxies).toEqual([
      "127.0.0.1",
      "::1",
    ]);
    expect(resolveConfig({}, {}).trustedProxies).toEqual([]);
    expect(() => resolveConfig({ trustProxy: "nginx.local" }, {})).toThrow(
      /"nginx.local" is not an IP address/,
    );
  });

  it("turns single sign-on on from the COURSEFED_OIDC_ variables only", () => {
    expect(resolveConfig({}, {}).oidc).toBeUndefined();
    const config = resolveConfig(
      {},
      {
        COURSEFED_OIDC_ISSUER: "https://login.univ.example/realms/staff",
        COURSEFED_OIDC_CLIENT_ID: "coursefed",
        COURSEFED_OIDC_TEACHER_VALUES: "staff",
      },
    );
    expect(config.oidc).toMatchObject({
      issuer: "https://login.univ.example/realms/staff",
      clientId: "coursefed",
      clientSecret: undefined,
      roles: { claim: "groups", teacher: ["staff"], otherwise: "viewer" },
      label: "login.univ.example",
    });
    // A configuration file cannot hold them: the client secret belongs to the environment.
    const file = configFile(JSON.stringify({ oidcClientSecret: "s3cret" }));
    expect(() => readConfigFile(file)).toThrow('unknown setting "oidcClientSecret"');
    expect(() => resolveConfig({}, { COURSEFED_OIDC_CLIENT_ID: "coursefed" })).toThrow(
      "COURSEFED_OIDC_ISSUER: missing while COURSEFED_OIDC_CLIENT_ID is set",
    );
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
    [{ maxInboxBody: "1KiB" }, "--max-inbox-body", "at least 16KiB"],
    [{ maxInboxBody: "big" }, "--max-inbox-body", "not a usable size"],
    [{ firstKnock: "cavage" }, "--first-knock", "not a signature scheme"],
  ])("refuses %o, naming the setting", (flags, setting, message) => {
    expect(() => resolveConfig(flags, {})).toThrow(ConfigError);
    expect(() => resolveConfig(flags, {})).toThrow(message);
    try {
      resolveConfig(flags, {});
    } catch (error) {
      expect((error as ConfigError).setting).toContain(setting);
    }
  });

  it("reads a JSON file, under the environment and the flags", () => {
    const path = configFile(
      JSON.stringify({
        dataDir: "data",
        url: "https://courses.univ.example/",
        handle: "univ",
        autoAccept: ["ac-lyon.example", "ac-paris.example"],
        allowPrivateAddresses: true,
        firstKnock: "draft-cavage",
      }),
    );
    const file = readConfigFile(path);
    const config = resolveConfig({ handle: "faculty" }, { COURSEFED_LISTEN: "0.0.0.0:9000" }, file);
    expect(config.dataDir).toBe(join(path, "..", "data"));
    expect(config.publicUrl.href).toBe("https://courses.univ.example/");
    expect(config.institution.handle).toBe("faculty");
    expect(config.listen.port).toBe(9000);
    expect(config.autoAcceptDomains).toEqual(["ac-lyon.example", "ac-paris.example"]);
    expect(config.allowPrivateAddresses).toBe(true);
    expect(config.firstKnock).toBe("draft-cavage");
    expect(
      resolveConfig({}, { COURSEFED_ALLOW_PRIVATE_ADDRESSES: "0" }, file).allowPrivateAddresses,
    ).toBe(false);
  });

  it.each([
    ["{ not json", "cannot read"],
    ["[1, 2]", "must hold a JSON object"],
    [JSON.stringify({ port: 8080 }), 'unknown setting "port"'],
    [JSON.stringify({ maxUpload: 1024 }), '"maxUpload" must be a string'],
    [JSON.stringify({ allowPrivateAddresses: "yes" }), '"allowPrivateAddresses" must be a boolean'],
  ])("refuses the file %s, naming it", (content, message) => {
    const path = configFile(content);
    expect(() => readConfigFile(path)).toThrow(message);
    expect(() => readConfigFile(path)).toThrow(path);
  });

  it("says when the file is missing", () => {
    expect(() => readConfigFile("/nonexistent/coursefed.json")).toThrow("no such file");
  });
});
