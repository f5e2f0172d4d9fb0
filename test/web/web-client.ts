/**
 * A browser in miniature for the web interface's tests: keeps cookies, follows no
 * redirect by itself, and reads the CSRF token from the last page it got.
 */
export class WebClient {
  readonly #base: URL;
  readonly #cookies = new Map<string, string>();
  readonly #headers: Record<string, string>;
  /** The CSRF token of the last page that had a form. */
  csrf = "";

  constructor(base: URL, headers: Record<string, string> = {}) {
    this.#base = base;
    this.#headers = headers;
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#keep(
      await fetch(new URL(path, this.#base), {
        redirect: "manual",
        headers: { ...this.#headers, ...headers, cookie: this.#cookieHeader() },
      }),
    );
  }

  /** GETs a page and returns its HTML, noting its CSRF token. */
  async page(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; html: string }> {
    const response = await this.get(path, headers);
    const html = await response.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? this.csrf;
    return { status: response.status, html };
  }

  /**
   * POSTs a form; the CSRF token is the last page's unless `fields` sets `_csrf`. A list
   * is sent as several values of one name, as a multiple select sends them.
   */
  async post(path: string, fields: Record<string, string | readonly string[]>): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.csrf });
    for (const [name, value] of Object.entries(fields)) {
      body.delete(name);
      for (const each of typeof value === "string" ? [value] : value) body.append(name, each);
    }
    return this.#keep(
      await fetch(new URL(path, this.#base), {
        method: "POST",
        redirect: "manual",
        headers: {
          ...this.#headers,
          cookie: this.#cookieHeader(),
          "content-type": "application/x-www-form-urlencoded",
        },
        body,
      }),
    );
  }

  /** Signs in through the form; returns the response to the form's POST. */
  async login(username: string, password: string): Promise<Response> {
    await this.page("/login");
    return await this.post("/login", { username, password, next: "/catalog" });
  }

  #keep(response: Response): Response {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}
