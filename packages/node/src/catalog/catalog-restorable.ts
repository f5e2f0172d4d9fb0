import { parseMoodleBranch } from "@coursefed/mbz";
import type { MoodleSiteInfo } from "@coursefed/moodle";
import { and, or, type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { MoodleTarget } from "../moodle-targets/target-repository.ts";

/** A branch as one comparable number: 4.5 → 405, 3.10 → 310. */
export function moodleBranchNumber(text: string): number | null {
  const branch = parseMoodleBranch(text);
  return branch ? branch[0] * 100 + branch[1] : null;
}

/** A Moodle site a catalog course could be restored into, as its last probe found it. */
export interface RestoreSite {
  /** Its branch as one number (4.5 → 405); null when the probe could not tell. */
  readonly branch: number | null;
  /** Every installed plugin (frankenstyle component) with its version. */
  readonly plugins: Readonly<Record<string, number>>;
  /** The largest backup it restores, in bytes; null when unlimited. */
  readonly maxRestoreBytes: number | null;
}

/** The node's Moodle targets that have been probed, as sites to restore into. */
export function probedSites(targets: readonly MoodleTarget[]): RestoreSite[] {
  return targets.flatMap((target) => {
    if (target.siteInfo === null || target.probedAt === null) return [];
    const info = target.siteInfo as unknown as MoodleSiteInfo;
    return [
      {
        branch: moodleBranchNumber(info.branch) ?? moodleBranchNumber(info.release),
        plugins: info.plugins,
        maxRestoreBytes: info.maxRestoreBytes,
      },
    ];
  });
}

/**
 * Holds for the catalog entries that at least one of `sites` can restore faithfully:
 * what `checkCompatibility` (@coursefed/moodle) judges on the entry's manifest, in SQL so
 * that the catalog's count and pages stay right. A backup made on the same branch or an
 * older one, every plugin it needs installed and no older than the backup's, and no
 * larger than the site accepts. A backup whose branch is unknown is not held against a
 * site, as the check does not. No site: nothing holds.
 */
export function restorableOn(db: NodeDatabase, sites: readonly RestoreSite[]): SQL {
  const conditions = sites.map((site) => siteCondition(db, site));
  return conditions.length > 0 ? (or(...conditions) as SQL) : sql`1 = 0`;
}

function siteCondition(db: NodeDatabase, site: RestoreSite): SQL {
  const { catalogEntries } = db.tables;
  return and(
    site.branch === null
      ? undefined
      : sql`(${catalogEntries.moodleBranch} is null or ${catalogEntries.moodleBranch} <= ${site.branch})`,
    site.maxRestoreBytes === null
      ? undefined
      : sql`${catalogEntries.size} <= ${site.maxRestoreBytes}`,
    sql`not exists (${missingOrOutdatedPlugins(db, site.plugins)})`,
  ) as SQL;
}

/**
 * The entry's required plugins that the site lacks, or has in a version older than the
 * one the backup was written with (its manifest's pluginVersions, where it says).
 */
function missingOrOutdatedPlugins(
  db: NodeDatabase,
  plugins: Readonly<Record<string, number>>,
): SQL {
  const { catalogEntries } = db.tables;
  const installed = JSON.stringify(plugins);
  if (db.engine === "postgres") {
    const siteVersion = sql`(${installed}::jsonb ->> required.name)::numeric`;
    return sql`select 1 from jsonb_array_elements_text(${catalogEntries.requiredPlugins}) as required(name)
      where ${siteVersion} is null
        or ${siteVersion} < coalesce((${catalogEntries.manifest} -> 'pluginVersions' ->> required.name)::numeric, ${siteVersion})`;
  }
  // Keys are looked up with json_each rather than a JSON path: a plugin name is the
  // publisher's text, and a quote in it would make a path invalid.
  return sql`select 1 from json_each(${catalogEntries.requiredPlugins}) as required
    where not exists (
      select 1 from json_each(${installed}) as site
      where site.key = required.value
        and site.value >= coalesce(
          (select backup.value from json_each(${catalogEntries.manifest}, '$.pluginVersions') as backup where backup.key = required.value),
          site.value
        )
    )`;
}
