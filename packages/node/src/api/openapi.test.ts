import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { problemCodeStatus } from "../http/refusal-responses.ts";
import { createApi } from "./api.ts";
import type { ApiDependencies } from "./api-dependencies.ts";

interface Operation {
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

/** The description as /api/openapi.json serves it; describing needs no service. */
async function servedDocument(): Promise<OpenApiDocument> {
  const api = createApi({} as ApiDependencies);
  return (await (await api.request("/api/openapi.json")).json()) as OpenApiDocument;
}

function operations(document: OpenApiDocument): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(
      ([method, operation]) => [`${method} ${path}`, operation] as [string, Operation],
    ),
  );
}

describe("the API's OpenAPI description", () => {
  it("gives each refusal of each route under the status it is answered with, by code", async () => {
    const document = await servedDocument();
    expect(document.openapi).toBe("3.1.0");
    expect(operations(document).length).toBeGreaterThan(60);
    for (const [name, operation] of operations(document)) {
      expect(operation.responses["401"]?.description, name).toMatch(/^unauthorized: /);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.["application/json"]?.schema, `${name} ${status}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
        for (const refusal of response.description.split("; ")) {
          const code = /^([a-z_]+\*?): \S/.exec(refusal)?.[1];
          expect(code, `${name} ${status}: "${refusal}" names no problem code`).toBeDefined();
          expect(problemCodeStatus(code as string), `${name}: ${code}`).toBe(Number(status));
        }
      }
    }
  });

  it("refers only to schemas it holds", async () => {
    const text = JSON.stringify(await servedDocument());
    const document = JSON.parse(text) as OpenApiDocument;
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, schema] of refs)
      expect(document.components.schemas, schema).toHaveProperty(schema as string);
  });

  it("knows the status of every code the API's routes answer themselves", () => {
    const directory = new URL(".", import.meta.url).pathname;
    const files = [
      "auth.ts",
      "api.ts",
      ...readdirSync(join(directory, "routes")).map((file) => join("routes", file)),
    ];
    const answered = files.flatMap((file) =>
      [
        ...readFileSync(join(directory, file), "utf8").matchAll(
          /problem\(\s*c,\s*(\d{3}),\s*"([a-z_]+)"/g,
        ),
      ].map(([, status, code]) => ({ file, code, status: Number(status) })),
    );
    expect(answered.length).toBeGreaterThan(20);
    for (const { file, code, status } of answered) {
      // A 500 is no refusal: the route failed.
      if (status === 500) continue;
      expect(problemCodeStatus(code as string), `${file}: ${code}`).toBe(status);
    }
  });
});
