import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { refusals } from "../../http/refusal-responses.ts";
import type { RestoreRule } from "../../restores/restore-repository.ts";
import {
  addRule,
  MAX_RULE_TAG_LENGTH,
  type RuleRequest,
  removeRule,
} from "../../restores/rule-service.ts";
import { RULE_EVENTS, RULE_MODES } from "../../vocabulary/rule-kinds.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const ruleFields = {
  actor: z.string().url().nullable().openapi({
    description:
      "Courses published or announced by this actor (an institution announces its teachers' courses)",
  }),
  tag: z
    .string()
    .min(1)
    .max(MAX_RULE_TAG_LENGTH)
    .nullable()
    .openapi({ description: "Courses with this tag" }),
  on: z.enum(RULE_EVENTS).openapi({
    description: "new: a course's first revision; updated: its later ones; both",
  }),
  target: z.string().openapi({ description: "A Moodle target's name" }),
  categoryId: z.number().int().min(1),
  mode: z.enum(RULE_MODES).openapi({
    description:
      "new-course: a new course each time; update-in-place: a new revision replaces the contents of the course restored from the same course before (its people stay)",
  }),
};

const Rule = z
  .object({ id: z.number().int(), ...ruleFields, createdBy: z.string(), createdAt: z.string() })
  .openapi("RestoreRule");

const NewRule = z
  .object({
    ...ruleFields,
    actor: ruleFields.actor.unwrap().optional(),
    tag: ruleFields.tag.unwrap().optional(),
  })
  .openapi("NewRestoreRule", {
    description: "Give an actor, a tag or both: every one given must match",
  });

const list = createRoute({
  method: "get",
  path: "/rules",
  summary: "Auto-restore rules: which received courses are restored where (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description: "Rules, oldest first",
      content: { "application/json": { schema: z.object({ items: z.array(Rule) }) } },
    },
    ...refusals(),
  },
});

const create = createRoute({
  method: "post",
  path: "/rules",
  summary: "Restore received courses automatically (admin)",
  description:
    "Each course that arrives in the catalog and matches is restored into the target's category, as restores asked by `rule N` (see GET /restores).",
  middleware: [requireAdmin] as const,
  request: {
    body: jsonBody(NewRule),
  },
  responses: {
    201: { description: "Added", content: { "application/json": { schema: Rule } } },
    ...refusals({
      invalid_request: "Neither an actor nor a tag",
      target_not_found: "No such target",
    }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/rules/{id}",
  summary: "Remove an auto-restore rule (admin); what it restored stays",
  middleware: [requireAdmin] as const,
  request: { params: z.object({ id: z.coerce.number().int() }) },
  responses: {
    204: { description: "Removed" },
    ...refusals({
      rule_not_found: "No such rule",
    }),
  },
});

export function ruleRoutes(app: OpenAPIHono<ApiEnv>, { services, audit }: ApiDependencies): void {
  app.openapi(list, async (c) => {
    const names = await services.moodleTargets.namesById();
    const rules = await services.restores.rules();
    return c.json({ items: rules.map((rule) => ruleJson(rule, names)) }, 200);
  });

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const by = auditActorOf(c.get("principal"));
    const request: RuleRequest = {
      actorUri: body.actor,
      tag: body.tag,
      on: body.on,
      targetName: body.target,
      categoryId: body.categoryId,
      mode: body.mode,
      createdBy: by.name,
    };
    const rule = await addRule(services, { auditActor: by, auditLog: audit }, request);
    return c.json(ruleJson(rule, await services.moodleTargets.namesById()), 201);
  });

  app.openapi(remove, async (c) => {
    const admin = { auditActor: auditActorOf(c.get("principal")), auditLog: audit };
    await removeRule(services, admin, c.req.valid("param").id);
    return c.body(null, 204);
  });
}

function ruleJson(rule: RestoreRule, targetNames: ReadonlyMap<number, string>) {
  return {
    id: rule.id,
    actor: rule.actorUri,
    tag: rule.tag,
    on: rule.on,
    // Removing a target removes its rules: every rule's target is there.
    target: targetNames.get(rule.targetId) as string,
    categoryId: rule.categoryId,
    mode: rule.mode,
    createdBy: rule.createdBy,
    createdAt: new Date(rule.createdAt).toISOString(),
  };
}
