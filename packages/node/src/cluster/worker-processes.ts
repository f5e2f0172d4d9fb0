import cluster, { type Worker } from "node:cluster";

/** A worker that dies this soon after starting counts as failing to start. */
const EARLY_EXIT_MS = 10_000;
/** Early deaths in a row after which the primary gives up instead of forking forever. */
const EARLY_EXITS_ALLOWED = 5;

export interface WorkerProcessesOptions {
  readonly count: number;
  /** Told of each worker that died unasked, and whether another takes its place. */
  readonly onUnexpectedExit?: (worker: Worker, code: number | null, replaced: boolean) => void;
}

/**
 * Runs `count` copies of this command as worker processes (node:cluster: they share the
 * listening port, the kernel spreads connections), and keeps that many running: a worker
 * that dies is replaced, unless workers keep dying at start, which is a configuration
 * problem no restart fixes. Resolves when SIGINT or SIGTERM has stopped every worker;
 * rejects if they could not be kept up.
 */
export async function runWorkerProcesses(options: WorkerProcessesOptions): Promise<void> {
  let stopping = false;
  let earlyExits = 0;
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());

  return await new Promise<void>((resolve, reject) => {
    const stop = () => {
      stopping = true;
      for (const worker of started.keys()) worker.process.kill("SIGTERM");
      if (started.size === 0) resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    cluster.on("exit", (worker, code) => {
      const startedAt = started.get(worker) ?? 0;
      started.delete(worker);
      if (stopping) {
        if (started.size === 0) resolve();
        return;
      }
      earlyExits = Date.now() - startedAt < EARLY_EXIT_MS ? earlyExits + 1 : 0;
      const replaced = earlyExits < EARLY_EXITS_ALLOWED;
      options.onUnexpectedExit?.(worker, code, replaced);
      if (replaced) {
        fork();
        return;
      }
      stop();
      reject(
        new Error(
          `node processes exited ${earlyExits} times in a row right after starting; see their messages above.`,
        ),
      );
    });
    for (let index = 0; index < options.count; index += 1) fork();
  });
}
