import { parseMoodleBranch } from "@coursefed/mbz";
import type { MoodleSiteInfo } from "@coursefed/moodle";
import { and, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import type { NodeDatabase } from "../db/database.ts";
import type { moodleTargets } from "../db/schema.postgres.ts";

/** A Moodle target as stored (the target repository's MoodleTarget, which calls in here). */
type MoodleTarget = typeof moodleTargets.$inferSelect;

/** A branch as one comparable number: 4.5 → 405, 3.10 → 310. */
export function moodleBranchNumber(text: string): number | null {
  const branch = parseMoodleBranch(text);
  return branch ? branch[0] * 100 + branch[1] : null;
}

/** A Moodle site a catalog course could be restored into, as its last probe found it. */
export interface RestoreSite {
  /** The Moodle target it is: what catalog_restorable records its judgements under. */
  readonly targetId: number;
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
        targetId: target.id,
        branch: moodleBranchNumber(info.branch) ?? moodleBranchNumber(info.release),
        plugins: info.plugins,
        maxRestoreBytes: info.maxRestoreBytes,
      },
    ];
  });
}

/**
 * Holds for the catalog entries (by their search_key, `searchKey`) that at least one of
 * `sites` can restore faithfully, as judged when the entry arrived or the site was
 * probed (see judgeRestorable): a lookup per entry. No site: nothing holds.
 */
export function restorableOn(db: NodeDatabase, sites: readonly RestoreSite[], searchKey: SQL): SQL {
  const { catalogRestorable } = db.tables;
  if (sites.length === 0) return sql`1 = 0`;
  // PostgreSQL: "offset 0" keeps it a lookup per entry, where its planner may hash every
  // judgement first (840,000 rows, 3 s at a million courses, for a few hundred entries).
  const perEntry = db.engine === "postgres" ? sql` offset 0` : sql``;
  return sql`exists (select 1 from ${catalogRestorable}
    where ${catalogRestorable.searchKey} = ${searchKey}
      and ${inArray(
        catalogRestorable.targetId,
        sites.map((site) => site.targetId),
      )}${perEntry})`;
}

/**
 * Records which catalog entries `site` can restore faithfully: every entry when the site
 * was probed again (its earlier judgements are dropped first), or the one that arrived
 * (`objectUri`). What `checkCompatibility` (@coursefed/moodle) judges on the entry's
 * manifest, in SQL so that a million entries are judged in one statement.
 */
export async function judgeRestorable(
  db: NodeDatabase,
  site: RestoreSite,
  objectUri?: string,
): Promise<void> {
  const { catalogEntries, catalogRestorable } = db.tables;
  const judged = db
    .select({
      targetId: sql<number>`${site.targetId}`.as("target_id"),
      searchKey: sql<number>`${catalogEntries.searchKey}`.as("search_key"),
    })
    .from(catalogEntries)
    .where(
      and(
        isNotNull(catalogEntries.searchKey),
        objectUri === undefined ? undefined : eq(catalogEntries.objectUri, objectUri),
        siteCondition(db, site),
      ),
    );
  if (objectUri !== undefined) {
    await db.insert(catalogRestorable).select(judged).onConflictDoNothing();
    return;
  }
  // Restore jobs on several processes probe the same site at once: each judges the whole
  // catalog in one transaction, and the same judgement made twice is no conflict.
  await db.transaction(async (tx) => {
    await tx.delete(catalogRestorable).where(eq(catalogRestorable.targetId, site.targetId));
    await tx
      .insert(catalogRestorable)
      .values({ targetId: site.targetId, searchKey: JUDGED })
      .onConflictDoNothing();
    await tx.insert(catalogRestorable).select(judged).onConflictDoNothing();
  });
}

/**
 * The row saying a site's judgements cover the whole catalog (search keys are positive):
 * a target probed before catalog_restorable existed has none, and is judged at its first
 * search (ensureJudged).
 */
const JUDGED = -1;

/** Judges the whole catalog for the sites never judged yet. */
export async function ensureJudged(db: NodeDatabase, sites: readonly RestoreSite[]): Promise<void> {
  const { catalogRestorable } = db.tables;
  if (sites.length === 0) return;
  const judged = await db
    .select({ targetId: catalogRestorable.targetId })
    .from(catalogRestorable)
    .where(
      and(
        eq(catalogRestorable.searchKey, JUDGED),
        inArray(
          catalogRestorable.targetId,
          sites.map((site) => site.targetId),
        ),
      ),
    );
  const done = new Set(judged.map((row) => row.targetId));
  for (const site of sites) if (!done.has(site.targetId)) await judgeRestorable(db, site);
}

/**
 * A site's probe, recorded: the catalog is judged again for it, unless the probe found
 * what the previous one did.
 */
export async function judgeRestorableAfterProbe(
  db: NodeDatabase,
  previous: MoodleTarget,
  probed: MoodleTarget,
): Promise<void> {
  const [site] = probedSites([probed]);
  if (!site) return;
  const unchanged =
    previous.probedAt !== null &&
    JSON.stringify(previous.siteInfo) === JSON.stringify(probed.siteInfo);
  if (unchanged) await ensureJudged(db, [site]);
  else await judgeRestorable(db, site);
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
