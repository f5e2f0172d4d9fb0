import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { LocalActor } from "../../actors/local-actors.ts";
import { catchUp } from "../../federation/catch-up.ts";
import { domainServices } from "../../federation/domain-services.ts";
import type { CatchUpRun as CatchUpRunRecord } from "../../follows/catch-up-run-repository.ts";
import { answerFollowRequest, follow, followingState } from "../../follows/follow-service.ts";
import { FollowError } from "../../follows/follow-target.ts";
import { problem } from "../../http/problem.ts";
import { refusals } from "../../http/refusal-responses.ts";
import type { ApiDependencies } from "../api-dependencies.ts";
import { type ApiEnv, auditActorOf, requireAdmin } from "../auth.ts";
import { jsonBody } from "../json-request-body.ts";

const Following = z
  .object({
    actor: z.string().url(),
    handle: z.string().nullable(),
    state: z.enum(["pending", "accepted", "rejected"]),
  })
  .openapi("Following");

const showFollowing = createRoute({
  method: "get",
  path: "/follows",
  summary:
    "Where the caller's follow of an actor stands: pending or accepted; refused by the other side (a Reject came back) is 409 rejected",
  request: { query: z.object({ actor: z.string().url() }) },
  responses: {
    200: {
      description: "Waiting for the other side's answer, or accepted",
      content: { "application/json": { schema: Following } },
    },
    ...refusals({
      no_such_request: "The caller has not asked to follow that actor",
      rejected: "The other side refused the follow: a Reject came back",
    }),
  },
});

const FollowRequest = z
  .object({
    actor: z.string().url(),
    handle: z.string().nullable(),
    name: z.string().nullable(),
    requestedAt: z.string(),
  })
  .openapi("FollowRequest");

const startFollowing = createRoute({
  method: "post",
  path: "/follows",
  summary: "Follow an institution or teacher on another node (actor URL or @user@host)",
  request: {
    body: jsonBody(z.object({ target: z.string().min(3).max(2000) })),
  },
  responses: {
    202: {
      description: "Follow sent; it waits for the other side's answer",
      content: { "application/json": { schema: Following } },
    },
    ...refusals({
      not_found: "Nothing to follow there",
      bad_target: "Neither an actor URL nor @user@host",
      not_an_actor: "Not an actor",
      not_federated: "The federation policy excludes that server",
      private_address: "It is on a private address this node was not started to reach",
      unreachable: "The other server could not be reached",
    }),
  },
});

/** Whose requests: the caller's own actor, or for an admin another local actor by handle. */
const ForQuery = z.object({
  for: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "Handle of a local actor (admin only); default the caller's own" }),
});

const listRequests = createRoute({
  method: "get",
  path: "/follow-requests",
  summary:
    "Follow requests waiting for approval: to the caller's actor (a teacher's own), or with `for` to another local actor (admin)",
  request: { query: ForQuery },
  responses: {
    200: {
      description: "Pending requests",
      content: { "application/json": { schema: z.object({ items: z.array(FollowRequest) }) } },
    },
    ...refusals({
      no_such_actor: "No local actor has that handle",
      forbidden: "Only an admin lists the requests to another actor than their own",
    }),
  },
});

const decide = createRoute({
  method: "post",
  path: "/follow-requests/{decision}",
  summary:
    "Accept or reject a follow request to the caller's actor (a teacher's own), or with `for` to another local actor (admin)",
  request: {
    query: ForQuery,
    params: z.object({ decision: z.enum(["accept", "reject"]) }),
    body: jsonBody(z.object({ actor: z.string().url() })),
  },
  responses: {
    204: { description: "Answered; the follower is told" },
    ...refusals({
      no_such_request: "No such request",
      no_such_actor: "No local actor has that handle",
      forbidden: "Only an admin answers the requests to another actor than their own",
    }),
  },
});

const CatchUp = z
  .object({
    actor: z.string().url(),
    caughtUpAt: z.string().nullable(),
    result: z.string().nullable(),
    behindSince: z.string().nullable(),
    notBefore: z.string().nullable(),
  })
  .openapi("CatchUp");

const CatchUpRun = z
  .object({
    id: z.string(),
    state: z.enum(["under-way", "ended", "cut-short"]),
    requestedBy: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    // Null until the run has listed the actors it reads.
    actors: z.number().int().nullable(),
    read: z.number().int(),
    caughtUp: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi("CatchUpRun");

const listCatchUps = createRoute({
  method: "get",
  path: "/follows/catch-up",
  summary:
    "The actors followed (accepted follows): when each outbox was last read to catch up on missed deliveries, how that went, since when it is behind; and the catch-up of every actor an admin asked for last, under way or ended (admin)",
  middleware: [requireAdmin] as const,
  responses: {
    200: {
      description:
        "One item per actor followed; `run`: the last catch-up of every actor asked for (POST without `actor`), null if none was",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(CatchUp), run: CatchUpRun.nullable() }),
        },
      },
    },
    ...refusals(),
  },
});

const CatchUpOutcome = z
  .object({
    actor: z.string().url(),
    caughtUp: z.boolean(),
    // Read to its end or page limit (which alone withdraws what it no longer lists), not
    // stopped at a page already held: always so for a catch-up asked for here.
    readThrough: z.boolean(),
    received: z.number().int(),
    withdrawn: z.number().int(),
    refused: z.number().int(),
    failed: z.number().int(),
    pages: z.number().int(),
    result: z.string(),
  })
  .openapi("CatchUpOutcome");

const runCatchUp = createRoute({
  method: "post",
  path: "/follows/catch-up",
  summary:
    "Catch up now: read the outboxes of the actors followed for courses, revisions and withdrawals deliveries missed (admin); an actor whose server asked to wait (429) is left out. With `actor`, that actor only, answered when read (200); without, every actor, in the background (202; GET /follows/catch-up shows its progress and end), one such run at a time per node (409 while one is under way)",
  middleware: [requireAdmin] as const,
  request: { body: jsonBody(z.object({ actor: z.string().url().optional() })) },
  responses: {
    200: {
      description: "`actor` was read: how it went",
      content: {
        "application/json": { schema: z.object({ items: z.array(CatchUpOutcome) }) },
      },
    },
    202: {
      description:
        "The catch-up of every actor started in the background; Location: where its progress is shown",
      content: { "application/json": { schema: z.object({ run: CatchUpRun }) } },
    },
    ...refusals({
      not_following: "No local actor follows that actor with an accepted follow",
      catch_up_under_way: "A catch-up of every actor is under way on this node",
    }),
  },
});

const iso = (time: number | null) => (time === null ? null : new Date(time).toISOString());

const runJson = (run: CatchUpRunRecord) => ({
  ...run,
  startedAt: new Date(run.startedAt).toISOString(),
  endedAt: iso(run.endedAt),
});

export function followRoutes(
  app: OpenAPIHono<ApiEnv>,
  { services, context, audit, catchUpRuns }: ApiDependencies,
): void {
  app.openapi(startFollowing, async (c) => {
    const { actor } = c.get("principal");
    const following = await follow(
      domainServices(context(c.req.raw)),
      actor,
      c.req.valid("json").target,
    );
    const remote = await services.follows.remoteActor(following.actorUri);
    return c.json(
      { actor: following.actorUri, handle: remote?.handle ?? null, state: following.state },
      202,
    );
  });

  app.openapi(showFollowing, async (c) => {
    const { actor } = c.get("principal");
    const target = c.req.valid("query").actor;
    const following = await followingState(services, actor, target);
    const remote = await services.follows.remoteActor(target);
    return c.json(
      { actor: following.actorUri, handle: remote?.handle ?? null, state: following.state },
      200,
    );
  });

  /**
   * The local actor whose followers the caller decides on: their own (a teacher approves
   * only their own followers), or for an admin any local actor named by handle.
   */
  const approverOf = async (
    c: Context<ApiEnv>,
    handle: string | undefined,
  ): Promise<LocalActor | { status: 403 | 404; code: string; message: string }> => {
    const { actor, token } = c.get("principal");
    if (handle === undefined || handle === actor.handle) return actor;
    if (token.role !== "admin") {
      return {
        status: 403,
        code: "forbidden",
        message: "Only an admin answers follow requests to another actor than their own.",
      };
    }
    return (
      (await services.actors.byHandle(handle)) ?? {
        status: 404,
        code: "no_such_actor",
        message: `There is no local actor @${handle}; check the handle.`,
      }
    );
  };

  app.openapi(listCatchUps, async (c) => {
    const items = (await services.follows.catchUpCandidates()).map((candidate) => ({
      actor: candidate.actorUri,
      caughtUpAt: iso(candidate.caughtUpAt),
      result: candidate.result,
      behindSince: iso(candidate.behindSince),
      notBefore: iso(candidate.notBefore),
    }));
    const run = await catchUpRuns.latest();
    return c.json({ items, run: run ? runJson(run) : null }, 200);
  });

  app.openapi(runCatchUp, async (c) => {
    const { actor } = c.req.valid("json");
    if (actor !== undefined && !(await services.follows.followedByAnyLocalActor(actor))) {
      throw new FollowError(
        "NOT_FOLLOWING",
        `No local actor follows ${actor} with an accepted follow: follow it first (coursefed follow), or check the address (coursefed catch-up --list shows those followed).`,
      );
    }
    if (actor === undefined) {
      const { started, run } = await catchUpRuns.start(auditActorOf(c.get("principal")).name);
      if (!started) {
        const progress =
          run.actors === null ? "listing the actors" : `${run.read} of ${run.actors} actors read`;
        throw new FollowError(
          "CATCH_UP_UNDER_WAY",
          `A catch-up of every followed actor is under way since ${new Date(run.startedAt).toISOString()} (asked by ${run.requestedBy}; ${progress}): see how it goes with GET /api/v1/follows/catch-up (coursefed catch-up --list), and ask again once it has ended.`,
        );
      }
      c.header("location", "/api/v1/follows/catch-up");
      return c.json({ run: runJson(run) }, 202);
    }
    // One actor is read within the request: its reads are bounded (50 pages, 30 s each).
    const outcomes = await catchUp(context(c.req.raw), { readThrough: true, actorUri: actor });
    const items = outcomes.map(({ actorUri, ...outcome }) => ({ actor: actorUri, ...outcome }));
    return c.json({ items }, 200);
  });

  app.openapi(listRequests, async (c) => {
    const actor = await approverOf(c, c.req.valid("query").for);
    if ("status" in actor) {
      if (actor.status === 403) return problem(c, 403, actor.code, actor.message);
      return problem(c, 404, actor.code, actor.message);
    }
    const items = (await services.follows.followers(actor.id, "pending")).map((request) => ({
      actor: request.actorUri,
      handle: request.actor.handle,
      name: request.actor.name,
      requestedAt: new Date(request.requestedAt).toISOString(),
    }));
    return c.json({ items }, 200);
  });

  app.openapi(decide, async (c) => {
    const actor = await approverOf(c, c.req.valid("query").for);
    if ("status" in actor) {
      if (actor.status === 403) return problem(c, 403, actor.code, actor.message);
      return problem(c, 404, actor.code, actor.message);
    }
    await answerFollowRequest(
      domainServices(context(c.req.raw)),
      { auditActor: auditActorOf(c.get("principal")), auditLog: audit },
      actor,
      c.req.valid("json").actor,
      c.req.valid("param").decision,
    );
    return c.body(null, 204);
  });
}
