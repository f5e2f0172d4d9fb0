import type { Context } from "@fedify/fedify";
import type { CatchUpRun, CatchUpRunRepository } from "../follows/catch-up-run-repository.ts";
import { CATCH_UP_LIMITS, type CatchUpLimits, catchUp } from "./catch-up.ts";
import type { FederationServices } from "./context.ts";

/**
 * How long past its time limit a run may still be under way (reads under way when the
 * limit came, whose courses are still being checked) before another process takes it as
 * dead and lets a new one start.
 */
const LEASE_MARGIN_MS = 5 * 60_000;

/** Who a periodic run was asked by, as the listing shows it. */
export const PERIODIC = "the node's periodic catch-up (serve --catch-up)";

/** How long stopping the node waits for a run it cut to record its last reads. */
const STOP_WAIT_MS = 10_000;

/**
 * The catch-ups of every followed actor, an admin's or the periodic one: with hundreds of
 * actors one takes minutes (up to its 10-minute limit), longer than a proxy waits for an
 * answer, so an admin's runs in the background of the process that took the request. One
 * at a time per node, whichever kind (the claim is in the database:
 * CatchUpRunRepository); their progress and end are kept for GET /follows/catch-up.
 * Stopping the node cuts a run under way, which is then recorded as cut short.
 */
export class CatchUpRuns {
  readonly #ctx: Context<FederationServices>;
  readonly #runs: CatchUpRunRepository;
  readonly #limits: CatchUpLimits;
  readonly #stopping = new AbortController();
  readonly #underWay = new Set<Promise<void>>();

  constructor(
    ctx: Context<FederationServices>,
    runs: CatchUpRunRepository,
    options: { readonly limits?: CatchUpLimits } = {},
  ) {
    this.#ctx = ctx;
    this.#runs = runs;
    this.#limits = options.limits ?? CATCH_UP_LIMITS;
  }

  /**
   * Starts a catch-up of every followed actor, each outbox read through (an admin asking
   * now), unless one is under way on this node: `started` says which, `run` is the one
   * under way.
   */
  async start(
    requestedBy: string,
  ): Promise<{ readonly started: boolean; readonly run: CatchUpRun }> {
    if (this.#stopping.signal.aborted) {
      throw new Error("This node is stopping: ask again once it has started.");
    }
    const { started, run } = await this.#begin(requestedBy, { readThrough: true });
    return { started, run };
  }

  /**
   * The periodic catch-up (serve's --catch-up), in the same slot as an admin's: it reads
   * each outbox to its first page held, or through once a week. Skipped while another run
   * is under way, which reads every actor already; resolves once it has ended.
   */
  async runPeriodic(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    const begun = await this.#begin(PERIODIC, { readThrough: false });
    if (begun.started) await begun.ended;
  }

  async #begin(
    requestedBy: string,
    options: { readonly readThrough: boolean },
  ): Promise<{ started: boolean; run: CatchUpRun; ended: Promise<void> }> {
    const startedAt = Date.now();
    const begun = await this.#runs.begin({
      id: crypto.randomUUID(),
      requestedBy,
      startedAt,
      leaseUntil: startedAt + this.#limits.budgetMs + LEASE_MARGIN_MS,
    });
    if (!begun.started) return { ...begun, ended: Promise.resolve() };
    const id = begun.run.id;
    let read = 0;
    let caughtUp = 0;
    const running = catchUp(this.#ctx, {
      readThrough: options.readThrough,
      limits: this.#limits,
      signal: this.#stopping.signal,
      onListed: async (actors) => await this.#runs.progress(id, { actors }),
      onRead: async (outcome) => {
        read++;
        if (outcome.caughtUp) caughtUp++;
        await this.#runs.progress(id, { read, caughtUp });
      },
    })
      .then(
        () =>
          this.#runs.end(id, {
            endedAt: Date.now(),
            ...(this.#stopping.signal.aborted
              ? { error: "cut short: the node was stopped; ask again to read the rest" }
              : {}),
          }),
        async (error: unknown) => {
          const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
          console.error(`coursefed: catch-up ${id} failed: ${why}`);
          await this.#runs.end(id, { endedAt: Date.now(), error: `failed: ${why}` });
        },
      )
      .catch((error: unknown) => {
        // The database is gone (the node closed under it): the lease ends the run.
        console.error(`coursefed: catch-up ${id} could not be recorded as ended: ${error}`);
      })
      .finally(() => this.#underWay.delete(running));
    this.#underWay.add(running);
    return { ...begun, ended: running };
  }

  /** The run started last, if any. */
  async latest(): Promise<CatchUpRun | undefined> {
    return await this.#runs.latest();
  }

  /** Cuts the runs under way in this process, and waits a little for them to record it. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    if (this.#underWay.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#underWay),
      new Promise((resolve) => {
        timer = setTimeout(resolve, STOP_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}
