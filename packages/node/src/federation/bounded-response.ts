/**
 * A peer's answer read as text, refused past `limit` bytes whatever its Content-Length
 * said: counted as it arrives, so a peer that sends without a length (or more than it
 * declared) never makes us hold more than `limit`.
 */
export async function boundedText(
  response: Response,
  limit: number,
  tooLarge: () => Error,
): Promise<string> {
  if (Number(response.headers.get("content-length") ?? 0) > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
