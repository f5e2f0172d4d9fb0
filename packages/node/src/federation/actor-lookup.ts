import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Context } from "@fedify/fedify";
import { type Actor, Object as APObject, getTypeId, isActor } from "@fedify/vocab";
import type { ActorResolver } from "../follows/follow-service.ts";
import { FollowError, type FollowTarget } from "../follows/follow-target.ts";
import { ALLOW_PRIVATE_ADDRESSES_ADVICE, isPrivateAddress } from "../private-addresses.ts";
import type { FederationServices } from "./context.ts";
import { describeRemoteActor } from "./remote-actor.ts";

/** Whether `hostname` is, or resolves to, an address that is not public. */
async function isPrivateHost(hostname: string): Promise<boolean> {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) return isPrivateAddress(bare);
  let addresses: { address: string }[];
  try {
    addresses = await lookup(bare, { all: true });
  } catch (error) {
    throw new FollowError(
      "UNREACHABLE",
      `The host name ${bare} could not be resolved (${networkReason(error)}); check the address.`,
    );
  }
  return addresses.some(({ address }) => isPrivateAddress(address));
}

/**
 * Refuses a private or loopback host unless the node was started to allow them; says
 * which switch does it.
 */
export async function checkAddressAllowed(
  hostname: string,
  allowPrivateAddresses: boolean,
): Promise<void> {
  if (allowPrivateAddresses || !(await isPrivateHost(hostname))) return;
  throw new FollowError(
    "PRIVATE_ADDRESS",
    `${hostname} is a private or loopback address, and this node only talks to public ones. ${ALLOW_PRIVATE_ADDRESSES_ADVICE}`,
  );
}

/** A network failure in a few words: Node's fetch hides the reason in its cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === "string" && message !== "" ? message : String(cause);
  return typeof code === "string" && !text.includes(code) ? `${code}: ${text}` : text;
}

/**
 * The actor URL a handle names, from WebFinger. Fedify asks https only; a node configured
 * on http (an intranet) or one allowed to reach private hosts also asks over http, since
 * peers there often serve plain http.
 */
async function webFingerActor(
  target: Extract<FollowTarget, { kind: "handle" }>,
  alsoHttp: boolean,
  allowPrivateAddresses: boolean,
): Promise<URL> {
  const handle = `@${target.user}@${target.host}`;
  const failures: string[] = [];
  for (const scheme of alsoHttp ? ["https", "http"] : ["https"]) {
    const url = new URL(`${scheme}://${target.host}/.well-known/webfinger`);
    url.searchParams.set("resource", `acct:${target.user}@${target.host}`);
    let response: Response;
    try {
      response = await fetchWithoutPrivateRedirects(url, allowPrivateAddresses);
    } catch (error) {
      if (error instanceof FollowError) throw error;
      failures.push(`${url.origin}: ${networkReason(error)}`);
      continue;
    }
    if (response.status === 404 || response.status === 410) {
      throw new FollowError(
        "NOT_FOUND",
        `${target.host} answers, but has no account ${target.user} (WebFinger at ${url.origin} found nothing for ${handle}); check the handle.`,
      );
    }
    if (!response.ok) {
      failures.push(`${url.origin}: WebFinger answered HTTP ${response.status}`);
      continue;
    }
    const jrd = (await response.json().catch(() => undefined)) as
      | { links?: { rel?: string; type?: string; href?: string }[] }
      | undefined;
    const self = jrd?.links?.find(
      (link) =>
        link.rel === "self" &&
        link.href !== undefined &&
        (link.type === "application/activity+json" ||
          /^application\/ld\+json;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams"/.test(
            link.type ?? "",
          )),
    );
    if (!self?.href || !URL.canParse(self.href)) {
      throw new FollowError(
        "NOT_AN_ACTOR",
        `${target.host} knows ${handle}, but names no ActivityPub actor for it (its WebFinger answer has no self link of type application/activity+json): it is not an account or institution that can be followed from here.`,
      );
    }
    return new URL(self.href);
  }
  throw new FollowError(
    "UNREACHABLE",
    `${target.host} could not be reached to look ${handle} up (${failures.join("; ")}). Check that its node runs and that this host can reach it.`,
  );
}

/** fetch, following at most 5 redirects, none of them to a private host unless allowed. */
async function fetchWithoutPrivateRedirects(
  start: URL,
  allowPrivateAddresses: boolean,
): Promise<Response> {
  let url = start;
  for (let hops = 0; hops <= 5; hops++) {
    const response = await fetch(url, {
      headers: { accept: "application/jrd+json, application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return response;
    url = new URL(location, url);
    await checkAddressAllowed(url.hostname, allowPrivateAddresses);
  }
  throw new Error(`too many redirects from ${start.href}`);
}

/**
 * The actor `target` names, or a FollowError saying why there is none: not resolvable,
 * a private address not allowed, unreachable (with the network's reason), nothing there,
 * or something that is not an actor (and what it is).
 */
export async function lookUpActor(
  ctx: Context<FederationServices>,
  target: FollowTarget,
): Promise<Actor> {
  const allowPrivate = ctx.data.allowPrivateAddresses;
  await checkAddressAllowed(target.hostname, allowPrivate);
  const url =
    target.kind === "url"
      ? target.url
      : await webFingerActor(target, ctx.origin.startsWith("http:") || allowPrivate, allowPrivate);
  if (target.kind === "handle") await checkAddressAllowed(url.hostname, allowPrivate);
  const shown = target.kind === "url" ? url.href : `@${target.user}@${target.host} (${url.href})`;
  let document: Awaited<ReturnType<typeof ctx.documentLoader>>;
  try {
    document = await ctx.documentLoader(url.href);
  } catch (error) {
    // Fedify's FetchError holds the response; its cache wraps it in a message of its own.
    const status =
      (error as { response?: Response }).response?.status.toString() ??
      /\bHTTP (\d{3})\b/.exec(String((error as Error).message))?.[1];
    if (status === "404" || status === "410") {
      throw new FollowError(
        "NOT_FOUND",
        `Nothing was found at ${shown} (HTTP ${status}); check the address.`,
      );
    }
    throw new FollowError(
      "UNREACHABLE",
      `${shown} could not be fetched (${status ? `HTTP ${status}` : networkReason(error)}). Check that its node runs and that this host can reach it.`,
    );
  }
  let found: APObject;
  try {
    found = await APObject.fromJsonLd(document.document, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
      baseUrl: new URL(document.documentUrl),
    });
  } catch {
    throw new FollowError(
      "NOT_AN_ACTOR",
      `${shown} answered with something that is not an ActivityPub object (a web page?): it is not an account or institution that can be followed. Use its @user@host handle or its actor URL.`,
    );
  }
  // A document may only speak for its own origin (as Fedify's lookupObject checks).
  if (found.id && found.id.origin !== new URL(document.documentUrl).origin) {
    throw new FollowError(
      "NOT_AN_ACTOR",
      `${shown} answered with an object of another server (${found.id.href}); it is not followed from a copy.`,
    );
  }
  if (!isActor(found)) {
    const type = getTypeId(found).href.replace("https://www.w3.org/ns/activitystreams#", "");
    const author = found.attributionId
      ? ` published by ${found.attributionId.href}: follow that instead`
      : "";
    throw new FollowError(
      "NOT_AN_ACTOR",
      `${shown} is an ActivityPub ${type}${author ? `,${author}` : ", not an account or institution that can be followed"}.`,
    );
  }
  return found;
}

/** Following's lookup: the actor a target names, kept as the node keeps remote actors. */
export function actorResolver(ctx: Context<FederationServices>): ActorResolver {
  return {
    async resolve(target) {
      const found = await lookUpActor(ctx, target);
      return { hostname: found.id?.hostname, describe: () => describeRemoteActor(found) };
    },
  };
}
