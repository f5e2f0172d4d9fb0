import { type MoodleDriver, MoodleError, type MoodleSiteInfo } from "@coursefed/moodle";
import type { MoodleTarget, MoodleTargetRepository } from "./target-repository.ts";

/** How long an admin's probe may take before it is reported as a timeout. */
const PROBE_TIMEOUT_MS = 60_000;

/**
 * Asks the site what it runs and keeps the answer (compatibility is judged on it). Whoever
 * asked is waiting: a silent site is a MoodleError TIMEOUT after a minute, not a
 * restore's long timeout.
 */
export async function probeTarget(
  targets: MoodleTargetRepository,
  target: MoodleTarget,
): Promise<{ saved: MoodleTarget; info: MoodleSiteInfo }> {
  const info = await probeWithin(target, targets.driverOf(target));
  return { saved: await targets.saveProbe(target, info), info };
}

/**
 * Probes a site through the given driver (the target's own, or one for a connection not
 * saved yet), within PROBE_TIMEOUT_MS.
 */
export async function probeWithin(
  target: MoodleTarget,
  driver: MoodleDriver,
): Promise<MoodleSiteInfo> {
  try {
    return await driver.probe(AbortSignal.timeout(PROBE_TIMEOUT_MS));
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new MoodleError(
        "TIMEOUT",
        `${target.url} did not answer the probe within ${PROBE_TIMEOUT_MS / 1000} s.`,
        { transient: true },
      );
    }
    throw error;
  }
}
