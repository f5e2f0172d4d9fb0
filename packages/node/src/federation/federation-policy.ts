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
 * The server that signed a request, from its HTTP signature's key id (RFC 9421
 * Signature-Input or draft-cavage Signature); undefined for an unsigned request.
 */
export function signerHost(headers: Headers): string | undefined {
  const source = `${headers.get("signature-input") ?? ""} ${headers.get("signature") ?? ""}`;
  const keyId = /keyid="([^"]+)"/i.exec(source)?.[1];
  if (!keyId) return undefined;
  try {
    return new URL(keyId).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
