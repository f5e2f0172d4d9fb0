/**
 * WebFinger clients look a handle up over https only, and loopback test nodes serve plain
 * http. While installed, this sends this process's https WebFinger requests for the given
 * hosts to http instead, as the TLS-terminating proxy in front of a real node would
 * make them arrive. Everything else goes through untouched. Returns the uninstaller.
 */
export function webFingerOverHttp(hosts: readonly string[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (
      url.protocol !== "https:" ||
      url.pathname !== "/.well-known/webfinger" ||
      !hosts.includes(url.host)
    ) {
      return original(input, init);
    }
    url.protocol = "http:";
    return original(input instanceof Request ? new Request(url, input) : url, init);
  };
  return () => {
    globalThis.fetch = original;
  };
}
