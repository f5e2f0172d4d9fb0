/** Activity modules by module name ("quiz": 2), as backups and restored courses are compared. */
export type ActivityCounts = Readonly<Record<string, number>>;

/**
 * Which expected modules a restored course lacks, and how many of each. Moodle drops
 * activities whose plugin the site lacks and still reports success, so this comparison
 * is how a driver notices. Into an existing course, modules already there count too; a
 * module of a missing plugin cannot already be there, so what is dropped still shows.
 */
export function missingActivities(
  expected: ActivityCounts,
  restored: ActivityCounts,
): ActivityCounts {
  const missing: Record<string, number> = {};
  for (const [module, count] of Object.entries(expected)) {
    const lacking = count - (restored[module] ?? 0);
    if (lacking > 0) missing[module] = lacking;
  }
  return missing;
}

/** Counts a backup's activities by module name. */
export function countActivities(activities: Iterable<{ readonly module: string }>): ActivityCounts {
  const counts: Record<string, number> = {};
  for (const { module } of activities) counts[module] = (counts[module] ?? 0) + 1;
  return counts;
}
