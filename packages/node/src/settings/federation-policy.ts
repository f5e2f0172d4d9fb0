import { ConfigError } from "../config-error.ts";
import { CONFIG_ENVIRONMENT, CONFIG_FLAGS } from "../config-names.ts";

export const FEDERATION_MODES = ["open", "allowlist", "blocklist"] as const;

/** Which servers this node federates with. */
export interface FederationPolicy {
  readonly mode: (typeof FEDERATION_MODES)[number];
  /** Host names; each also covers its subdomains. */
  readonly domains: readonly string[];
}

export const OPEN_FEDERATION: FederationPolicy = { mode: "open", domains: [] };

/** Whether `host` (a URL, or a host name) is one this node talks to. */
export function federatesWith(policy: FederationPolicy, host: URL | string): boolean {
  if (policy.mode === "open") return true;
  const name = (typeof host === "string" ? host : host.hostname).toLowerCase();
  const listed = policy.domains.some((domain) => name === domain || name.endsWith(`.${domain}`));
  return policy.mode === "allowlist" ? listed : !listed;
}

/**
 * Comma-separated host names, lowercased; ConfigError names `key`'s flag. Exported for
 * the settings admins change in the console, checked by the same rules.
 */
export function parseDomains(text: string, key: keyof typeof CONFIG_ENVIRONMENT): string[] {
  const domains = text
    .split(",")
    .map((domain) => domain.trim().toLowerCase())
    .filter(Boolean);
  for (const domain of domains) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
      throw new ConfigError(
        `${CONFIG_FLAGS[key]} (${CONFIG_ENVIRONMENT[key]})`,
        `"${domain}" is not a host name; write e.g. univ-lyon.example,ac-paris.example.`,
      );
    }
  }
  return domains;
}

/** A federation mode and its comma-separated hosts; exported for the console's settings. */
export function parseFederation(mode: string, domains: string): FederationPolicy {
  if (mode !== "open" && mode !== "allowlist" && mode !== "blocklist") {
    throw new ConfigError(
      `--federation (${CONFIG_ENVIRONMENT.federation})`,
      `"${mode}" is not a federation mode; use open, allowlist or blocklist.`,
    );
  }
  const listed = parseDomains(domains, "domains");
  if (mode === "allowlist" && listed.length === 0) {
    throw new ConfigError(
      `--domains (${CONFIG_ENVIRONMENT.domains})`,
      "an allowlist needs at least one host; list the servers this node may federate with.",
    );
  }
  return { mode, domains: listed };
}
