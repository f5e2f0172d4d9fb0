import { readFileSync } from "node:fs";

/** Resident memory of the processes (MB, summed); those that are gone count nothing. */
export function residentMegabytes(pids: readonly number[]): number {
  let kilobytes = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      kilobytes += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // Exited meanwhile.
    }
  }
  return kilobytes / 1024;
}
