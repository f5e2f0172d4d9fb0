import type { TestNode } from "./test-node.ts";

/** How a test calls a node's API: method, JSON body, bearer token, Moodle user a site token acts for. */
export interface NodeApiCall {
  readonly method?: string;
  readonly json?: unknown;
  /** The node's admin token unless given. */
  readonly token?: string;
  /** The Coursefed-Moodle-User header's value (see actingUser), none when undefined or null. */
  readonly user?: string | null;
}

/**
 * Calls `/api/v1<path>` on `node`; the status and the parsed JSON body (undefined when empty),
 * untyped as JSON.parse gives it: each test reads what it expects.
 */
export async function nodeApi(node: TestNode, path: string, call: NodeApiCall = {}) {
  const response = await fetch(new URL(`/api/v1${path}`, node.url), {
    method: call.method ?? "GET",
    headers: {
      authorization: `Bearer ${call.token ?? node.token}`,
      ...(call.user == null ? {} : { "coursefed-moodle-user": call.user }),
      ...(call.json === undefined ? {} : { "content-type": "application/json" }),
    },
    body: call.json === undefined ? null : JSON.stringify(call.json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
