import { eq, inArray } from "drizzle-orm";
import { CodedError } from "../coded-error.ts";
import { ConfigError } from "../config-error.ts";
import type { NodeDatabase } from "../db/database.ts";
import { ExpiringRead } from "../expiring-read.ts";
import type { FederationPolicy } from "./federation-policy.ts";
import { parseDomains, parseFederation } from "./federation-policy.ts";
import { type InstitutionLogo, LOGO_MEDIA_TYPES, type LogoMediaType } from "./institution-logo.ts";

/**
 * How long a process trusts what it read from node_settings. Every process of a node
 * reads the table itself, so a change made through one is in force in all of them
 * within this time, without a query for each request the policy is asked about.
 */
export const SETTINGS_CACHE_MS = 5000;

/** The settings admins may change while the node runs. */
export const SETTING_NAMES = ["policy", "autoAccept"] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/** Each setting's row in node_settings. */
const KEYS: Readonly<Record<SettingName, string>> = {
  policy: "federation.policy",
  autoAccept: "federation.auto-accept",
};

/**
 * node_settings' row for "Moodle users become teachers at first use": not among
 * SETTING_NAMES, which are the configuration's federation settings an admin overrides.
 */
const MOODLE_USERS_BECOME_TEACHERS = "moodle.users-become-teachers";

/** node_settings' row for the network search's second hop (docs/network-search.md). */
const NETWORK_SEARCH_ONE_HOP = "network-search.one-hop";

/** node_settings' row for the institution's logo (institution-logo.ts): its bytes, base64. */
const INSTITUTION_LOGO = "institution.logo";

/** The settings the configuration gives, in force until an admin overrides them. */
export interface ConfiguredSettings {
  readonly federation: FederationPolicy;
  readonly autoAcceptDomains: readonly string[];
}

/** A setting's value in force, the configuration's, and who overrode it, if anyone did. */
export interface EffectiveSetting<T> {
  readonly value: T;
  readonly configured: T;
  readonly override: { readonly updatedAt: number; readonly updatedBy: string } | null;
}

export interface FederationSettings {
  readonly policy: EffectiveSetting<FederationPolicy>;
  readonly autoAccept: EffectiveSetting<readonly string[]>;
}

/** A value refused by the configuration's own rules; `field` is the form field at fault. */
export class SettingsError extends CodedError<"INVALID_SETTING"> {
  override readonly name = "SettingsError";
  readonly field: "mode" | "domains" | "autoAccept";

  constructor(field: SettingsError["field"], message: string) {
    super("INVALID_SETTING", message);
    this.field = field;
  }
}

interface StoredSetting {
  readonly value: unknown;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

/**
 * The node's settings in force: an admin's override from node_settings, else the
 * configuration the node was started with. Everything that applies the federation
 * policy or the auto-accept list asks here, never the configuration.
 */
export class NodeSettings {
  readonly #db: NodeDatabase;
  readonly #configured: ConfiguredSettings;
  readonly #now: () => number;
  readonly #federation: ExpiringRead<FederationSettings>;
  readonly #logo: ExpiringRead<InstitutionLogo | undefined>;
  readonly #moodleUsers: ExpiringRead<EffectiveSetting<boolean>>;
  readonly #networkSearchOneHop: ExpiringRead<EffectiveSetting<boolean>>;

  constructor(
    db: NodeDatabase,
    configured: ConfiguredSettings,
    options: { readonly now?: () => number } = {},
  ) {
    this.#db = db;
    this.#configured = configured;
    this.#now = options.now ?? Date.now;
    const expiring = <T>(read: () => Promise<T>) =>
      new ExpiringRead(read, SETTINGS_CACHE_MS, this.#now);
    this.#federation = expiring(() => this.#read());
    this.#logo = expiring(() => this.#readLogo());
    // Moodle users become teachers unless an admin turned it off.
    this.#moodleUsers = expiring(() => this.#readSwitch(MOODLE_USERS_BECOME_TEACHERS, true));
    // The second hop is off unless an admin turned it on.
    this.#networkSearchOneHop = expiring(() => this.#readSwitch(NETWORK_SEARCH_ONE_HOP, false));
  }

  async federationPolicy(): Promise<FederationPolicy> {
    return (await this.federation()).policy.value;
  }

  async autoAcceptDomains(): Promise<readonly string[]> {
    return (await this.federation()).autoAccept.value;
  }

  /**
   * Both settings with where they come from, read at most once per SETTINGS_CACHE_MS
   * (concurrent askers share the read).
   */
  async federation(): Promise<FederationSettings> {
    return await this.#federation.get();
  }

  /**
   * Overrides the settings given, once all of them pass the configuration's rules (none
   * is stored otherwise): the policy's `mode` (open, allowlist or blocklist) and
   * `domains` as --federation and --domains, the auto-accepted hosts as --auto-accept.
   * Host names may be separated by commas, spaces or lines.
   */
  async update(
    changes: {
      readonly policy?: { readonly mode: string; readonly domains: string };
      readonly autoAccept?: string;
    },
    by: string,
  ): Promise<FederationSettings> {
    const { policy, autoAccept } = changes;
    const rows: Array<[string, unknown]> = [];
    if (policy) {
      const { mode, domains } = checked(() =>
        parseFederation(policy.mode.trim(), listText(policy.domains)),
      );
      rows.push([KEYS.policy, { mode, domains }]);
    }
    if (autoAccept !== undefined) {
      rows.push([KEYS.autoAccept, checked(() => parseDomains(listText(autoAccept), "autoAccept"))]);
    }
    const { nodeSettings } = this.#db.tables;
    const stored = { updatedAt: this.#now(), updatedBy: by };
    await this.#db.transaction(async (tx) => {
      for (const [key, value] of rows) {
        await tx
          .insert(nodeSettings)
          .values({ key, value, ...stored })
          .onConflictDoUpdate({ target: nodeSettings.key, set: { value, ...stored } });
      }
    });
    // This process sees its own change at once; the others within SETTINGS_CACHE_MS.
    this.#federation.forget();
    return await this.federation();
  }

  /** Drops an override: the configuration's value is in force again. */
  async reset(setting: SettingName): Promise<FederationSettings> {
    const { nodeSettings } = this.#db.tables;
    await this.#db.delete(nodeSettings).where(eq(nodeSettings.key, KEYS[setting]));
    this.#federation.forget();
    return await this.federation();
  }

  /**
   * Whether a Moodle user a registered site acts for gets a teacher account at their first
   * request (allowed unless an admin turned it off): without one, the node refuses them.
   */
  async moodleUsersBecomeTeachers(): Promise<boolean> {
    return (await this.moodleUsers()).becomeTeachers.value;
  }

  /** The Moodle-users setting with where it comes from, read at most once per SETTINGS_CACHE_MS. */
  async moodleUsers(): Promise<{ readonly becomeTeachers: EffectiveSetting<boolean> }> {
    return { becomeTeachers: await this.#moodleUsers.get() };
  }

  /** Turns "Moodle users become teachers at first use" on or off. */
  async setMoodleUsersBecomeTeachers(
    value: boolean,
    by: string,
  ): Promise<{ readonly becomeTeachers: EffectiveSetting<boolean> }> {
    await this.#store(MOODLE_USERS_BECOME_TEACHERS, value, by);
    this.#moodleUsers.forget();
    return await this.moodleUsers();
  }

  /**
   * The institution's logo, if an admin set one, read at most once per SETTINGS_CACHE_MS:
   * the actor and its icon URL are served from it on every fetch of the institution.
   */
  async institutionLogo(): Promise<InstitutionLogo | undefined> {
    return await this.#logo.get();
  }

  /** Sets the logo (checked by institution-logo.ts's checkLogo), or removes it with null. */
  async setInstitutionLogo(logo: InstitutionLogo | null, by: string): Promise<void> {
    if (logo === null) {
      const { nodeSettings } = this.#db.tables;
      await this.#db.delete(nodeSettings).where(eq(nodeSettings.key, INSTITUTION_LOGO));
    } else {
      const value = {
        mediaType: logo.mediaType,
        sha256: logo.sha256,
        base64: Buffer.from(logo.bytes).toString("base64"),
      };
      await this.#store(INSTITUTION_LOGO, value, by);
    }
    this.#logo.forget();
  }

  async #readLogo(): Promise<InstitutionLogo | undefined> {
    const { nodeSettings } = this.#db.tables;
    const [row] = await this.#db
      .select()
      .from(nodeSettings)
      .where(eq(nodeSettings.key, INSTITUTION_LOGO));
    const { mediaType, sha256, base64 } = (row?.value ?? {}) as Record<string, unknown>;
    if (
      typeof sha256 !== "string" ||
      typeof base64 !== "string" ||
      !LOGO_MEDIA_TYPES.includes(mediaType as LogoMediaType)
    ) {
      return undefined;
    }
    return {
      mediaType: mediaType as LogoMediaType,
      sha256,
      bytes: new Uint8Array(Buffer.from(base64, "base64")),
    };
  }

  /**
   * Whether a network search also asks the nodes that the nodes we follow say they
   * follow, one hop further (off unless an admin turned it on): more courses found, but
   * from servers nobody here chose.
   */
  async networkSearchOneHop(): Promise<boolean> {
    return (await this.networkSearch()).oneHop.value;
  }

  /** The network search setting with where it comes from, read at most once per SETTINGS_CACHE_MS. */
  async networkSearch(): Promise<{ readonly oneHop: EffectiveSetting<boolean> }> {
    return { oneHop: await this.#networkSearchOneHop.get() };
  }

  /** Turns the network search's second hop on or off. */
  async setNetworkSearchOneHop(
    value: boolean,
    by: string,
  ): Promise<{ readonly oneHop: EffectiveSetting<boolean> }> {
    await this.#store(NETWORK_SEARCH_ONE_HOP, value, by);
    this.#networkSearchOneHop.forget();
    return await this.networkSearch();
  }

  /** Stores an admin's value of the setting in row `key`, replacing the one there. */
  async #store(key: string, value: unknown, by: string): Promise<void> {
    const { nodeSettings } = this.#db.tables;
    const stored = { value, updatedAt: this.#now(), updatedBy: by };
    await this.#db
      .insert(nodeSettings)
      .values({ key, ...stored })
      .onConflictDoUpdate({ target: nodeSettings.key, set: stored });
  }

  /**
   * A switch no configuration sets, in row `key`: the admin's value, else `byDefault`
   * (a row that holds no boolean, written by hand or by another version, counts as none).
   */
  async #readSwitch(key: string, byDefault: boolean): Promise<EffectiveSetting<boolean>> {
    const { nodeSettings } = this.#db.tables;
    const [row] = await this.#db.select().from(nodeSettings).where(eq(nodeSettings.key, key));
    return row && typeof row.value === "boolean"
      ? {
          value: row.value,
          configured: byDefault,
          override: { updatedAt: row.updatedAt, updatedBy: row.updatedBy },
        }
      : { value: byDefault, configured: byDefault, override: null };
  }

  async #read(): Promise<FederationSettings> {
    const { nodeSettings } = this.#db.tables;
    const rows = new Map(
      // Only these rows: the table also keeps secrets (the sign-in cookie's key).
      (
        await this.#db
          .select()
          .from(nodeSettings)
          .where(inArray(nodeSettings.key, Object.values(KEYS)))
      ).map(({ key, ...stored }) => [key, stored]),
    );
    return {
      policy: effective(rows.get(KEYS.policy), this.#configured.federation, (value) => {
        const { mode, domains } = value as { mode?: unknown; domains?: unknown };
        return parseFederation(String(mode), stringList(domains).join(","));
      }),
      autoAccept: effective(
        rows.get(KEYS.autoAccept),
        this.#configured.autoAcceptDomains,
        (value) => parseDomains(stringList(value).join(","), "autoAccept"),
      ),
    };
  }
}

/**
 * A stored override, parsed again by the configuration's rules: a row that no longer
 * passes them (written by hand, or by another version) leaves the configuration in force.
 */
function effective<T>(
  stored: StoredSetting | undefined,
  configured: T,
  parse: (value: unknown) => T,
): EffectiveSetting<T> {
  if (!stored) return { value: configured, configured, override: null };
  try {
    return {
      value: parse(stored.value),
      configured,
      override: { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`coursefed: a stored setting is ignored: ${error.message}`);
    return { value: configured, configured, override: null };
  }
}

/** Host names as a person types them (one a line, or separated by commas), as --domains takes them. */
function listText(text: string): string {
  return text
    .split(/[\n,]/)
    .map((name) => name.trim())
    .filter(Boolean)
    .join(",");
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Runs the configuration's check, its refusal as a SettingsError naming the form field. */
function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const field = error.setting.startsWith("--federation")
      ? "mode"
      : error.setting.startsWith("--domains")
        ? "domains"
        : "autoAccept";
    throw new SettingsError(field, error.reason);
  }
}
