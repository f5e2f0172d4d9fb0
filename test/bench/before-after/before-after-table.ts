/**
 * The before/after table: one row per figure, each tree's value in every run (in the
 * order they ran, before and after alternately), the baselines those runs measured, and
 * after ÷ before of the medians.
 */
import type { Figure, Figures } from "./bench-figures.ts";

/** One figure of the table, read from the runs of one measure. */
export interface TableRow {
  /** The measure whose runs it is read from. */
  readonly measure: string;
  readonly label: string;
  /** The figure compared; undefined where the run did not print it. */
  readonly value: (figures: Figures) => Figure | undefined;
  readonly unit: string;
  /** Decimals shown. */
  readonly digits: number;
  readonly better: "lower" | "higher";
  /** What else the run measured that goes with the value (a time beside a ratio). */
  readonly detail?: (figures: Figures) => string | undefined;
  /** The baseline that run measured, as printed in the baseline column. */
  readonly baseline?: (figures: Figures) => string | undefined;
}

/** A run of one measure on one tree. */
export interface MeasureRun {
  readonly measure: string;
  readonly side: "before" | "after";
  readonly figures: Figures;
  /** Why the run has no figures: it failed, or was skipped. */
  readonly failure?: string;
}

export function formatFigure(figure: Figure, unit: string, digits: number): string {
  return `${figure.atLeast ? "> " : ""}${figure.value.toFixed(digits)}${unit}`;
}

/** The middle value, or the mean of the middle two. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface Side {
  readonly cell: string;
  readonly figures: readonly Figure[];
  readonly baselines: readonly string[];
}

function side(row: TableRow, runs: readonly MeasureRun[]): Side {
  if (runs.length === 0) return { cell: "not run", figures: [], baselines: [] };
  const figures: Figure[] = [];
  const baselines: string[] = [];
  const cells = runs.map((run) => {
    if (run.failure) return "n/a";
    const figure = row.value(run.figures);
    if (!figure) return "not printed";
    figures.push(figure);
    const baseline = row.baseline?.(run.figures);
    if (baseline) baselines.push(baseline);
    const detail = row.detail?.(run.figures);
    return `${formatFigure(figure, row.unit, row.digits)}${detail ? ` (${detail})` : ""}`;
  });
  return { cell: cells.join(" / "), figures, baselines };
}

/** after ÷ before of the medians, with which way is better; a bound where a run only had one. */
function ratio(row: TableRow, before: Side, after: Side): string {
  if (before.figures.length === 0 || after.figures.length === 0) return "—";
  const b = median(before.figures.map((figure) => figure.value));
  const a = median(after.figures.map((figure) => figure.value));
  if (b === 0) return "—";
  // A "> x" before makes after ÷ before at most the printed ratio; a "> x" after, at least.
  const bound =
    before.figures.some((figure) => figure.atLeast) && !after.figures.some((f) => f.atLeast)
      ? "≤ "
      : after.figures.some((figure) => figure.atLeast) && !before.figures.some((f) => f.atLeast)
        ? "≥ "
        : "";
  return `${bound}${(a / b).toFixed(2)}× (${row.better} is better)`;
}

function baselineCell(before: Side, after: Side): string {
  const parts: string[] = [];
  if (before.baselines.length) parts.push(`before: ${before.baselines.join(" / ")}`);
  if (after.baselines.length) parts.push(`after: ${after.baselines.join(" / ")}`);
  return parts.join("; ") || "—";
}

/** The markdown table of `rows`, from `runs` (several per measure and side). */
export function beforeAfterTable(rows: readonly TableRow[], runs: readonly MeasureRun[]): string {
  const lines = [
    "| measure | before | after | baseline(s) in the same run | after ÷ before (medians) |",
    "|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const of = (name: "before" | "after") =>
      side(
        row,
        runs.filter((run) => run.measure === row.measure && run.side === name),
      );
    const before = of("before");
    const after = of("after");
    lines.push(
      `| ${row.label} | ${before.cell} | ${after.cell} | ${baselineCell(before, after)} | ${ratio(row, before, after)} |`,
    );
  }
  return lines.join("\n");
}
