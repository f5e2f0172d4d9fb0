import { pipeline, Readable, Transform } from "node:stream";
import { type BackupReport, inspectBackup, MbzError } from "@coursefed/mbz";
import type { BlobStore } from "../blobs/blob-store.ts";
import { CodedError } from "../coded-error.ts";

export class ReceiveBackupError extends CodedError<
  "EMPTY" | "TOO_LARGE" | "INCOMPLETE" | "INVALID_BACKUP"
> {
  override readonly name = "ReceiveBackupError";
}

/**
 * Takes an uploaded backup as it arrives: streamed to the blob store (never held in
 * memory), refused past `maxBytes`, then inspected so that its sender sees what it holds
 * (personal data first) before anything is published. An invalid backup is not kept, nor
 * is anything of an upload whose sender went away before its end.
 */
export async function receiveBackup(
  blobs: BlobStore,
  body: ReadableStream<Uint8Array> | Readable | null,
  maxBytes: number,
): Promise<{ sha256: string; size: number; report: BackupReport }> {
  if (!body)
    throw new ReceiveBackupError("EMPTY", "The request has no body: send the backup file as it.");
  let received = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        callback(
          new ReceiveBackupError(
            "TOO_LARGE",
            `The node accepts backups of up to ${maxBytes} bytes.`,
          ),
        );
      } else callback(null, chunk);
    },
  });
  const source = body instanceof Readable ? body : Readable.fromWeb(body as never);
  let cut: unknown;
  source.on("error", (error) => {
    cut = error;
  });
  // pipeline, not pipe: an error of the request's body (its client gone) must end the
  // stream the store reads, which then deletes what it wrote. Piped, the error had no
  // listener and took the whole process down. The error reaches us through the store.
  const stored = await blobs.put(pipeline(source, cap, () => {})).catch((error: unknown) => {
    // Refusals made upstream (the size cap, the form's reader, the node's body limit)
    // are their own answer; a body that failed otherwise was cut off before its end.
    if (error !== cut || error instanceof CodedError) throw error;
    throw new ReceiveBackupError(
      "INCOMPLETE",
      `The upload stopped after ${received} bytes, before the end of the file (${(error as Error).message}): send it again.`,
    );
  });
  try {
    return { ...stored, report: await inspectBackup(blobs.pathOf(stored.sha256)) };
  } catch (error) {
    await blobs.removeUnreferenced(stored.sha256);
    if (error instanceof MbzError) throw new ReceiveBackupError("INVALID_BACKUP", error.message);
    throw error;
  }
}
