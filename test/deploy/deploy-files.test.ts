/**
 * The production deployment kit in deploy/. No container engine runs on CI, so the
 * Dockerfile and compose.yaml are read, not built or started: these tests check what a
 * build or `docker compose up` would trip over (a stage or file that is not there, a
 * database URL that does not match the database, a mount of a missing file) and what the
 * files promise (non-root, health checks, streaming, /metrics kept private), and that
 * every command and setting they name is one the node has.
 */
import { execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import {
  DockerfileParser,
  Env,
  From,
  type Instruction,
  JSONInstruction,
  ModifiableInstruction,
} from "dockerfile-ast";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseByteSize } from "../../packages/node/src/byte-size.ts";
import {
  codeBlocks,
  coursefedInvocations,
  dockerIgnores,
  findNginx,
  helpCommands,
  helpOptions,
  interpolate,
  type NginxDirective,
  nginxSeconds,
  nginxSize,
  parseEnvironmentFile,
  parseNginx,
  parseUnit,
  type Unit,
  unitValues,
} from "./deploy-parsers.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const DEPLOY = join(ROOT, "deploy");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
/** Where the systemd units expect the repository. */
const INSTALL_DIR = "/opt/coursefed/";

// ---------------------------------------------------------------------------------------
// The coursefed command, asked for its help.

const helps = new Map<string, Promise<string>>();
function cliHelp(path: readonly string[]): Promise<string> {
  const key = path.join(" ");
  let help = helps.get(key);
  if (!help) {
    help = run(
      process.execPath,
      [join(ROOT, "packages/node/bin/coursefed.js"), ...path, "--help"],
      {
        cwd: ROOT,
      },
    ).then(({ stdout }) => stdout);
    helps.set(key, help);
  }
  return help;
}

/**
 * What the CLI does not know among `args` (a command line without "coursefed"): an
 * unknown subcommand, or a long option missing from the help of the command it is given to.
 */
async function unknownToCli(args: readonly string[]): Promise<string[]> {
  const path: string[] = [];
  let help = await cliHelp(path);
  for (const word of args) {
    if (word.startsWith("-")) break;
    const commands = helpCommands(help);
    if (commands.length === 0) break;
    if (!commands.includes(word))
      return [`coursefed ${[...path, word].join(" ")}: no such command`];
    path.push(word);
    help = await cliHelp(path);
    if (!help.startsWith(`Usage: coursefed ${path.join(" ")} `)) {
      return [`coursefed ${path.join(" ")} --help shows another command's help`];
    }
  }
  const options = helpOptions(help);
  return args
    .filter((word) => word.startsWith("--"))
    .map((word) => word.split("=")[0] as string)
    .filter((option) => !options.includes(option))
    .map((option) => `coursefed ${path.join(" ")} ${option}: no such option`);
}

/** The environment variables the node's sources name (string literals, tests aside). */
const NODE_VARIABLES = (() => {
  const names = new Set<string>();
  const sources = join(ROOT, "packages/node/src");
  for (const file of readdirSync(sources, { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts")) continue;
    const text = readFileSync(join(sources, file), "utf8");
    for (const match of text.matchAll(/["'`]((?:COURSEFED_|DATABASE_)[A-Z0-9_]+)["'`]/g)) {
      names.add(match[1] as string);
    }
  }
  return names;
})();

// ---------------------------------------------------------------------------------------
// The files.

const SITE = parseNginx(read("deploy/nginx/coursefed.conf"));
const HOST_UPSTREAM = parseNginx(read("deploy/nginx/upstream.conf"));
const COMPOSE_UPSTREAM = parseNginx(read("deploy/nginx/upstream.compose.conf"));
const ENV_EXAMPLE = parseEnvironmentFile(read("deploy/systemd/coursefed.env.example"));
const COMPOSE_ENV_EXAMPLE = parseEnvironmentFile(read("deploy/.env.example"));
const SERVICE = parseUnit(read("deploy/systemd/coursefed.service"));
const TEMPLATE = parseUnit(read("deploy/systemd/coursefed@.service"));
const README = read("deploy/README.md");
const DOCKERIGNORE = read(".dockerignore");

/** What the tests put in deploy/.env: required values, and a password to find again. */
const COMPOSE_TEST_ENVIRONMENT = {
  COURSEFED_URL: "https://courses.test.example/",
  COURSEFED_INSTITUTION_NAME: "Test University",
  POSTGRES_PASSWORD: "0123456789abcdef",
};

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}
const COMPOSE_TEXT = read("deploy/compose.yaml");
function compose(environment: Record<string, string> = COMPOSE_TEST_ENVIRONMENT): Compose {
  return interpolate(parseYaml(COMPOSE_TEXT), environment) as Compose;
}
function service(name: string): ComposeService {
  const found = compose().services[name];
  if (!found) throw new Error(`compose.yaml has no service ${name}`);
  return found;
}

/** The Dockerfile's stages, in order, with their base image's ARGs resolved. */
interface Stage {
  readonly name: string | null;
  readonly image: string;
  readonly instructions: Instruction[];
}
const DOCKERFILE = DockerfileParser.parse(read("deploy/Dockerfile"));
const STAGES: Stage[] = (() => {
  const args = new Map(
    DOCKERFILE.getInitialARGs().map((arg) => [
      arg.getProperty()?.getName() ?? "",
      arg.getProperty()?.getValue() ?? "",
    ]),
  );
  const stages: { name: string | null; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of DOCKERFILE.getInstructions()) {
    if (instruction instanceof From) {
      const image = (instruction.getImage() ?? "").replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, braced, bare) => args.get(braced ?? bare) ?? "",
      );
      stages.push({ name: instruction.getBuildStage(), image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
})();
const FINAL = STAGES.at(-1) as Stage;
const keyword = (stage: Stage, name: string) =>
  stage.instructions.filter((instruction) => instruction.getKeyword() === name);
const flag = (instruction: Instruction, name: string) =>
  instruction instanceof ModifiableInstruction
    ? instruction
        .getFlags()
        .find((candidate) => candidate.getName() === name)
        ?.getValue()
    : undefined;
const jsonArguments = (instruction: Instruction) =>
  instruction instanceof JSONInstruction
    ? instruction.getJSONStrings().map((value) => value.getJSONValue())
    : [];
const finalEnvironment = new Map(
  keyword(FINAL, "ENV").flatMap((instruction) =>
    instruction instanceof Env
      ? instruction
          .getProperties()
          .map((property) => [property.getName(), property.getValue() ?? ""])
      : [],
  ),
);

function listenPort(listen: string): number {
  const port = /:(\d+)$/.exec(listen)?.[1];
  if (!port) throw new Error(`not HOST:PORT: ${listen}`);
  return Number(port);
}

/** Every file under a folder of the repository, as repository paths, local state aside. */
function filesUnder(path: string): string[] {
  const absolute = join(ROOT, path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute, { recursive: true, encoding: "utf8" })
    .filter(
      (file) => !file.split("/").some((part) => part === "node_modules" || part.startsWith(".")),
    )
    .map((file) => `${path}/${file}`)
    .filter((file) => statSync(join(ROOT, file)).isFile());
}

const httpsServer = () => serverListening("443");
function serverListening(port: string): NginxDirective {
  const server = findNginx(SITE, "server").find(({ directive }) =>
    (directive.children ?? []).some((child) => child.name === "listen" && child.args[0] === port),
  )?.directive;
  if (!server) throw new Error(`no server listening on ${port}`);
  return server;
}
/** The arguments of a directive among a block's own (not nested) directives. */
const own = (block: NginxDirective, name: string) =>
  (block.children ?? []).filter((child) => child.name === name).map((child) => child.args);
const headersSet = (block: NginxDirective) =>
  new Map(own(block, "proxy_set_header").map(([name, value]) => [name?.toLowerCase(), value]));

// ---------------------------------------------------------------------------------------

describe("the checks' own readers", () => {
  it("nginx: unbalanced braces and a missing semicolon are errors", () => {
    expect(() => parseNginx("server { listen 80;")).toThrow(/unclosed/);
    expect(() => parseNginx("listen 80; }")).toThrow(/unexpected/);
    expect(() => parseNginx("server { listen 80 }")).toThrow(/missing ;/);
    expect(parseNginx('a "b c" { d; } # e')).toEqual([
      { name: "a", args: ["b c"], children: [{ name: "d", args: [] }] },
    ]);
  });

  it(".dockerignore: later lines win, and a pattern covers what is inside a folder", () => {
    const patterns = "**\n!packages\npackages/**/*.test.ts";
    expect(dockerIgnores(patterns, "node_modules/x/index.js")).toBe(true);
    expect(dockerIgnores(patterns, "packages/node/src/config.ts")).toBe(false);
    expect(dockerIgnores(patterns, "packages/node/src/config.test.ts")).toBe(true);
    expect(dockerIgnores("", "anything")).toBe(false);
  });

  it("compose interpolation fills defaults and refuses a required variable left out", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax is the point
    expect(interpolate("${A:-x}/${B}/$$C", { B: "b" })).toBe("x/b/$C");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax is the point
    expect(() => interpolate("${A:?say A}", { A: "" })).toThrow("A: say A");
  });

  it("finds coursefed in shell text however it is run, and nothing else", () => {
    expect(
      coursefedInvocations(
        [
          "sudo coursefed accounts --add 'a b' # comment",
          "docker compose exec -T node coursefed peers > out && useradd coursefed",
          "docker compose run --rm node migrate x \\\n  --to y",
          "docker compose run --rm --entrypoint tar node -xf - < data.tar",
          "node --max-semi-space-size=1 /opt/coursefed/packages/node/bin/coursefed.js serve",
          "systemctl start coursefed",
        ].join("\n"),
      ),
    ).toEqual([["accounts", "--add", "a b"], ["peers"], ["migrate", "x", "--to", "y"], ["serve"]]);
  });

  it("tells a command or option the CLI lacks from one it has", async () => {
    expect(await unknownToCli(["serve", "--listen", "127.0.0.1:1"])).toEqual([]);
    expect(await unknownToCli(["serve", "--no-such-option"])).toEqual([
      "coursefed serve --no-such-option: no such option",
    ]);
    expect(await unknownToCli(["no-such-command"])).toEqual([
      "coursefed no-such-command: no such command",
    ]);
    expect(await unknownToCli(["moodle", "no-such-subcommand"])).toHaveLength(1);
  });
});

describe("deploy/README.md", () => {
  const invocations = [
    ...new Map(
      codeBlocks(README, ["sh", "bash"])
        .flatMap(coursefedInvocations)
        .map((args) => [args.join(" "), args]),
    ).values(),
  ];

  it("shows the commands an admin needs", () => {
    const commands = new Set(invocations.map((args) => args.slice(0, 2).join(" ")));
    expect(commands).toContain("migrate sqlite-to-postgres");
    expect([...commands].some((command) => command.startsWith("accounts"))).toBe(true);
    expect([...commands].some((command) => command.startsWith("serve"))).toBe(true);
  });

  // Strict, with no list of exceptions: an admin copies these lines as they are.
  it.each(invocations.map((args) => [args.join(" "), args]))(
    "coursefed %s is a command the CLI has",
    async (_, args) => {
      expect(await unknownToCli(args as string[])).toEqual([]);
    },
  );

  it("lists the files that are here", () => {
    const cells = [...README.matchAll(/^\| (`[^|]+`) \|/gm)].map((match) => match[1] as string);
    const listed = cells.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((name) => name[1]));
    expect(listed).toContain(".env.example");
    expect(listed.length).toBeGreaterThan(10);
    for (const file of listed) expect(existsSync(join(DEPLOY, file as string)), file).toBe(true);
  });

  it("links only to headings it has", () => {
    const anchors = new Set(
      [...README.matchAll(/^#+ (.+)$/gm)].map((match) =>
        (match[1] as string)
          .toLowerCase()
          .replace(/[^\w\s-]/g, "")
          .replace(/\s/g, "-"),
      ),
    );
    const links = [...README.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(anchors, link).toContain(link);
  });

  it("starts the extra processes nginx's upstream.conf lists, and no others", () => {
    const started = new Set([...README.matchAll(/coursefed@(\d+)/g)].map((match) => match[1]));
    const listed = findNginx(HOST_UPSTREAM, "server")
      .map(({ directive }) => String(listenPort(directive.args[0] as string)))
      .filter((port) => port !== String(listenPort(ENV_EXAMPLE.get("COURSEFED_LISTEN") ?? "")));
    expect(started).toEqual(new Set(listed));
  });
});

describe("deploy/Dockerfile", () => {
  it("builds in stages, each named, on Node 24 or newer", () => {
    expect(STAGES.length).toBeGreaterThanOrEqual(2);
    const names = STAGES.map((stage) => stage.name);
    expect(names.every(Boolean)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    for (const stage of STAGES) {
      const major = Number(/^node:(\d+)/.exec(stage.image)?.[1]);
      expect(major, stage.image).toBeGreaterThanOrEqual(24);
    }
  });

  it("installs the production dependencies from the lock file, in the build stage only", () => {
    const [build] = STAGES as [Stage];
    const install = keyword(build, "RUN").findIndex((run) =>
      /\bnpm ci\b/.test(run.getArgumentsContent() ?? ""),
    );
    expect(install).toBeGreaterThanOrEqual(0);
    const installLine = keyword(build, "RUN")[install] as Instruction;
    expect(installLine.getArgumentsContent()).toContain("--omit=dev");
    const lockCopied = keyword(build, "COPY").some(
      (copy) =>
        copy.getRange().start.line < installLine.getRange().start.line &&
        copy.getArguments().some((argument) => argument.getValue() === "package-lock.json"),
    );
    expect(lockCopied).toBe(true);
    for (const run of keyword(FINAL, "RUN")) {
      expect(run.getArgumentsContent()).not.toMatch(/\bnpm (ci|install)\b/);
    }
  });

  it("runs as a user other than root", () => {
    const user = keyword(FINAL, "USER").at(-1)?.getArgumentsContent()?.trim();
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain((user as string).split(":")[0]);
  });

  it("copies from stages defined before, and from the context only files it holds", () => {
    for (const [index, stage] of STAGES.entries()) {
      for (const copy of keyword(stage, "COPY")) {
        const from = flag(copy, "from");
        if (from !== undefined) {
          const earlier = STAGES.slice(0, index).map((candidate) => candidate.name);
          expect(earlier.includes(from) || Number(from) < index, `COPY --from=${from}`).toBe(true);
          continue;
        }
        const sources = copy
          .getArguments()
          .slice(0, -1)
          .map((argument) => argument.getValue());
        for (const source of sources) {
          expect(existsSync(join(ROOT, source)), source).toBe(true);
          for (const file of filesUnder(source)) {
            expect(dockerIgnores(DOCKERIGNORE, file), `${file} in the build context`).toBe(
              file.endsWith(".test.ts"),
            );
          }
        }
      }
    }
  });

  it("copies every file the cli driver sends to PHP, the companion plugin's restorer among them", () => {
    const scripts = join(ROOT, "packages/moodle/php");
    const required = readdirSync(scripts)
      .filter((name) => name.endsWith(".php"))
      .flatMap((name) =>
        [
          ...read(`packages/moodle/php/${name}`).matchAll(/^require\(__DIR__ \. '([^']+)'\);$/gm),
        ].map((match) => relative(ROOT, join(scripts, match[1] as string))),
      );
    expect(required).toContain(
      "packages/moodle-plugin/local_coursefed/classes/local/course_restorer.php",
    );
    const [build] = STAGES as [Stage];
    const copied = keyword(build, "COPY").flatMap((copy) =>
      copy
        .getArguments()
        .slice(0, -1)
        .map((argument) => argument.getValue()),
    );
    for (const file of required) {
      expect(
        copied.some((source) => file === source || file.startsWith(`${source}/`)),
        file,
      ).toBe(true);
    }
  });

  it("checks its health with the script it copies", () => {
    const healthchecks = keyword(FINAL, "HEALTHCHECK");
    expect(healthchecks).toHaveLength(1);
    const command = JSON.parse(
      (healthchecks[0]?.getArgumentsContent() ?? "").replace(/^(--\S+\s+)*CMD\s+/, ""),
    ) as string[];
    expect(command[0]).toBe("node");
    const script = command.find((word) => word.endsWith(".mjs")) as string;
    const copied = STAGES.flatMap((stage) => keyword(stage, "COPY")).flatMap((copy) =>
      copy.getArguments().map((argument) => argument.getValue()),
    );
    expect(copied).toContain("deploy/healthcheck.mjs");
    expect(script).toMatch(/\/deploy\/healthcheck\.mjs$/);
  });

  it("keeps its data in the volume, listens on the port it exposes, and runs coursefed serve", async () => {
    const volume = jsonArguments(keyword(FINAL, "VOLUME")[0] as Instruction);
    expect(volume).toEqual([finalEnvironment.get("COURSEFED_DATA_DIR")]);
    const exposed = keyword(FINAL, "EXPOSE").map((expose) => Number(expose.getArgumentsContent()));
    expect(exposed).toEqual([listenPort(finalEnvironment.get("COURSEFED_LISTEN") ?? "")]);
    const entrypoint = jsonArguments(keyword(FINAL, "ENTRYPOINT")[0] as Instruction);
    expect(entrypoint[0]).toBe("node");
    const script = entrypoint.find((word) => word.endsWith("coursefed.js")) as string;
    expect(script).toBe("packages/node/bin/coursefed.js");
    expect(existsSync(join(ROOT, script))).toBe(true);
    const command = jsonArguments(keyword(FINAL, "CMD")[0] as Instruction);
    expect(command).toEqual(["serve"]);
    expect(await unknownToCli(command)).toEqual([]);
  });

  it("sets only variables the node reads", () => {
    for (const name of finalEnvironment.keys()) {
      if (name.startsWith("COURSEFED_")) expect(NODE_VARIABLES, name).toContain(name);
    }
  });
});

describe(".dockerignore", () => {
  it("leaves out the installed modules, tests, documents and local data", () => {
    for (const path of [
      "node_modules/yaml/package.json",
      "test/deploy/deploy-files.test.ts",
      "docs/node.md",
      ".coursefed/node.sqlite",
      ".git/HEAD",
      "packages/node/src/config.test.ts",
    ]) {
      expect(dockerIgnores(DOCKERIGNORE, path), path).toBe(true);
    }
    for (const path of ["package.json", "package-lock.json", "packages/node/src/node.ts"]) {
      expect(dockerIgnores(DOCKERIGNORE, path), path).toBe(false);
    }
  });
});

describe("deploy/compose.yaml", () => {
  it("runs the node, PostgreSQL 15 and nginx", () => {
    expect(Object.keys(compose().services).sort()).toEqual(["nginx", "node", "postgres"]);
    expect(service("postgres").image).toMatch(/^postgres:15\b/);
  });

  it("gives the node the database PostgreSQL creates", () => {
    const postgres = service("postgres").environment ?? {};
    const url = new URL(service("node").environment?.DATABASE_URL ?? "");
    expect(url.protocol).toBe("postgres:");
    expect(Object.keys(compose().services)).toContain(url.hostname);
    expect(url.hostname).toBe("postgres");
    expect(url.port || "5432").toBe("5432");
    expect(url.username).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(COMPOSE_TEST_ENVIRONMENT.POSTGRES_PASSWORD);
    expect(postgres.POSTGRES_PASSWORD).toBe(COMPOSE_TEST_ENVIRONMENT.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
  });

  it("starts the node once PostgreSQL is healthy, and nginx once the node is", () => {
    expect(service("node").depends_on?.postgres?.condition).toBe("service_healthy");
    expect(service("nginx").depends_on?.node?.condition).toBe("service_healthy");
    const postgres = service("postgres");
    const probe = postgres.healthcheck?.test.join(" ") ?? "";
    expect(probe).toContain("pg_isready");
    expect(probe).toContain(postgres.environment?.POSTGRES_USER);
    expect(probe).toContain(postgres.environment?.POSTGRES_DB);
  });

  it("refuses to start without the public URL or the database password", () => {
    const { COURSEFED_URL: _, ...withoutUrl } = COMPOSE_TEST_ENVIRONMENT;
    expect(() => compose(withoutUrl)).toThrow(/COURSEFED_URL/);
    expect(() => compose({ ...COMPOSE_TEST_ENVIRONMENT, POSTGRES_PASSWORD: "" })).toThrow(
      /POSTGRES_PASSWORD/,
    );
  });

  it("builds the node from the repository with the Dockerfile checked above", () => {
    const build = service("node").build;
    expect(build).toBeDefined();
    const context = resolve(DEPLOY, build?.context ?? "");
    expect(context).toBe(ROOT);
    expect(join(context, build?.dockerfile ?? "")).toBe(join(DEPLOY, "Dockerfile"));
    expect(service("node").command ?? ["serve"]).toEqual(["serve"]);
  });

  it("publishes only nginx, on 80 and 443; the node is on the compose network only", () => {
    expect(service("node").ports).toBeUndefined();
    expect(service("postgres").ports).toBeUndefined();
    const published = (service("nginx").ports ?? []).map((port) => port.split(":").at(-1));
    expect(published.sort()).toEqual(["443", "80"]);
    const exposed = keyword(FINAL, "EXPOSE").map((expose) => expose.getArgumentsContent());
    expect(service("node").expose).toEqual(exposed);
  });

  it("keeps data in declared volumes, the node's where the image keeps it", () => {
    const declared = Object.keys(compose().volumes ?? {});
    const named = Object.values(compose().services)
      .flatMap((entry) => entry.volumes ?? [])
      .map((volume) => volume.split(":"))
      .filter(([source]) => !/^[./$]/.test(source as string));
    expect(new Set(named.map(([source]) => source))).toEqual(new Set(declared));
    const nodeVolume = (service("node").volumes ?? []).map((volume) => volume.split(":")[1]);
    expect(nodeVolume).toContain(finalEnvironment.get("COURSEFED_DATA_DIR"));
    expect((service("postgres").volumes ?? []).map((volume) => volume.split(":")[1])).toContain(
      "/var/lib/postgresql/data",
    );
  });

  it("mounts the nginx site and upstream that are here, where nginx includes them", () => {
    const mounts = (service("nginx").volumes ?? []).map((volume) => volume.split(":"));
    const files = mounts.filter(([source]) => (source as string).endsWith(".conf"));
    expect(files.map(([source]) => source).sort()).toEqual([
      "./nginx/coursefed.conf",
      "./nginx/upstream.compose.conf",
    ]);
    for (const [source, target, mode] of files) {
      expect(statSync(resolve(DEPLOY, source as string)).isFile()).toBe(true);
      expect(target).toMatch(/^\/etc\/nginx\/conf\.d\/[\w-]+\.conf$/);
      expect(mode).toBe("ro");
    }
    const targets = mounts.map(([, target]) => target);
    const certificate = own(httpsServer(), "ssl_certificate")[0]?.[0] as string;
    expect(targets).toContain(dirname(certificate));
    const acme = findNginx(SITE, "root")[0]?.directive.args[0];
    expect(targets).toContain(acme);
  });

  it("limits uploads below nginx's limit, and sets only variables the node reads", () => {
    const environment = service("node").environment ?? {};
    const maxUpload = parseByteSize(environment.COURSEFED_MAX_UPLOAD ?? "") ?? Infinity;
    const nginxLimit = nginxSize(own(httpsServer(), "client_max_body_size")[0]?.[0] ?? "");
    expect(maxUpload).toBeLessThan(nginxLimit);
    for (const name of Object.keys(environment)) expect(NODE_VARIABLES, name).toContain(name);
  });

  it("is filled in by .env.example, whose every setting compose uses", () => {
    const required = [...COMPOSE_TEXT.matchAll(/\$\{(\w+):\?/g)].map((match) => match[1]);
    const used = new Set([...COMPOSE_TEXT.matchAll(/\$\{(\w+)/g)].map((match) => match[1]));
    for (const name of required) expect(COMPOSE_ENV_EXAMPLE.has(name as string), name).toBe(true);
    for (const name of COMPOSE_ENV_EXAMPLE.keys()) expect(used, name).toContain(name);
    const filled = { ...Object.fromEntries(COMPOSE_ENV_EXAMPLE), POSTGRES_PASSWORD: "ab12" };
    expect(new URL(compose(filled).services.node?.environment?.COURSEFED_URL ?? "").protocol).toBe(
      "https:",
    );
  });
});

describe("deploy/nginx", () => {
  it("sends http to https on the same name, answering certificate challenges first", () => {
    const http = serverListening("80");
    const names = own(http, "server_name")[0];
    expect(names).toEqual(own(httpsServer(), "server_name")[0]);
    const redirect = findNginx([http], "return")[0]?.directive.args;
    expect(redirect?.[0]).toBe("301");
    expect(redirect?.[1]).toMatch(/^https:\/\/\$server_name\$request_uri$/);
    const challenge = findNginx([http], "location").find(({ directive }) =>
      directive.args.includes("/.well-known/acme-challenge/"),
    );
    expect(challenge).toBeDefined();
  });

  it("terminates TLS 1.2 and 1.3 only, with HSTS on every answer", () => {
    const https = httpsServer();
    expect(own(https, "listen").some((args) => args.includes("ssl"))).toBe(true);
    expect(own(https, "ssl_certificate")).toHaveLength(1);
    expect(own(https, "ssl_certificate_key")).toHaveLength(1);
    expect(own(https, "ssl_protocols")[0]).toEqual(["TLSv1.2", "TLSv1.3"]);
    const hsts = own(https, "add_header").find(([name]) => name === "Strict-Transport-Security");
    expect(Number(/max-age=(\d+)/.exec(hsts?.[1] ?? "")?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts?.[2]).toBe("always");
  });

  it("streams multi-GB uploads and downloads with long timeouts", () => {
    const https = httpsServer();
    expect(nginxSize(own(https, "client_max_body_size")[0]?.[0] ?? "")).toBeGreaterThanOrEqual(
      4 * 1024 ** 3,
    );
    expect(own(https, "proxy_request_buffering")).toEqual([["off"]]);
    expect(own(https, "proxy_buffering")).toEqual([["off"]]);
    expect(nginxSeconds(own(https, "proxy_read_timeout")[0]?.[0] ?? "")).toBeGreaterThanOrEqual(
      600,
    );
    expect(nginxSeconds(own(https, "proxy_send_timeout")[0]?.[0] ?? "")).toBeGreaterThanOrEqual(
      600,
    );
  });

  it("sets the forwarded headers from what nginx saw, never from the client's", () => {
    const headers = headersSet(httpsServer());
    expect(headers.get("host")).toBe("$host");
    expect(headers.get("x-forwarded-for")).toBe("$remote_addr");
    expect(headers.get("x-forwarded-proto")).toBe("$scheme");
    expect(headers.get("x-forwarded-host")).toBe("$host");
    const everyArgument = JSON.stringify(SITE);
    expect(everyArgument).toContain("$remote_addr");
    expect(everyArgument).not.toContain("$proxy_add_x_forwarded_for");
  });

  it("proxies every location to the node with the server's headers", () => {
    const locations = findNginx([httpsServer()], "location").map(({ directive }) => directive);
    expect(locations.length).toBeGreaterThanOrEqual(2);
    for (const location of locations) {
      expect(own(location, "proxy_pass")).toEqual([["http://coursefed"]]);
      // Any of these in a location would drop every one the server sets.
      expect(own(location, "proxy_set_header")).toEqual([]);
      expect(own(location, "add_header")).toEqual([]);
    }
  });

  it("refuses /metrics except to the allowed addresses", () => {
    const locations = findNginx([httpsServer()], "location").map(({ directive }) => directive);
    const metrics = locations.find((location) => location.args.join(" ") === "= /metrics");
    expect(metrics).toBeDefined();
    const rules = (metrics?.children ?? []).filter((child) =>
      ["allow", "deny"].includes(child.name),
    );
    expect(rules.at(-1)).toEqual({ name: "deny", args: ["all"] });
    expect(rules.filter((rule) => rule.name === "allow").length).toBeGreaterThan(0);
    expect(rules.some((rule) => rule.name === "allow" && rule.args[0] === "all")).toBe(false);
    const others = locations.filter((location) => location !== metrics);
    expect(others.map((location) => location.args)).toEqual([["/"]]);
  });

  it("defines the upstream both ways, with keep-alive, where the node listens", () => {
    for (const upstreams of [HOST_UPSTREAM, COMPOSE_UPSTREAM]) {
      const [upstream] = findNginx(upstreams, "upstream").map(({ directive }) => directive);
      expect(upstream?.args).toEqual(["coursefed"]);
      expect(own(upstream as NginxDirective, "keepalive")).toHaveLength(1);
    }
    const hostServers = findNginx(HOST_UPSTREAM, "server").map(
      ({ directive }) => directive.args[0],
    );
    expect(hostServers).toContain(ENV_EXAMPLE.get("COURSEFED_LISTEN"));
    expect(hostServers.length).toBeGreaterThan(1);
    for (const server of hostServers) expect(server).toMatch(/^127\.0\.0\.1:\d+$/);
    const [composeServer] = findNginx(COMPOSE_UPSTREAM, "server").map(({ directive }) =>
      (directive.args[0] as string).split(":"),
    );
    expect(composeServer?.[0]).toBe("node");
    expect(service("node").expose).toContain(composeServer?.[1]);
  });

  const nginx = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin"]
    .map((folder) => join(folder, "nginx"))
    .find((path) => existsSync(path));
  if (!nginx) console.warn("Skipping nginx -t on deploy/nginx: nginx is not installed.");
  it.skipIf(!nginx)("passes nginx -t with the host upstream", async () => {
    const directory = mkdtempSync(join(tmpdir(), "coursefed-nginx-"));
    try {
      await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=courses.test.example",
        "-keyout",
        join(directory, "privkey.pem"),
        "-out",
        join(directory, "fullchain.pem"),
      ]);
      writeFileSync(
        join(directory, "site.conf"),
        read("deploy/nginx/coursefed.conf").replaceAll("/etc/nginx/certs/", `${directory}/`),
      );
      const temporary = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map((kind) => `${kind}_temp_path ${directory}/${kind};`)
        .join("\n");
      writeFileSync(
        join(directory, "nginx.conf"),
        `pid ${directory}/nginx.pid;\nevents {}\nhttp {\naccess_log off;\n${temporary}\ninclude ${DEPLOY}/nginx/upstream.conf;\ninclude ${directory}/site.conf;\n}\n`,
      );
      const { stderr } = await run(nginx as string, [
        "-t",
        "-p",
        directory,
        "-c",
        join(directory, "nginx.conf"),
        "-e",
        join(directory, "error.log"),
      ]);
      expect(stderr).toContain("test is successful");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("deploy/systemd", () => {
  const units: [string, Unit][] = [
    ["coursefed.service", SERVICE],
    ["coursefed@.service", TEMPLATE],
  ];
  const HARDENING =
    /^(NoNewPrivileges|Protect\w+|Private\w+|Restrict\w+|LockPersonality|SystemCall\w+|CapabilityBoundingSet|UMask|ReadWritePaths)$/;
  const hardening = (unit: Unit) =>
    unit
      .filter((part) => part.section === "Service")
      .flatMap((part) => part.entries.filter(([key]) => HARDENING.test(key)))
      .sort();

  it.each(units)("%s has the sections of a service unit", (_, unit) => {
    expect(unit.map((part) => part.section)).toEqual(["Unit", "Service", "Install"]);
    expect(unitValues(unit, "Install", "WantedBy")).toEqual(["multi-user.target"]);
  });

  it.each(units)("%s runs coursefed serve, as its own user, with its settings", async (_, unit) => {
    expect(unitValues(unit, "Service", "User")).toEqual(["coursefed"]);
    expect(unitValues(unit, "Service", "EnvironmentFile")).toEqual([
      "/etc/coursefed/coursefed.env",
    ]);
    expect(unitValues(unit, "Service", "Restart")).toEqual(["on-failure"]);
    const [execStart] = unitValues(unit, "Service", "ExecStart");
    const words = (execStart ?? "").split(/\s+/);
    expect(words[0]).toMatch(/^(\/usr(\/local)?\/bin\/)?node$/);
    const script = words.findIndex((word) => word.endsWith("packages/node/bin/coursefed.js"));
    expect(words[script]?.startsWith(INSTALL_DIR)).toBe(true);
    expect(existsSync(join(ROOT, (words[script] as string).slice(INSTALL_DIR.length)))).toBe(true);
    const args = words.slice(script + 1).map((word) => word.replaceAll("%i", "8322"));
    expect(args[0]).toBe("serve");
    expect(await unknownToCli(args)).toEqual([]);
  });

  it.each(units)("%s is hardened, and may write its data directory only", (_, unit) => {
    const settings = new Map(hardening(unit));
    for (const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["PrivateTmp", "yes"],
      ["ProtectHome", "yes"],
      ["CapabilityBoundingSet", ""],
    ]) {
      expect(settings.get(key as string), key).toBe(value);
    }
    const dataDir = ENV_EXAMPLE.get("COURSEFED_DATA_DIR");
    expect(unitValues(unit, "Service", "ReadWritePaths")).toEqual([dataDir]);
    expect(unitValues(unit, "Service", "WorkingDirectory")).toEqual([dataDir]);
    // V8 compiles code into memory it then runs.
    expect(unitValues(unit, "Service", "MemoryDenyWriteExecute")).toEqual([]);
  });

  it("hardens the extra processes exactly as the first", () => {
    expect(hardening(TEMPLATE)).toEqual(hardening(SERVICE));
    expect(hardening(SERVICE).length).toBeGreaterThan(10);
  });

  it("starts an extra process on its own port after the first answers, and stops it with the first", () => {
    expect(unitValues(TEMPLATE, "Unit", "After")).toContain("coursefed.service");
    expect(unitValues(TEMPLATE, "Unit", "PartOf")).toEqual(["coursefed.service"]);
    expect(unitValues(TEMPLATE, "Service", "ExecStart")[0]).toContain("--listen 127.0.0.1:%i");
    const [wait] = unitValues(TEMPLATE, "Service", "ExecStartPre");
    const script = (wait ?? "").split(/\s+/).find((word) => word.endsWith("healthcheck.mjs")) ?? "";
    expect(existsSync(join(ROOT, script.slice(INSTALL_DIR.length)))).toBe(true);
    expect(wait).toMatch(/--wait \d+/);
  });

  it("coursefed.env.example names settings the node reads, for an https node on loopback", () => {
    for (const name of ENV_EXAMPLE.keys()) expect(NODE_VARIABLES, name).toContain(name);
    const url = new URL(ENV_EXAMPLE.get("COURSEFED_URL") ?? "");
    expect(url.protocol).toBe("https:");
    expect(url.pathname).toBe("/");
    expect(ENV_EXAMPLE.get("COURSEFED_LISTEN")).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(new URL(ENV_EXAMPLE.get("DATABASE_URL") ?? "").protocol).toBe("postgres:");
    const maxUpload = parseByteSize(ENV_EXAMPLE.get("COURSEFED_MAX_UPLOAD") ?? "") ?? Infinity;
    const nginxLimit = nginxSize(own(httpsServer(), "client_max_body_size")[0]?.[0] ?? "");
    expect(maxUpload).toBeLessThan(nginxLimit);
  });

  it("the host's coursefed command is valid sh and uses the service's settings and code", async () => {
    const wrapper = read("deploy/systemd/coursefed");
    await run("sh", ["-n", join(DEPLOY, "systemd/coursefed")]);
    expect(wrapper).toContain(unitValues(SERVICE, "Service", "EnvironmentFile")[0]);
    const script = (unitValues(SERVICE, "Service", "ExecStart")[0] ?? "")
      .split(/\s+/)
      .find((word) => word.endsWith("coursefed.js"));
    expect(wrapper).toContain(script);
    expect(statSync(join(DEPLOY, "systemd/coursefed")).mode & 0o111).not.toBe(0);
  });

  const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find(existsSync);
  if (!analyze) console.warn("Skipping systemd-analyze verify: systemd is not installed.");
  it.skipIf(!analyze)("passes systemd-analyze verify", async () => {
    const directory = mkdtempSync(join(tmpdir(), "coursefed-units-"));
    try {
      for (const [name] of units) {
        writeFileSync(join(directory, name), read(`deploy/systemd/${name}`));
      }
      const { stdout, stderr } = await run(analyze as string, [
        "verify",
        join(directory, "coursefed.service"),
        join(directory, "coursefed@8322.service"),
      ]).catch((error: { stdout: string; stderr: string }) => error);
      const about = `${stdout}${stderr}`.split("\n").filter((line) => line.includes(directory));
      expect(about).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("deploy/healthcheck.mjs", () => {
  const script = join(DEPLOY, "healthcheck.mjs");
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  async function answering(status: number, path = "/healthz"): Promise<number> {
    const server = createServer((request, response) => {
      response.statusCode = request.url === path ? status : 404;
      response.end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  function check(
    args: string[],
    environment: Record<string, string> = {},
  ): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [script, ...args], {
        env: { PATH: process.env.PATH, ...environment },
      });
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
  }

  it("succeeds when /healthz answers 200, at the address given or in COURSEFED_LISTEN", async () => {
    const port = await answering(200);
    expect((await check([`127.0.0.1:${port}`])).code).toBe(0);
    expect((await check([], { COURSEFED_LISTEN: `0.0.0.0:${port}` })).code).toBe(0);
  });

  it("fails, saying why, on an error status or when nothing listens", async () => {
    const port = await answering(503);
    const unhealthy = await check([`127.0.0.1:${port}`]);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stderr).toContain("503");
    const closed = await answering(200);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const refused = await check([`127.0.0.1:${closed}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ECONNREFUSED");
  });

  it("waits, with --wait, for a node still starting", async () => {
    const server = createServer((_, response) => response.end());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const waiting = check(["--wait", "20", `127.0.0.1:${port}`]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server.listen(port, "127.0.0.1");
    expect((await waiting).code).toBe(0);
  });

  it("refuses arguments it does not know", async () => {
    expect((await check(["--wait", "soon"])).code).toBe(2);
    expect((await check(["not-an-address"])).code).toBe(2);
  });
});
