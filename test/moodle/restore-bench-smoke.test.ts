/**
 * bench:restore's smoke run (`--quick`), beside test/bench/bench-smoke.test.ts: it restores
 * into the Moodle 4.5 test site, so it runs with the Moodle tests. No timing is asserted.
 */
import { expect, it } from "vitest";
import { benchScripts, runQuickBench } from "../bench/quick-bench-run.ts";
import { describeOnEachMoodle } from "../support/moodle-site.ts";

describeOnEachMoodle("bench:restore --quick", (site) => {
  it.skipIf(site.release !== "4.5")(
    "completes and prints the node's share of the restore job",
    { timeout: 240_000 },
    async () => {
      const run = await runQuickBench(benchScripts().get("bench:restore") as string);
      expect(run.code, `bench:restore failed:\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/^all: node overhead [\d.]+% of [\d.]+ s of restore jobs/m);
    },
  );
});
