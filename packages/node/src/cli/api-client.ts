import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline, Readable, Transform } from "node:stream";
import type { Command } from "commander";
import { ExitCode } from "./exit-codes.ts";

export const DEFAULT_NODE = "http://127.0.0.1:8321/";

/** A request the node refused or could not answer, with the exit code it calls for. */
export class ApiClientError extends Error {
  override readonly name = "ApiClientError";
  readonly exitCode: number;
  readonly code: string | undefined;
  readonly details: unknown;

  constructor(message: string, exitCode: number, code?: string, details?: unknown) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
    this.details = details;
  }
}

export function addNodeOptions(command: Command): Command {
  return command
    .option("--node <url>", `the node's URL [COURSEFED_NODE] (default ${DEFAULT_NODE})`)
    .option(
      "--token <token>",
      "an API token of that node [COURSEFED_TOKEN] (`coursefed serve` prints one on first start)",
    );
}

/** Talks to a running node's HTTP API with a token. */
export class ApiClient {
  readonly #base: URL;
  readonly #token: string;

  constructor(options: { node?: string; token?: string }) {
    const node = options.node ?? process.env.COURSEFED_NODE ?? DEFAULT_NODE;
    const token = options.token ?? process.env.COURSEFED_TOKEN;
    if (!token) {
      throw new ApiClientError(
        "No API token: pass --token or set COURSEFED_TOKEN (the node prints an admin token when it first starts).",
        ExitCode.invalidInput,
      );
    }
    try {
      this.#base = new URL("/api/v1/", node);
    } catch {
      throw new ApiClientError(
        `"${node}" is not a URL; pass --node https://your-node.example/.`,
        ExitCode.invalidInput,
      );
    }
    this.#token = token;
  }

  /** The full URL of an API path, and the header that authorizes a request to it. */
  endpoint(path: string): { url: URL; headers: Record<string, string> } {
    return {
      url: new URL(path.replace(/^\//, ""), this.#base),
      headers: { authorization: `Bearer ${this.#token}` },
    };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    // A JSON type without a body is refused by the node as an empty JSON document.
    return (await this.#send(
      method,
      path,
      body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    )) as T;
  }

  /** Streams a file as the request body, reporting bytes sent. */
  async upload<T>(
    path: string,
    file: string,
    onProgress?: (sent: number, total: number) => void,
    method: "POST" | "PUT" = "POST",
  ): Promise<T> {
    const { size } = await stat(file);
    let sent = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sent += chunk.length;
        onProgress?.(sent, size);
        callback(null, chunk);
      },
    });
    // pipeline, not pipe: a read error (the file moved or cut while sending) then ends
    // the request instead of being thrown where nothing listens.
    const body = Readable.toWeb(
      pipeline(createReadStream(file), meter, () => {}),
    ) as ReadableStream;
    return (await this.#send(method, path, {
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body,
      duplex: "half",
    })) as T;
  }

  async #send(
    method: string,
    path: string,
    init: RequestInit & { duplex?: "half" },
  ): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ""), this.#base);
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        method,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.#token}`,
        },
      });
    } catch (error) {
      throw new ApiClientError(
        `Cannot reach the node at ${this.#base.origin} (${(error as Error).cause ?? (error as Error).message}); is \`coursefed serve\` running there?`,
        ExitCode.unavailable,
      );
    }
    const text = await response.text();
    const payload = text ? safeJson(text) : undefined;
    if (response.ok) return payload;
    const error = (
      payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined
    )?.error;
    const message =
      error?.message ?? `The node answered ${response.status} ${response.statusText}.`;
    const exitCode =
      error?.code === "personal_data"
        ? ExitCode.personalData
        : response.status >= 500
          ? ExitCode.unavailable
          : ExitCode.invalidInput;
    throw new ApiClientError(message, exitCode, error?.code, error?.details);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
