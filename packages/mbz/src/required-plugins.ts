import { NEWEST_KNOWN_BRANCH, STANDARD_PLUGINS } from "./core-plugins.ts";

/** A Moodle branch such as "3.10", as comparable numbers. */
function parseBranch(branch: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(branch.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function compareBranches(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Whether `component` shipped with Moodle on `branch`. A branch newer than the data
 * knows is judged as the newest known one; an unreadable branch, as the newest too.
 */
export function isStandardPlugin(component: string, branch: string): boolean {
  const span = STANDARD_PLUGINS[component];
  if (!span) return false;
  const newest = parseBranch(NEWEST_KNOWN_BRANCH) as [number, number];
  let at = parseBranch(branch) ?? newest;
  if (compareBranches(at, newest) > 0) at = newest;
  const since = span.since ? parseBranch(span.since) : undefined;
  const until = span.until ? parseBranch(span.until) : undefined;
  return (!since || compareBranches(at, since) >= 0) && (!until || compareBranches(at, until) < 0);
}

/** The plugins among `used` that a Moodle of `branch` did not ship, sorted. */
export function requiredPlugins(used: Iterable<string>, branch: string): string[] {
  return [...new Set(used)].filter((component) => !isStandardPlugin(component, branch)).sort();
}
