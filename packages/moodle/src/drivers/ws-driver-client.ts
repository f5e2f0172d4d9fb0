import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { MoodleError, type MoodleErrorCode } from "../errors.ts";
import { isMoodleFailure, moodleErrorOf } from "./ws-driver-errors.ts";

export interface WsDriverConfig {
  /** The site's address (its wwwroot, or another address the node reaches it by). */
  readonly url: string;
  /** A token of the 'coursefed' service (packages/moodle-plugin/README.md). */
  readonly token: string;
  /** Longest a single request (restore, backup, download) may take. */
  readonly timeoutMs: number;
}

/** What a downloaded file must be, as Moodle described it. */
export interface ExpectedFile {
  readonly size: number;
  readonly sha1: string;
}

/**
 * HTTP to a Moodle site's web services: REST calls, and downloads through
 * webservice/pluginfile.php, streamed, never whole in memory (the site pulls the archives
 * it restores from the node itself). Every failure becomes a MoodleError.
 */
export class MoodleWebServiceClient {
  /** The site's address without a trailing slash. */
  readonly site: string;
  private readonly config: WsDriverConfig;

  constructor(config: WsDriverConfig) {
    this.config = config;
    this.site = config.url.replace(/\/+$/, "");
  }

  /** Calls a web service function; `fallback` is the code of errors Moodle does not name. */
  call(
    wsfunction: string,
    parameters: Readonly<Record<string, string | number>>,
    fallback: MoodleErrorCode,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const body = new URLSearchParams({
      wstoken: this.config.token,
      wsfunction,
      moodlewsrestformat: "json",
    });
    for (const [name, value] of Object.entries(parameters)) body.set(name, String(value));
    return this.withDeadline(wsfunction, fallback, signal, async (combined) => {
      const response = await fetch(`${this.site}/webservice/rest/server.php`, {
        method: "POST",
        body,
        // A POST redirected becomes a GET without its parameters.
        redirect: "error",
        signal: combined,
      });
      return this.answerOf(response, wsfunction, fallback);
    });
  }

  /**
   * Downloads a file Moodle offers on webservice/pluginfile.php into `destination`,
   * checking its size and SHA-1; nothing is left at `destination` when it fails.
   */
  download(
    fileUrl: string,
    destination: string,
    expected: ExpectedFile,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const url = this.pluginfileUrl(fileUrl);
    const partial = `${destination}.part`;
    return this.withDeadline("the download", "BACKUP_FAILED", signal, async (combined) => {
      const response = await fetch(url, { signal: combined });
      const type = response.headers.get("content-type") ?? "";
      if (!response.ok || !response.body || type.includes("application/json")) {
        await this.answerOf(response, "the download", "BACKUP_FAILED");
        throw new MoodleError(
          "BACKUP_FAILED",
          `${this.site} answered the download of ${basename(destination)} with HTTP ${response.status}.`,
        );
      }
      const hash = createHash("sha1");
      let size = 0;
      const site = this.site;
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          // A site that sends more than it announced is stopped there, not let fill the disk.
          if (size > expected.size) {
            done(
              new MoodleError(
                "BACKUP_FAILED",
                `${site} sent more than the ${expected.size} bytes it announced for ${basename(destination)}; the download was discarded.`,
              ),
            );
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(
          Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
          measure,
          createWriteStream(partial),
        );
        const sha1 = hash.digest("hex");
        if (size !== expected.size || sha1 !== expected.sha1) {
          throw new MoodleError(
            "BACKUP_FAILED",
            `The backup downloaded from ${this.site} is ${size} bytes with SHA-1 ${sha1}; Moodle announced ${expected.size} bytes with SHA-1 ${expected.sha1}.`,
          );
        }
        await rename(partial, destination);
      } catch (error) {
        await rm(partial, { force: true });
        if (isFileSystemError(error)) {
          throw new MoodleError(
            "BACKUP_FAILED",
            `Could not write the backup to ${destination}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        throw error;
      }
    });
  }

  /**
   * Moodle builds file addresses from its wwwroot, which the node may reach by another
   * name: keep the file's path below webservice/pluginfile.php, on the configured address.
   */
  private pluginfileUrl(fileUrl: string): URL {
    const marker = "/webservice/pluginfile.php/";
    const at = fileUrl.indexOf(marker);
    if (at < 0) {
      throw new MoodleError(
        "BACKUP_FAILED",
        `${this.site} offered the backup at an unexpected address: ${fileUrl}`,
      );
    }
    const url = new URL(`${this.site}${fileUrl.slice(at)}`);
    url.searchParams.set("token", this.config.token);
    return url;
  }

  /** The JSON of a successful answer, or the MoodleError it stands for. */
  private async answerOf(
    response: Response,
    what: string,
    fallback: MoodleErrorCode,
  ): Promise<unknown> {
    const text = await response.text();
    if (response.status === 403 && text.trim() === "") {
      throw new MoodleError(
        "MISCONFIGURED",
        `${this.site} answered ${what} with HTTP 403 and nothing else: enable web services and the REST protocol (Site administration > Server > Web services).`,
        { log: text },
      );
    }
    if (response.status >= 500) {
      throw new MoodleError(
        "UNREACHABLE",
        `${this.site} failed ${what} with HTTP ${response.status}.`,
        {
          transient: true,
          log: text.slice(0, 4000),
        },
      );
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new MoodleError(
        "MISCONFIGURED",
        `${this.site} answered ${what} with HTTP ${response.status} and no JSON: is it the address of a Moodle site?`,
        { log: text.slice(0, 4000) },
      );
    }
    if (isMoodleFailure(answer)) throw moodleErrorOf(this.site, answer, fallback, text);
    if (!response.ok) {
      throw new MoodleError(
        "MISCONFIGURED",
        `${this.site} answered ${what} with HTTP ${response.status}.`,
        { log: text.slice(0, 4000) },
      );
    }
    return answer;
  }

  /** Runs one request under the configured timeout and the caller's signal; `fallback` is the code of local file errors. */
  private async withDeadline<T>(
    what: string,
    fallback: MoodleErrorCode,
    signal: AbortSignal | undefined,
    work: (combined: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(this.config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await work(combined);
    } catch (error) {
      if (error instanceof MoodleError) throw error;
      // The caller's own abort is theirs to handle, not a fault of the site.
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) {
        throw new MoodleError(
          "TIMEOUT",
          `${this.site} did not finish ${what} within ${this.config.timeoutMs} ms.`,
          { transient: true, cause: error },
        );
      }
      if (isFileSystemError(error)) {
        throw new MoodleError(
          fallback,
          `Could not read or write a local file for ${what}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      if (causeOf(error).includes("redirect")) {
        throw new MoodleError(
          "MISCONFIGURED",
          `${this.site} redirected ${what}: configure the site's exact address, as its wwwroot says (scheme, host, path).`,
          { cause: error },
        );
      }
      throw new MoodleError(
        "UNREACHABLE",
        `${this.site} could not be reached for ${what}: ${causeOf(error)}. Check that the site is up, that this host reaches it, and that the target's address is the site's own (its wwwroot).`,
        {
          transient: true,
          cause: error,
        },
      );
    }
  }
}

/** Errors of node:fs carry the path they were about; network errors do not. */
function isFileSystemError(error: unknown): boolean {
  return typeof error === "object" && error !== null && "path" in error && "syscall" in error;
}

/** fetch says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.code
    ? `${message} (${cause.code})`
    : cause?.message
      ? `${message} (${cause.message})`
      : message;
}
