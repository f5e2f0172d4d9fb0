/**
 * CI's smoke run of the benchmarks: each `npm run bench:*` in its `--quick` mode must finish
 * and print the lines that carry its figures. No timing is asserted: the machine running
 * the tests is shared. bench:restore needs a Moodle site, so it runs with the Moodle tests
 * (test/moodle/restore-bench-smoke.test.ts).
 */
import { describe, expect, it } from "vitest";
import { benchScripts, runQuickBench } from "./quick-bench-run.ts";

/** What each benchmark prints, a figure against its baseline in each line. */
const FIGURES: Record<string, readonly RegExp[]> = {
  "bench:mbz": [
    /^zip: .*ratio vs sha256sum [\d.]+x .*peak RSS \d+ MB/m,
    /^tar\.gz: .*ratio vs tar -tzf [\d.]+x .*peak RSS \d+ MB/m,
  ],
  "bench:federation": [
    /^publish→catalog latency over \d+: p50 \d+ ms, p95 \d+ ms/m,
    /^fan-out to \d+ inboxes: .* = [\d.]+x/m,
  ],
  "bench:cli": [/^coursefed --version: \d+ ms, [\d.]+× the baseline/m],
  "bench:downloads": [
    /^node at rest \(coursefed serve, warmed up\): RSS \d+ MB \(budget \d+ MB\)/m,
    /^download \d+ MB served: .* = [\d.]+x its speed/m,
    /^fetch \d+ MB from a peer .* = [\d.]+x its speed/m,
    /^fetch \d+ MB from a peer over a [\d.]+ Gb\/s link .* = [\d.]+x its speed/m,
    /^serving [\d.]+ GB: node RSS peak \d+ MB, -?\d+ MB above rest \(budget \+\d+ MB\)/m,
    /^fetching [\d.]+ GB from a peer: fetching process RSS peak \d+ MB/m,
  ],
};
/** A benchmark not listed above must still print a ratio (x) or a share (%). */
const ANY_FIGURE = /\d\s*(x|×|%)/;

describe("benchmarks, --quick", () => {
  for (const [name, file] of benchScripts()) {
    if (name === "bench:restore") continue;
    it(`${name} completes and prints its figures`, { timeout: 240_000 }, async () => {
      const run = await runQuickBench(file);
      expect(run.code, `${name} failed:\n${run.stderr}`).toBe(0);
      for (const figure of FIGURES[name] ?? [ANY_FIGURE]) expect(run.stdout).toMatch(figure);
    });
  }
});
