import { NEWEST_KNOWN_BRANCH, STANDARD_PLUGINS } from "./core-plugins.ts";
import { compareMoodleBranches, type MoodleBranch, parseMoodleBranch } from "./moodle-branch.ts";

/**
 * Whether `component` shipped with Moodle on `branch`. A branch newer than the data
 * knows is judged as the newest known one; an unreadable branch, as the newest too.
 */
export function isStandardPlugin(component: string, branch: string): boolean {
  const span = STANDARD_PLUGINS[component];
  if (!span) return false;
  const newest = parseMoodleBranch(NEWEST_KNOWN_BRANCH) as MoodleBranch;
  let at = parseMoodleBranch(branch) ?? newest;
  if (compareMoodleBranches(at, newest) > 0) at = newest;
  const since = span.since ? parseMoodleBranch(span.since) : undefined;
  const until = span.until ? parseMoodleBranch(span.until) : undefined;
  return (
    (!since || compareMoodleBranches(at, since) >= 0) &&
    (!until || compareMoodleBranches(at, until) < 0)
  );
}

/** The plugins among `used` that a Moodle of `branch` did not ship, sorted. */
export function requiredPlugins(used: Iterable<string>, branch: string): string[] {
  return [...new Set(used)].filter((component) => !isStandardPlugin(component, branch)).sort();
}
