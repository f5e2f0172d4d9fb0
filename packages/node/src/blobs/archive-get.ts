import { type LookupAddress, lookup } from "node:dns";
import {
  connect as connectTcp,
  isIP,
  type LookupFunction,
  type OnReadOpts,
  type Socket,
} from "node:net";
import { type ConnectionOptions, connect as connectTls } from "node:tls";
import { ALLOW_PRIVATE_ADDRESSES_ADVICE, isPrivateAddress } from "../private-addresses.ts";

/**
 * One GET of an archive over HTTP/1.1, its body read from the socket straight into a few
 * reused 1 MiB buffers and handed on from there: no buffer allocated per network read,
 * no stream between the socket and the file. node:http's client gave each 64 KiB read a
 * new buffer and passed it through the socket's stream, its parser and the response's
 * stream: receiving 190 MB cost the downloading thread about 0.18 s of CPU that way,
 * against 0.05 s here, two thirds of what kept the fetch behind curl's
 * (docs/performance.md, "Downloads").
 */
export interface ArchiveAnswer {
  readonly status: number;
  readonly statusMessage: string;
  /** By lower-case name; a header sent several times has its values joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * Reads the body. Each piece goes to `accept` as it arrives (it throws to refuse the
   * body), then to `write` gathered in batches, one write at a time and in order; `write`
   * must be done with a batch when its promise settles (the memory is reused). Resolves
   * once the whole body is written. When the body is cut, what was accepted before is
   * written all the same and the cut is thrown; after a refused piece or a failed write,
   * nothing more is written.
   */
  readBody(accept: (piece: Buffer) => void, write: (batch: Buffer) => Promise<void>): Promise<void>;
  /** Lets the connection go without reading the body. */
  close(): void;
}

/**
 * The peer's answer is not one this client reads: malformed or ambiguous framing, a head
 * too large, a coding other than chunked, or a peer too slow. A peer is not trusted, so
 * each of these ends the transfer rather than being guessed around.
 */
export class ArchiveAnswerError extends Error {
  override readonly name = "ArchiveAnswerError";
}

/**
 * How slow a peer may be: the answer's head must come within `windowMs` of the request,
 * and while the body is read (not waiting for the disk) each `windowMs` must bring at
 * least `minBytes`, so that a peer that stalls or trickles a byte now and then (slowloris)
 * does not hold the download, its lock and its connection for ever.
 */
export interface ArchivePace {
  readonly windowMs: number;
  readonly minBytes: number;
}

/** A minute per head, and at least 16 KiB a minute after: any real link does far better. */
const DEFAULT_PACE: ArchivePace = { windowMs: 60_000, minBytes: 16 * 1024 };

/**
 * The peer's host is, or resolves to, a private or loopback address the node may not
 * reach: checked on the address connected to, so that a name that changed its address
 * since it was checked (DNS rebinding) is caught too.
 */
export class ArchiveAddressError extends Error {
  override readonly name = "ArchiveAddressError";

  constructor(hostname: string, address: string) {
    super(
      `${hostname} is on the private or loopback address ${address}, and this node only talks to public ones. ${ALLOW_PRIVATE_ADDRESSES_ADVICE}`,
    );
  }
}

/** Bytes gathered before a write: a few large writes, each under way while more arrive. */
const BATCH_BYTES = 1024 * 1024;
/** One batch being filled from the socket, the others being written or waiting to be. */
const BATCHES = 3;
/** The least room a socket read is given: a batch with less left goes to be written. */
const MIN_READ_BYTES = 64 * 1024;
/** Status line and headers, at most (node:http's default limit). */
const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line with its extensions, or all the trailers, at most. */
const MAX_CHUNK_FRAMING_BYTES = 16 * 1024;
/**
 * Interim answers (1xx) skipped before the real one, at most: each is moved out of the
 * batch, so a read full of them would otherwise cost a copy of the batch apiece.
 */
const MAX_INTERIM_ANSWERS = 8;

/**
 * Sends `GET url` with `headers` (on a connection of its own, closed after the answer)
 * and gives back the answer once its head has arrived.
 */
export async function getArchive(
  url: URL,
  headers: Readonly<Record<string, string>>,
  options: {
    readonly pace?: ArchivePace;
    /** False to refuse a host on a private or loopback address, as a peer's. */
    readonly allowPrivateAddresses?: boolean;
  } = {},
): Promise<ArchiveAnswer> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${url.protocol} is not HTTP`);
  }
  const request = requestHead(url, headers);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const publicOnly = options.allowPrivateAddresses === false;
  if (publicOnly && isIP(hostname) !== 0 && isPrivateAddress(hostname)) {
    throw new ArchiveAddressError(hostname, hostname);
  }
  const get = new ArchiveGet(options.pace ?? DEFAULT_PACE);
  const onread: OnReadOpts = { buffer: () => get.nextReadBuffer(), callback: get.onRead };
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const connection = {
    host: hostname,
    port,
    onread,
    ...(publicOnly ? { lookup: publicLookup } : {}),
  };
  // tls.connect takes onread as net.connect does (Node's documentation); its types lack it.
  const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = {
    ...connection,
    servername: isIP(hostname) ? undefined : hostname,
  };
  const socket = url.protocol === "https:" ? connectTls(tlsOptions) : connectTcp(connection);
  return await get.start(socket, request);
}

/** dns.lookup, failing when any address found is private or loopback. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, options, (error, address: string | LookupAddress[], family?: number) => {
    const found =
      typeof address === "string" ? [address] : (address ?? []).map((each) => each.address);
    const refused = error ? undefined : found.find((each) => isPrivateAddress(each));
    callback(
      refused === undefined ? error : new ArchiveAddressError(hostname, refused),
      address,
      family,
    );
  });
};

function requestHead(url: URL, headers: Readonly<Record<string, string>>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`];
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  // A signature may cover Host: the signer's value is sent as it is, else the URL's.
  if (!names.has("host")) lines.push(`host: ${url.host}`);
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new Error(`the request header ${JSON.stringify(name)} is not a valid HTTP header`);
    }
    if (name.toLowerCase() !== "connection") lines.push(`${name}: ${value}`);
  }
  lines.push("connection: close", "", "");
  return lines.join("\r\n");
}

type Framing =
  | { readonly kind: "length"; left: number }
  | { readonly kind: "chunked"; readonly decoder: ChunkedDecoder }
  | { readonly kind: "until-close" }
  | { readonly kind: "none" };

class ArchiveGet implements ArchiveAnswer {
  status = 0;
  statusMessage = "";
  readonly headers = new Map<string, string>();
  #socket: Socket | undefined;
  /** Batches not being written: the first one is being filled. */
  readonly #free: Buffer[] = Array.from({ length: BATCHES }, () =>
    Buffer.allocUnsafeSlow(BATCH_BYTES),
  );
  /**
   * Where socket reads go while the socket is paused: the buffer for its next read is
   * chosen when it pauses, and what the batch will need then is not known yet.
   */
  readonly #spare = Buffer.allocUnsafeSlow(MIN_READ_BYTES);
  #paused = false;
  /** Bytes of the batch being filled that are taken: the head, then the body's data. */
  #filled = 0;
  /** Where the body's data starts in the batch being filled (past the head, in the first). */
  #dataStart = 0;
  /** Bytes received after the head before the body was asked for, at #filled. */
  #early = 0;
  #phase: "head" | "head-read" | "body" | "over" = "head";
  #framing: Framing = { kind: "none" };
  #onHead: { resolve: (answer: ArchiveAnswer) => void; reject: (error: Error) => void } | undefined;
  #onBody:
    | {
        readonly accept: (piece: Buffer) => void;
        readonly write: (batch: Buffer) => Promise<void>;
        readonly resolve: () => void;
        readonly reject: (error: Error) => void;
      }
    | undefined;
  #refused = false;
  #writing: Promise<void> = Promise.resolve();
  #writeFailed = false;
  /** How the connection ended before the body was asked for. */
  #endedEarly: { readonly error: Error | undefined } | undefined;
  readonly #pace: ArchivePace;
  #paceTimer: NodeJS.Timeout | undefined;
  /** Bytes received since the pace was last checked. */
  #receivedInWindow = 0;
  #interimAnswers = 0;

  constructor(pace: ArchivePace) {
    this.#pace = pace;
  }

  start(socket: Socket, request: string): Promise<ArchiveAnswer> {
    this.#socket = socket;
    return new Promise((resolve, reject) => {
      this.#onHead = { resolve, reject };
      this.#paceTimer = setTimeout(this.#checkPace, this.#pace.windowMs);
      socket.on("error", (error) => this.#end(error));
      socket.on("close", () => this.#end(undefined));
      socket.write(request);
    });
  }

  nextReadBuffer(): Buffer {
    const batch = this.#free[0];
    return batch && !this.#paused ? batch.subarray(this.#filled) : this.#spare;
  }

  readonly onRead = (length: number, buffer: Buffer): boolean => {
    const batch = this.#free[0];
    if (this.#phase === "over") return this.#pause();
    this.#receivedInWindow += length;
    try {
      if (!batch) throw new Error("a read came with no room to keep it");
      if (buffer === this.#spare) {
        const at = this.#filled + this.#early;
        if (at + length > BATCH_BYTES) throw new Error("more was read than there was room for");
        batch.set(buffer.subarray(0, length), at);
      }
      if (this.#phase === "head") {
        this.#filled += length;
        return this.#readHead(batch) || this.#pause();
      }
      if (this.#phase === "head-read") {
        // Not asked for yet: kept where the body will be taken from.
        this.#early += length;
        return this.#pause();
      }
      this.#takeBody(batch, this.#filled, length);
    } catch (error) {
      this.#end(error as Error);
      return this.#pause();
    }
    return (this.#phase === "body" && this.#makeRoom()) || this.#pause();
  };

  readBody(
    accept: (piece: Buffer) => void,
    write: (batch: Buffer) => Promise<void>,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#onBody = { accept, write, resolve, reject };
      if (this.#phase !== "head-read") {
        reject(new Error("the answer's body was already read"));
        return;
      }
      this.#phase = "body";
      this.#restartPace();
      if (this.#framing.kind === "none") {
        this.#finish(undefined);
        return;
      }
      const batch = this.#free[0] as Buffer;
      const early = this.#early;
      this.#early = 0;
      try {
        this.#takeBody(batch, this.#filled, early);
      } catch (error) {
        this.#end(error as Error);
        return;
      }
      if (this.#endedEarly) this.#end(this.#endedEarly.error);
      else if (this.#phase === "body" && this.#makeRoom()) this.#resume();
    });
  }

  close(): void {
    this.#end(new Error("the answer was let go"));
  }

  readonly #checkPace = (): void => {
    const { windowMs, minBytes } = this.#pace;
    if (this.#phase === "head") {
      this.#end(new ArchiveAnswerError(`the peer sent no answer within ${windowMs / 1000} s`));
      return;
    }
    // Waiting for the caller or for the disk is not the peer's slowness.
    const judged = this.#phase === "body" && !this.#paused;
    if (judged && this.#receivedInWindow < minBytes) {
      this.#end(
        new ArchiveAnswerError(
          `the peer sent ${this.#receivedInWindow} bytes in ${windowMs / 1000} s, less than the ${minBytes} a working peer sends`,
        ),
      );
      return;
    }
    this.#receivedInWindow = 0;
    this.#paceTimer = setTimeout(this.#checkPace, windowMs);
  };

  #stopPace(): void {
    clearTimeout(this.#paceTimer);
  }

  /** A window starts afresh when reading starts or resumes: time spent waiting is not the peer's. */
  #restartPace(): void {
    this.#stopPace();
    this.#receivedInWindow = 0;
    this.#paceTimer = setTimeout(this.#checkPace, this.#pace.windowMs);
  }

  #pause(): false {
    this.#paused = true;
    return false;
  }

  #resume(): void {
    this.#paused = false;
    this.#restartPace();
    this.#socket?.resume();
  }

  /** Whether to read on for the rest of the head. */
  #readHead(batch: Buffer): boolean {
    for (;;) {
      // Looked for in the first MAX_HEAD_BYTES only, however much one read brought.
      const end = batch.subarray(0, Math.min(this.#filled, MAX_HEAD_BYTES)).indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.#filled >= MAX_HEAD_BYTES) {
          throw new ArchiveAnswerError(`the answer's head is larger than ${MAX_HEAD_BYTES} bytes`);
        }
        return true;
      }
      this.#parseHead(batch.toString("latin1", 0, end));
      const after = end + 4;
      if (this.status >= 100 && this.status < 200) {
        if (++this.#interimAnswers > MAX_INTERIM_ANSWERS) {
          throw new ArchiveAnswerError(
            `the answer has more than ${MAX_INTERIM_ANSWERS} interim (1xx) answers before it`,
          );
        }
        // An interim answer (103 Early Hints): the real one follows.
        batch.copyWithin(0, after, this.#filled);
        this.#filled -= after;
        this.headers.clear();
        continue;
      }
      this.#framing = framingOf(this.status, this.headers);
      this.#dataStart = after;
      this.#early = this.#filled - after;
      this.#filled = after;
      this.#phase = "head-read";
      this.#onHead?.resolve(this);
      return false;
    }
  }

  #parseHead(head: string): void {
    const [statusLine = "", ...lines] = head.split("\r\n");
    const status = /^HTTP\/1\.[01] ([1-9]\d\d)(?: (.*))?$/.exec(statusLine);
    if (!status || hasControlCharacter(statusLine)) {
      throw new ArchiveAnswerError(
        `the answer is not HTTP/1.1: ${JSON.stringify(statusLine.slice(0, 80))}`,
      );
    }
    this.status = Number(status[1]);
    this.statusMessage = status[2] ?? "";
    for (const line of lines) {
      // No obs-fold, no control characters but tabs (a NUL, a lone CR or LF).
      const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (!header || hasControlCharacter(line)) {
        throw new ArchiveAnswerError(
          `the answer has a malformed header: ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      const name = (header[1] as string).toLowerCase();
      const value = header[2] as string;
      const before = this.headers.get(name);
      this.headers.set(name, before === undefined ? value : `${before}, ${value}`);
    }
  }

  /** Frames `length` bytes received at `from` in the batch: their data moves to #filled. */
  #takeBody(batch: Buffer, from: number, length: number): void {
    const start = this.#filled;
    const framing = this.#framing;
    let complete = false;
    if (framing.kind === "length") {
      const taken = Math.min(length, framing.left);
      if (from !== start) batch.copyWithin(start, from, from + taken);
      this.#filled += taken;
      framing.left -= taken;
      complete = framing.left === 0;
    } else if (framing.kind === "chunked") {
      const decoded = framing.decoder.decode(batch, from, from + length, start);
      this.#filled = decoded.end;
      complete = decoded.done;
    } else if (framing.kind === "until-close") {
      if (from !== start) batch.copyWithin(start, from, from + length);
      this.#filled += length;
    }
    if (this.#filled > start) {
      try {
        this.#onBody?.accept(batch.subarray(start, this.#filled));
      } catch (error) {
        this.#refused = true;
        throw error;
      }
    }
    if (complete) this.#finish(undefined);
  }

  /** Hands a nearly full batch to the writer; false when no batch is left to read into. */
  #makeRoom(): boolean {
    if (BATCH_BYTES - this.#filled >= MIN_READ_BYTES) return true;
    this.#submit();
    return this.#free.length > 0;
  }

  #submit(): void {
    const write = this.#onBody?.write;
    const batch = this.#free[0];
    if (!write || !batch || this.#filled === this.#dataStart) return;
    this.#free.shift();
    const data = batch.subarray(this.#dataStart, this.#filled);
    this.#dataStart = 0;
    this.#filled = 0;
    this.#writing = this.#writing.then(async () => {
      await write(data);
      this.#free.push(batch);
      if (this.#paused && this.#phase === "body") this.#resume();
    });
    this.#writing.catch((error: Error) => {
      if (this.#writeFailed) return;
      this.#writeFailed = true;
      this.#end(error);
    });
  }

  /** The socket closed or failed, or the answer was let go: it ends there. */
  #end(error: Error | undefined): void {
    if (this.#phase === "over") return;
    if (this.#phase === "head") {
      this.#phase = "over";
      this.#stopPace();
      this.#socket?.destroy();
      this.#onHead?.reject(
        error ?? new ArchiveAnswerError("the connection closed before an answer came"),
      );
      return;
    }
    if (this.#phase === "head-read") {
      // Told to readBody, after it has taken what came before.
      this.#endedEarly ??= { error };
      this.#stopPace();
      this.#socket?.destroy();
      return;
    }
    const closedAtTheEnd = !error && this.#framing.kind === "until-close";
    this.#finish(
      closedAtTheEnd
        ? undefined
        : (error ?? new ArchiveAnswerError("the connection closed before the end of the body")),
    );
  }

  #finish(error: Error | undefined): void {
    if (this.#phase === "over") return;
    this.#phase = "over";
    this.#stopPace();
    this.#socket?.destroy();
    const body = this.#onBody;
    if (!body) return;
    // What arrived before a cut is written all the same, for the next attempt to resume.
    if (!this.#refused && !this.#writeFailed) this.#submit();
    this.#writing.then(
      () => (error ? body.reject(error) : body.resolve()),
      (writeError: Error) => body.reject(writeError),
    );
  }
}

/** Whether `text` holds a control character other than a tab (RFC 9110, field-value). */
function hasControlCharacter(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** How the body's end is known (RFC 9112, section 6.3). */
function framingOf(status: number, headers: ReadonlyMap<string, string>): Framing {
  if (status === 204 || status === 304) return { kind: "none" };
  const codings = headers.get("transfer-encoding");
  const length = headers.get("content-length");
  if (codings !== undefined) {
    // Both may mean a response split by something on the way (RFC 9112, 6.3): refused.
    if (length !== undefined) {
      throw new ArchiveAnswerError(
        "the answer has both a Transfer-Encoding and a Content-Length, which is ambiguous",
      );
    }
    // The digest is of the archive's own bytes: another coding (gzip) would not match it.
    if (codings.trim().toLowerCase() !== "chunked") {
      throw new ArchiveAnswerError(
        `the answer's Transfer-Encoding is ${JSON.stringify(codings.slice(0, 80))}; only chunked is read`,
      );
    }
    return { kind: "chunked", decoder: new ChunkedDecoder() };
  }
  if (length === undefined) return { kind: "until-close" };
  const lengths = new Set(length.split(",").map((each) => each.trim()));
  const [only] = lengths;
  if (lengths.size !== 1 || !only || !/^\d{1,15}$/.test(only)) {
    throw new ArchiveAnswerError(
      `the answer's Content-Length is not a length: ${JSON.stringify(length.slice(0, 80))}`,
    );
  }
  return Number(only) === 0 ? { kind: "none" } : { kind: "length", left: Number(only) };
}

/** A chunk size's digits, at most: 16^13 = 2^52 is still exact in a number. */
const HEX_DIGITS = 13;

/**
 * Takes the chunked transfer coding off a body in place: the data of the bytes at
 * [from, to) of a buffer is moved to `out` (which is not past `from`), the framing is
 * dropped, and where it stopped is carried over to the next bytes.
 */
export class ChunkedDecoder {
  #state:
    | "size"
    | "extension"
    | "size-lf"
    | "data"
    | "data-cr"
    | "data-lf"
    | "trailer"
    | "trailer-line"
    | "trailer-lf"
    | "done" = "size";
  #size = 0;
  #digits = 0;
  #framingBytes = 0;

  decode(buffer: Buffer, from: number, to: number, out: number): { end: number; done: boolean } {
    let at = from;
    let end = out;
    while (at < to && this.#state !== "done") {
      if (this.#state === "data") {
        const taken = Math.min(this.#size, to - at);
        if (at !== end) buffer.copyWithin(end, at, at + taken);
        at += taken;
        end += taken;
        this.#size -= taken;
        if (this.#size === 0) this.#state = "data-cr";
        continue;
      }
      const byte = buffer[at++] as number;
      if (++this.#framingBytes > MAX_CHUNK_FRAMING_BYTES) {
        throw new ArchiveAnswerError("the answer's chunk framing is too long");
      }
      this.#step(byte);
    }
    return { end, done: this.#state === "done" };
  }

  #step(byte: number): void {
    const LF = 10;
    const CR = 13;
    switch (this.#state) {
      case "size": {
        const digit = hexValue(byte);
        if (digit >= 0) {
          if (this.#digits === HEX_DIGITS) {
            throw new ArchiveAnswerError("the answer's chunk size is too large");
          }
          this.#size = this.#size * 16 + digit;
          this.#digits++;
          return;
        }
        if (this.#digits === 0) throw new ArchiveAnswerError("the answer's chunk has no size");
        if (byte === CR) this.#state = "size-lf";
        else if (byte === LF) this.#sizeRead();
        else if (byte === 0x3b || byte === 0x20 || byte === 0x09) this.#state = "extension";
        else throw new ArchiveAnswerError("the answer's chunk size is not hexadecimal");
        return;
      }
      case "extension":
        // A CR ends the line or nothing: one inside an extension is not a chunk size line.
        if (byte === CR) this.#state = "size-lf";
        else if (byte === LF) this.#sizeRead();
        return;
      case "size-lf":
        if (byte !== LF) throw new ArchiveAnswerError("the answer's chunk size line does not end");
        this.#sizeRead();
        return;
      case "data-cr":
        // CRLF only, no bare LF: a chunk a byte short would otherwise pass, its LF taken
        // for the end and its CR for data.
        if (byte !== CR)
          throw new ArchiveAnswerError("the answer's chunk does not end where its size says");
        this.#state = "data-lf";
        return;
      case "data-lf":
        if (byte !== LF)
          throw new ArchiveAnswerError("the answer's chunk does not end where its size says");
        this.#nextChunk();
        return;
      case "trailer":
        if (byte === CR) this.#state = "trailer-lf";
        else if (byte === LF) this.#state = "done";
        else this.#state = "trailer-line";
        return;
      case "trailer-line":
        if (byte === LF) this.#state = "trailer";
        return;
      case "trailer-lf":
        if (byte !== LF) throw new ArchiveAnswerError("the answer's trailers do not end");
        this.#state = "done";
        return;
    }
  }

  #sizeRead(): void {
    this.#state = this.#size === 0 ? "trailer" : "data";
    if (this.#size > 0) this.#framingBytes = 0;
  }

  #nextChunk(): void {
    this.#state = "size";
    this.#size = 0;
    this.#digits = 0;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
