import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { type OidcConfig, parseOidcConfig } from "./accounts/oidc/oidc-config.ts";
import { HANDLE } from "./actors/handle.ts";
import { parseByteSize } from "./byte-size.ts";
import { ConfigError } from "./config-error.ts";
import { CONFIG_ENVIRONMENT } from "./config-names.ts";
import { FIRST_KNOCKS, type FirstKnock } from "./federation/first-knock.ts";
import type { InboxRetrySchedule } from "./federation/inbox-retry.ts";
import {
  type FederationPolicy,
  parseDomains,
  parseFederation,
} from "./settings/federation-policy.ts";

/** A node's settings, after validation. */
export interface NodeConfig {
  /** Where the blob store (and, by default, the SQLite database) live. */
  readonly dataDir: string;
  /**
   * The database: the path of the embedded SQLite file (in dataDir), or a postgres://
   * URL, where several node processes share one database.
   */
  readonly database: string;
  /** How many node processes `serve` runs (each serves HTTP and works the queues). */
  readonly workers: number;
  /** The URL peers and browsers use to reach this node (behind a proxy: the proxy's). */
  readonly publicUrl: URL;
  /** The address the HTTP server binds. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The institution actor: @handle@host. */
  readonly institution: { readonly handle: string; readonly name: string };
  /** Hosts (with their subdomains) whose requests to follow the institution need no approval. */
  readonly autoAcceptDomains: readonly string[];
  /** Largest backup the API accepts. */
  readonly maxUploadBytes: number;
  /** Largest activity body an inbox accepts, refused with 413 before it is parsed. */
  readonly maxInboxBodyBytes: number;
  readonly federation: FederationPolicy;
  /** Let peers live on private and loopback addresses (an intranet, or tests). */
  readonly allowPrivateAddresses: boolean;
  /**
   * The HTTP signature scheme tried first with a server not met before; the other one is
   * tried if it refuses (double knock), and what worked is remembered per server.
   */
  readonly firstKnock: FirstKnock;
  /**
   * Addresses of the reverse proxies in front of the node: a request from one of them is
   * taken to come from the address its X-Forwarded-For names last (what the proxy saw),
   * for sign-in rate limiting. Requests from anywhere else are taken at their word.
   */
  readonly trustedProxies: readonly string[];
  /**
   * Single sign-on through an OpenID Connect provider, from the COURSEFED_OIDC_*
   * variables only (it holds a client secret: not for the command line); undefined
   * without COURSEFED_OIDC_ISSUER, when only local accounts sign in.
   */
  readonly oidc: OidcConfig | undefined;
  /**
   * How often the outboxes of the actors followed are read again to catch up on what
   * deliveries missed (federation/catch-up.ts); undefined when turned off.
   */
  readonly catchUpIntervalMs: number | undefined;
  /**
   * When an incoming activity that failed is tried again; the production schedule
   * (about an hour) unless given. Not a setting: tests shorten it.
   */
  readonly inboxRetrySchedule?: InboxRetrySchedule;
  /**
   * Network searches one server may ask of this node per minute (60 unless given). Not a
   * setting: tests and benchmarks, asking from one node many times a minute, raise it.
   */
  readonly networkSearchRequestsPerMinute?: number;
}

/** Settings as given on the command line or in the environment, not yet checked. */
export interface NodeConfigInput {
  readonly dataDir?: string | undefined;
  readonly databaseUrl?: string | undefined;
  readonly workers?: string | undefined;
  readonly url?: string | undefined;
  readonly listen?: string | undefined;
  readonly handle?: string | undefined;
  readonly name?: string | undefined;
  /** Comma-separated host names. */
  readonly autoAccept?: string | undefined;
  readonly maxUpload?: string | undefined;
  readonly maxInboxBody?: string | undefined;
  readonly federation?: string | undefined;
  /** Comma-separated host names for the allowlist or blocklist. */
  readonly domains?: string | undefined;
  readonly allowPrivateAddresses?: boolean | undefined;
  readonly firstKnock?: string | undefined;
  /** Comma-separated IP addresses. */
  readonly trustProxy?: string | undefined;
  /** "6h", "30m", "1d" or "off". */
  readonly catchUp?: string | undefined;
}

/** The variable naming a JSON configuration file, when --config is not given. */
export const CONFIG_FILE_ENVIRONMENT = "COURSEFED_CONFIG";

export const DEFAULT_LISTEN = "127.0.0.1:8321";

/** Where the node keeps its data, from the folder it is started in. */
export const DEFAULT_DATA_DIR = ".coursefed";

/**
 * Combines flags, environment, the configuration file and defaults, in that order of
 * precedence, and refuses what cannot work.
 */
export function resolveConfig(
  flags: NodeConfigInput,
  environment: Readonly<Record<string, string | undefined>> = process.env,
  file: NodeConfigInput = {},
): NodeConfig {
  const pick = (key: Exclude<keyof typeof CONFIG_ENVIRONMENT, "allowPrivateAddresses">) =>
    flags[key] ?? environment[CONFIG_ENVIRONMENT[key]] ?? file[key];
  const listen = parseListen(pick("listen") ?? DEFAULT_LISTEN);
  const allowPrivate = environment[CONFIG_ENVIRONMENT.allowPrivateAddresses];
  const privateAddressesFromEnvironment =
    allowPrivate === undefined
      ? file.allowPrivateAddresses
      : ["1", "true", "yes"].includes(allowPrivate);
  const publicUrl = parsePublicUrl(
    pick("url") ?? `http://${formatHost(listen.host)}:${listen.port}/`,
  );
  const handle = pick("handle") ?? "institution";
  if (!HANDLE.test(handle)) {
    throw new ConfigError(
      `--handle (${CONFIG_ENVIRONMENT.handle})`,
      `"${handle}" is not a usable handle; use letters, digits, "_", "-" or "." (at most 64), e.g. "univ".`,
    );
  }
  const dataDir = resolve(pick("dataDir") ?? DEFAULT_DATA_DIR);
  const databaseUrl = pick("databaseUrl");
  const database = databaseUrl ? parseDatabaseUrl(databaseUrl) : join(dataDir, "node.sqlite");
  const workers = parseWorkers(pick("workers") ?? "1");
  if (workers > 1 && !databaseUrl) {
    throw new ConfigError(
      `--workers (${CONFIG_ENVIRONMENT.workers})`,
      `${workers} processes need a database they can share: set --database-url (${CONFIG_ENVIRONMENT.databaseUrl}) to a postgres:// URL, or run one process on SQLite.`,
    );
  }
  return {
    dataDir,
    database,
    workers,
    publicUrl,
    listen,
    institution: { handle, name: pick("name") ?? publicUrl.hostname },
    autoAcceptDomains: parseDomains(pick("autoAccept") ?? "", "autoAccept"),
    maxUploadBytes: parseMaxUpload(pick("maxUpload") ?? "8GiB"),
    maxInboxBodyBytes: parseMaxInboxBody(pick("maxInboxBody") ?? "1MiB"),
    federation: parseFederation(pick("federation") ?? "open", pick("domains") ?? ""),
    allowPrivateAddresses: flags.allowPrivateAddresses ?? privateAddressesFromEnvironment ?? false,
    firstKnock: parseFirstKnock(pick("firstKnock") ?? "rfc9421"),
    trustedProxies: parseTrustedProxies(pick("trustProxy") ?? ""),
    oidc: parseOidcConfig(environment),
    catchUpIntervalMs: parseCatchUp(pick("catchUp") ?? "6h"),
  };
}

/**
 * Reads a JSON configuration file whose keys are the settings' names (dataDir,
 * databaseUrl, workers, url, listen, handle, name, autoAccept, maxUpload, maxInboxBody,
 * federation, domains, allowPrivateAddresses, firstKnock, trustProxy, catchUp). A relative dataDir is taken from the file's folder,
 * so the file means the same whatever directory the node is started from.
 */
export function readConfigFile(path: string): NodeConfigInput {
  const setting = `--config (${CONFIG_FILE_ENVIRONMENT})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    throw new ConfigError(setting, `cannot read ${path}: ${reason}.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(setting, `${path} must hold a JSON object of settings.`);
  }
  const input: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(CONFIG_ENVIRONMENT, key)) {
      throw new ConfigError(
        setting,
        `${path}: unknown setting "${key}"; the settings are ${Object.keys(CONFIG_ENVIRONMENT).join(", ")}.`,
      );
    }
    const expected = key === "allowPrivateAddresses" ? "boolean" : "string";
    const listed = (key === "autoAccept" || key === "domains") && Array.isArray(value);
    const counted = key === "workers" && typeof value === "number";
    if (typeof value !== expected && !listed && !counted) {
      throw new ConfigError(setting, `${path}: "${key}" must be a ${expected}.`);
    }
    input[key] = listed
      ? (value as unknown[]).join(",")
      : counted
        ? String(value)
        : (value as string | boolean);
  }
  if (typeof input.dataDir === "string") input.dataDir = resolve(dirname(path), input.dataDir);
  return input as NodeConfigInput;
}

function parseDatabaseUrl(text: string): string {
  const setting = `--database-url (${CONFIG_ENVIRONMENT.databaseUrl})`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      setting,
      "not a URL; write postgres://USER:PASSWORD@HOST:5432/DATABASE, or leave it unset for the embedded SQLite database.",
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(
      setting,
      `${url.protocol} databases are not supported; write a postgres:// URL, or leave it unset for the embedded SQLite database.`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new ConfigError(
      setting,
      "name the database after the host, e.g. postgres://coursefed@db.example/coursefed.",
    );
  }
  return text;
}

function parseWorkers(text: string): number {
  const workers = Number(text);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new ConfigError(
      `--workers (${CONFIG_ENVIRONMENT.workers})`,
      `"${text}" is not a number of processes; write a whole number from 1 to 64 (about one per core).`,
    );
  }
  return workers;
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `--listen (${CONFIG_ENVIRONMENT.listen})`,
      `"${text}" is not HOST:PORT; write e.g. 127.0.0.1:8321, 0.0.0.0:8321 or [::1]:8321.`,
    );
  }
  return { host: match[1] ?? (match[2] as string), port };
}

function parsePublicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `--url (${CONFIG_ENVIRONMENT.url})`,
      `"${text}" is not a URL; write the address peers reach this node at, e.g. https://courses.univ.example/.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`--url (${CONFIG_ENVIRONMENT.url})`, `"${text}" must be an http(s) URL.`);
  }
  if (url.pathname !== "/" || url.search || url.hash) {
    throw new ConfigError(
      `--url (${CONFIG_ENVIRONMENT.url})`,
      `"${text}" must be an origin without a path (ActivityPub handles name a host, not a folder).`,
    );
  }
  return url;
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function parseMaxUpload(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < 1024) {
    throw new ConfigError(
      `--max-upload (${CONFIG_ENVIRONMENT.maxUpload})`,
      `"${text}" is not a usable size; write e.g. 4GiB or 500MiB.`,
    );
  }
  return bytes;
}

/** Activities are a few kilobytes; below 16 KiB even a course's with a long summary would not fit. */
const MIN_INBOX_BODY_BYTES = 16 * 1024;

function parseMaxInboxBody(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < MIN_INBOX_BODY_BYTES) {
    throw new ConfigError(
      `--max-inbox-body (${CONFIG_ENVIRONMENT.maxInboxBody})`,
      `"${text}" is not a usable size; write at least 16KiB, e.g. 1MiB (the default) or 4MiB.`,
    );
  }
  return bytes;
}

function parseTrustedProxies(text: string): string[] {
  const addresses = text
    .split(",")
    .map((address) => address.trim())
    .filter(Boolean);
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new ConfigError(
        `--trust-proxy (${CONFIG_ENVIRONMENT.trustProxy})`,
        `"${address}" is not an IP address; list the proxies' addresses as the node sees them, e.g. 127.0.0.1,::1.`,
      );
    }
  }
  return addresses;
}

/** The shortest and longest catch-up periods: more often asks peers too much, less forgets. */
const CATCH_UP_PERIODS = { shortest: 10 * 60_000, longest: 7 * 24 * 3600_000 } as const;

/** "6h", "30m", "1d" as milliseconds, or "off" (undefined). */
function parseCatchUp(text: string): number | undefined {
  const setting = `--catch-up (${CONFIG_ENVIRONMENT.catchUp})`;
  if (text.trim().toLowerCase() === "off") return undefined;
  const match = /^\s*(\d+)\s*(m|h|d)\s*$/i.exec(text);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (match?.[2] ?? "").toLowerCase() as "m" | "h" | "d"
  ];
  if (!match || unit === undefined) {
    throw new ConfigError(
      setting,
      `"${text}" is not a period; write minutes, hours or days, e.g. 6h, 90m or 1d, or off to turn catching up off.`,
    );
  }
  const period = Number(match[1]) * unit;
  if (period < CATCH_UP_PERIODS.shortest || period > CATCH_UP_PERIODS.longest) {
    throw new ConfigError(
      setting,
      `${text.trim()} is outside 10m to 7d: more often asks the followed servers too much, less often leaves the catalog behind for days; e.g. 6h.`,
    );
  }
  return period;
}

function parseFirstKnock(text: string): FirstKnock {
  if (!(FIRST_KNOCKS as readonly string[]).includes(text)) {
    throw new ConfigError(
      `--first-knock (${CONFIG_ENVIRONMENT.firstKnock})`,
      `"${text}" is not a signature scheme; use rfc9421 (HTTP Message Signatures) or draft-cavage (what older servers speak).`,
    );
  }
  return text as FirstKnock;
}
