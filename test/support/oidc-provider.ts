import { createServer } from "node:http";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

/** A client as registered at the provider (OAuth dynamic registration metadata). */
export interface RegisteredClient {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly redirect_uris: readonly string[];
  readonly token_endpoint_auth_method?: "client_secret_basic" | "client_secret_post" | "none";
}

export interface TestOidcProvider {
  readonly issuer: string;
  /** The provider's signing key (private), to mint tokens only it could have signed. */
  readonly signingKey: JWK;
  /** Paths requested so far, in order (to count discovery fetches). */
  readonly requests: string[];
  stop(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) on a loopback port, PKCE required. Its
 * development interactions sign in whoever types a login, with the claims `people` gives
 * that login (read at each sign-in, so a test may change someone's groups). `groups` is
 * released under a scope of its own, as Keycloak and most bridges do.
 */
export async function startOidcProvider(options: {
  readonly clients: readonly RegisteredClient[];
  readonly people: Readonly<Record<string, Record<string, unknown>>>;
  /** How clients may authenticate at the token endpoint, as discovery will say. */
  readonly clientAuthMethods?: readonly string[];
  /** The issuer's host: localhost puts the provider on another site than 127.0.0.1 for a browser. */
  readonly host?: "127.0.0.1" | "localhost";
}): Promise<TestOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const issuer = `http://${options.host ?? "127.0.0.1"}:${port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey = {
    ...(await exportJWK(privateKey)),
    kid: "test-key",
    alg: "RS256",
    use: "sig",
  };
  const provider = new Provider(issuer, {
    clients: options.clients,
    ...(options.clientAuthMethods ? { clientAuthMethods: options.clientAuthMethods } : {}),
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: ["coursefed test provider cookies"] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    claims: {
      openid: ["sub"],
      profile: ["name", "given_name", "family_name", "preferred_username"],
      email: ["email"],
      groups: ["groups"],
    },
    findAccount: (_context: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, ...options.people[sub] }),
    }),
  });
  const requests: string[] = [];
  const handle = provider.callback();
  server.on("request", (request, response) => {
    requests.push(new URL(request.url ?? "/", issuer).pathname);
    handle(request, response);
  });
  return {
    issuer,
    signingKey,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Plays the browser at the provider: follows its redirects with its cookies, signs in as
 * `login` on its login page and consents, until it sends the browser to `redirectUri`;
 * returns that URL (the code, or the error if `abort` cancels the sign-in).
 */
export async function signInAtProvider(
  authorization: URL,
  login: string,
  redirectUri: string,
  { abort = false } = {},
): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = authorization;
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 20; step += 1) {
    const response = await fetch(url, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(form ? { body: form } : {}),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const separator = pair.indexOf("=");
      cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    const location = response.headers.get("location");
    if (location) {
      const next = new URL(location, url);
      if (next.href.startsWith(redirectUri)) return next;
      url = next;
      form = undefined;
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (response.status !== 200 || !action || !prompt) {
      throw new Error(`The provider answered ${response.status} at ${url.href}: ${page}`);
    }
    if (abort) {
      url = new URL(`${new URL(action, url).pathname}/abort`, url);
      form = undefined;
      continue;
    }
    url = new URL(action, url);
    form = new URLSearchParams(
      prompt === "login" ? { prompt, login, password: "any password" } : { prompt },
    );
  }
  throw new Error("The provider never sent the browser back");
}
