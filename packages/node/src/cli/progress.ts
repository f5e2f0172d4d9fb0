import cliProgress from "cli-progress";

export interface Progress {
  update(label: string, done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when a person is watching (stdout and stderr are terminals),
 * silent otherwise so that pipes and logs stay clean.
 */
export function progressBar(enabled: boolean): Progress {
  if (!enabled || !process.stdout.isTTY || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "{label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB",
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);
  return {
    update(label, done, total) {
      const payload = { label, doneMiB: mib(done), totalMiB: mib(total) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
