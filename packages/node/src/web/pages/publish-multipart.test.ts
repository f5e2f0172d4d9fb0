import { randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { readUploadForm, UploadFormError } from "./publish-multipart.ts";

/** A form as a browser encodes it, and its bytes cut into chunks of `size` bytes. */
async function encoded(file: Uint8Array, size: number, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set("backup", new Blob([file]), "course.mbz");
  const request = new Request("http://node.example/", { method: "POST", body: form });
  const bytes = new Uint8Array(await request.arrayBuffer());
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return {
    type: request.headers.get("content-type") ?? "",
    bytes,
    body: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      }),
  };
}

describe("readUploadForm", () => {
  // Chunk sizes that cut the delimiter, the headers and the fields at every place.
  it.each([1, 3, 7, 64, 1000, 65536])(
    "reads fields and the whole file in chunks of %i bytes",
    async (size) => {
      // Bytes that look like the start of a delimiter must stay in the file.
      const file = Buffer.concat([
        randomBytes(5000),
        Buffer.from("\r\n--not-the-boundary\r\n"),
        randomBytes(3000),
      ]);
      const form = await encoded(file, size, { _csrf: "token-value" });
      const { fields, file: stream } = await readUploadForm(form.body(), form.type);
      expect(fields).toEqual({ _csrf: "token-value" });
      expect(Buffer.compare(await buffer(stream as never), file)).toBe(0);
    },
  );

  it("answers no file for a form without one", async () => {
    const form = new FormData();
    form.set("_csrf", "t");
    const request = new Request("http://node.example/", { method: "POST", body: form });
    const { fields, file } = await readUploadForm(
      request.body,
      request.headers.get("content-type") ?? "",
    );
    expect(fields).toEqual({ _csrf: "t" });
    expect(file).toBeUndefined();
  });

  it("refuses a body cut short, and a body that is not a form", async () => {
    const form = await encoded(randomBytes(2000), 100, { _csrf: "t" });
    const cut = form.bytes.subarray(0, form.bytes.length - 200);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(cut);
        controller.close();
      },
    });
    const { file } = await readUploadForm(body, form.type);
    await expect(buffer(file as never)).rejects.toBeInstanceOf(UploadFormError);
    await expect(readUploadForm(form.body(), "multipart/form-data")).rejects.toBeInstanceOf(
      UploadFormError,
    );
  });

  it("refuses as incomplete a form whose sender went away before its file", async () => {
    const form = await encoded(randomBytes(2000), 100, { _csrf: "t" });
    // The connection drops within the text fields: the body's stream errors, as Node's
    // request stream does when its socket closes.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(form.bytes.subarray(0, 60));
        controller.error(new Error("aborted"));
      },
    });
    await expect(readUploadForm(body, form.type)).rejects.toBeInstanceOf(UploadFormError);
  });
});
