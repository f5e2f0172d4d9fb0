import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { addTeacher } from "../../accounts/teacher-service.ts";
import { refusals } from "../../http/refusal-responses.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const Teacher = z
  .object({ actor: z.string().url(), handle: z.string(), name: z.string() })
  .openapi("Teacher");

const create = createRoute({
  method: "post",
  path: "/teachers",
  summary: "Create a teacher account (admin): a Person actor, and an API token shown this once",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(
      z.object({ handle: z.string().min(1).max(64), name: z.string().min(1).max(200) }),
    ),
  },
  responses: {
    201: {
      description: "Created; keep the token, it is not shown again",
      content: { "application/json": { schema: Teacher.extend({ token: z.string() }) } },
    },
    ...refusals({
      handle_unavailable: "Handle taken or unusable",
    }),
  },
});

const list = createRoute({
  method: "get",
  path: "/teachers",
  summary: "The node's teacher accounts (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: "Teachers",
      content: { "application/json": { schema: z.object({ items: z.array(Teacher) }) } },
    },
    ...refusals(),
  },
});

export function teacherRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, tokens, context, audit }: ApiDependencies,
): void {
  app.openapi(create, async (c) => {
    const { handle, name } = c.req.valid("json");
    const { teacher, token } = await addTeacher(
      { actors: services.actors, tokens },
      { auditActor: auditActorOf(c.get("principal")), auditLog: audit },
      handle,
      name,
    );
    const actor = context(c.req.raw).getActorUri(teacher.identifier).href;
    return c.json({ actor, handle, name, token }, 201);
  });

  app.openapi(list, async (c) => {
    const ctx = context(c.req.raw);
    const items = (await services.actors.teachers()).map((teacher) => ({
      actor: ctx.getActorUri(teacher.identifier).href,
      handle: teacher.handle,
      name: teacher.name,
    }));
    return c.json({ items }, 200);
  });
}
