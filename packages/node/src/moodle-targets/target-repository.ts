import {
  CliDriver,
  type MoodleDriver,
  MoodleError,
  type MoodleSiteInfo,
  WsDriver,
} from "@coursefed/moodle";
import { and, asc, eq } from "drizzle-orm";
import { judgeRestorableAfterProbe } from "../catalog/catalog-restorable.ts";
import { CodedError } from "../coded-error.ts";
import type { NodeDatabase } from "../db/database.ts";
import type { moodleCourseGrants, moodleTargets } from "../db/schema.postgres.ts";
import type { MoodleDriverName } from "../vocabulary/moodle-drivers.ts";

export type MoodleTarget = typeof moodleTargets.$inferSelect;
export type MoodleCourseGrant = typeof moodleCourseGrants.$inferSelect;

/** A target as the admin describes it: the driver's settings are checked here. */
export interface NewMoodleTarget {
  readonly name: string;
  readonly driver: MoodleDriverName;
  readonly url: string;
  /** cli: the Moodle code directory (holding config.php). */
  readonly moodleDir?: string | undefined;
  readonly php?: string | undefined;
  readonly runAsUser?: string | undefined;
  /** ws: a token of the plugin's 'coursefed' service. */
  readonly token?: string | undefined;
  readonly defaultCategoryId?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** The node's address as this site reaches it, when not the public URL (see nodeUrlFrom). */
  readonly nodeUrl?: string | undefined;
}

/** The refusal of a target name nothing is called, as every caller words it. */
export function noSuchTargetMessage(name: string): string {
  return `There is no Moodle target named ${name}; see coursefed moodle list.`;
}

export class TargetError extends CodedError<"DUPLICATE" | "NOT_FOUND" | "INVALID" | "OTHER_SITE"> {
  override readonly name = "TargetError";
}

/**
 * The node's address as one Moodle site reaches it, for the archive links it downloads by
 * and the registration code it calls the node with: a site inside the institution's
 * network may reach the node only by an internal address. An origin, as the public URL
 * is (the node's routes are at its root); credentials are refused, since the address is
 * handed to the site and shown to admins.
 */
export function nodeUrlFrom(text: string): string {
  const url = URL.canParse(text.trim()) ? new URL(text.trim()) : undefined;
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new TargetError(
      "INVALID",
      `"${text}" is not an http(s) address of this node; give it as the site reaches the node, e.g. http://coursefed.internal:8080.`,
    );
  }
  if (url.username || url.password) {
    throw new TargetError(
      "INVALID",
      `The node's address for a site must not hold a user name or password: give ${url.protocol}//${url.host} (archive links carry their own token).`,
    );
  }
  if (url.pathname !== "/" || url.search || url.hash) {
    throw new TargetError(
      "INVALID",
      `"${text}" has a path, query or fragment: give only the node's origin, e.g. ${url.origin} (the node's routes are at its root).`,
    );
  }
  return url.origin;
}

/**
 * What an admin may change of a target: its connection (probed before it is saved) and
 * where restores go. Its name and driver stay: rules, jobs, lineage and grants name it,
 * and another driver is another way of reaching the site, better added beside it.
 */
export interface MoodleTargetChanges {
  readonly url?: string | undefined;
  readonly moodleDir?: string | undefined;
  /** null: back to the default (php, the node's own user). */
  readonly php?: string | null | undefined;
  readonly runAsUser?: string | null | undefined;
  readonly token?: string | undefined;
  readonly defaultCategoryId?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** null: the node's public URL. */
  readonly nodeUrl?: string | null | undefined;
}

/** The fields of a target row that say how the node reaches its site: a change is probed. */
export const CONNECTION_FIELDS = ["url", "moodleDir", "php", "runAsUser", "token"] as const;

/** Settings that belong to one driver only: given for the other, they are a mistake. */
const DRIVER_SETTINGS = {
  cli: ["moodleDir", "php", "runAsUser"],
  ws: ["token"],
} as const satisfies Record<MoodleDriverName, ReadonlyArray<keyof NewMoodleTarget>>;

/** A restore of a large course can take many minutes; a probe or a small one, seconds. */
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** The Moodle sites this node serves, and one driver per site (it holds the site's restore lock). */
export class MoodleTargetRepository {
  readonly #db: NodeDatabase;
  readonly #drivers = new Map<number, MoodleDriver>();

  constructor(db: NodeDatabase) {
    this.#db = db;
  }

  async add(target: NewMoodleTarget): Promise<MoodleTarget> {
    const { moodleTargets } = this.#db.tables;
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(target.name)) {
      throw new TargetError(
        "INVALID",
        `"${target.name}" is not a usable target name; use letters, digits, "_" or "-", e.g. "lyon-sciences".`,
      );
    }
    const url = siteUrlFrom(target.url);
    refuseForeignSettings(target.driver, target);
    const nodeUrl = target.nodeUrl === undefined ? null : nodeUrlFrom(target.nodeUrl);
    if (await this.byName(target.name)) {
      throw new TargetError("DUPLICATE", `There is already a Moodle target named ${target.name}.`);
    }
    const [added] = await this.#db
      .insert(moodleTargets)
      .values({
        name: target.name,
        driver: target.driver,
        url,
        nodeUrl,
        settings: driverSettings(target),
        defaultCategoryId: target.defaultCategoryId ?? 1,
        timeoutMs: target.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        createdAt: Date.now(),
      })
      .returning();
    return added as MoodleTarget;
  }

  async all(): Promise<MoodleTarget[]> {
    const { moodleTargets } = this.#db.tables;
    return await this.#db.select().from(moodleTargets).orderBy(moodleTargets.name);
  }

  /** Each target's name by id: jobs and rules refer to targets by id, people by name. */
  async namesById(): Promise<Map<number, string>> {
    const { moodleTargets } = this.#db.tables;
    const targets = await this.#db
      .select({ id: moodleTargets.id, name: moodleTargets.name })
      .from(moodleTargets);
    return new Map(targets.map((target) => [target.id, target.name]));
  }

  async byName(name: string): Promise<MoodleTarget | undefined> {
    const { moodleTargets } = this.#db.tables;
    const [target] = await this.#db
      .select()
      .from(moodleTargets)
      .where(eq(moodleTargets.name, name))
      .limit(1);
    return target;
  }

  async byId(id: number): Promise<MoodleTarget | undefined> {
    const { moodleTargets } = this.#db.tables;
    const [target] = await this.#db
      .select()
      .from(moodleTargets)
      .where(eq(moodleTargets.id, id))
      .limit(1);
    return target;
  }

  /** Forgets a target, its rules and its lineage records; the Moodle site is not touched. */
  async remove(name: string): Promise<boolean> {
    const { moodleTargets } = this.#db.tables;
    const target = await this.byName(name);
    if (!target) return false;
    this.#drivers.delete(target.id);
    await this.#db.delete(moodleTargets).where(eq(moodleTargets.id, target.id));
    return true;
  }

  /**
   * The target as these changes would make it, checked but not saved: its connection is
   * probed (driverFor) before saveEdit keeps it.
   */
  edited(target: MoodleTarget, changes: MoodleTargetChanges): MoodleTarget {
    refuseForeignSettings(target.driver, changes);
    const settings: Record<string, string | number> = { ...target.settings };
    for (const setting of ["moodleDir", "php", "runAsUser", "token"] as const) {
      const value = changes[setting];
      if (value === undefined) continue;
      if (value === null || value.trim() === "") {
        if (setting === "moodleDir" || setting === "token") {
          throw new TargetError(
            "INVALID",
            setting === "token"
              ? "An empty token would cut the site off: give the new token of the local_coursefed plugin's service."
              : "A cli target needs the Moodle code directory (--moodle-dir), the one holding config.php.",
          );
        }
        delete settings[setting];
      } else {
        settings[setting] = value.trim();
      }
    }
    return {
      ...target,
      url: changes.url === undefined ? target.url : siteUrlFrom(changes.url),
      settings,
      defaultCategoryId: changes.defaultCategoryId ?? target.defaultCategoryId,
      timeoutMs: changes.timeoutMs ?? target.timeoutMs,
      nodeUrl:
        changes.nodeUrl === undefined
          ? target.nodeUrl
          : changes.nodeUrl === null
            ? null
            : nodeUrlFrom(changes.nodeUrl),
    };
  }

  /**
   * Saves an edited target in one statement, with what the probe of its new connection
   * found when it changed; the next request to the site goes through the new settings.
   */
  async saveEdit(
    target: MoodleTarget,
    edited: MoodleTarget,
    info: MoodleSiteInfo | undefined,
  ): Promise<MoodleTarget> {
    const { moodleTargets } = this.#db.tables;
    const [saved] = await this.#db
      .update(moodleTargets)
      .set({
        url: edited.url,
        settings: edited.settings,
        defaultCategoryId: edited.defaultCategoryId,
        timeoutMs: edited.timeoutMs,
        nodeUrl: edited.nodeUrl,
        ...(info ? { siteInfo: { ...info }, probedAt: Date.now() } : {}),
      })
      .where(eq(moodleTargets.id, target.id))
      .returning();
    this.#drivers.delete(target.id);
    if (info) await judgeRestorableAfterProbe(this.#db, target, saved as MoodleTarget);
    return saved as MoodleTarget;
  }

  async saveProbe(target: MoodleTarget, info: MoodleSiteInfo): Promise<MoodleTarget> {
    const { moodleTargets } = this.#db.tables;
    const [saved] = await this.#db
      .update(moodleTargets)
      .set({ siteInfo: { ...info }, probedAt: Date.now() })
      .where(eq(moodleTargets.id, target.id))
      .returning();
    // What the catalog's "restorable" filter reads is judged now, not at each search.
    await judgeRestorableAfterProbe(this.#db, target, saved as MoodleTarget);
    return saved as MoodleTarget;
  }

  /**
   * Gives a ws target the token of the plugin's service its site sent: the next request
   * to the site uses it.
   */
  async setWsToken(target: MoodleTarget, token: string): Promise<MoodleTarget> {
    const { moodleTargets } = this.#db.tables;
    const [saved] = await this.#db
      .update(moodleTargets)
      .set({ settings: { ...target.settings, token } })
      .where(eq(moodleTargets.id, target.id))
      .returning();
    this.#drivers.delete(target.id);
    return saved as MoodleTarget;
  }

  /** Sets the node's address as this site reaches it (see nodeUrlFrom); null: the public URL. */
  async setNodeUrl(target: MoodleTarget, nodeUrl: string | null): Promise<MoodleTarget> {
    const { moodleTargets } = this.#db.tables;
    const [saved] = await this.#db
      .update(moodleTargets)
      .set({ nodeUrl: nodeUrl === null ? null : nodeUrlFrom(nodeUrl) })
      .where(eq(moodleTargets.id, target.id))
      .returning();
    return saved as MoodleTarget;
  }

  /** Sets the categories where teachers may restore new courses (none: teachers may not). */
  async setTeacherCategories(target: MoodleTarget, categoryIds: readonly number[]) {
    const { moodleTargets } = this.#db.tables;
    const [saved] = await this.#db
      .update(moodleTargets)
      .set({ teacherCategoryIds: [...new Set(categoryIds)].sort((a, b) => a - b) })
      .where(eq(moodleTargets.id, target.id))
      .returning();
    return saved as MoodleTarget;
  }

  /** Lets a teacher (their local actor) restore into an existing course; false if they already may. */
  async grant(
    target: MoodleTarget,
    moodleCourseId: number,
    actorId: number,
    grantedBy: string,
  ): Promise<boolean> {
    const { moodleCourseGrants } = this.#db.tables;
    const added = await this.#db
      .insert(moodleCourseGrants)
      .values({ targetId: target.id, moodleCourseId, actorId, grantedBy, grantedAt: Date.now() })
      .onConflictDoNothing()
      .returning();
    return added.length > 0;
  }

  /** Takes a grant back; false if there was none. */
  async revoke(target: MoodleTarget, moodleCourseId: number, actorId: number): Promise<boolean> {
    const { moodleCourseGrants } = this.#db.tables;
    const removed = await this.#db
      .delete(moodleCourseGrants)
      .where(
        and(
          eq(moodleCourseGrants.targetId, target.id),
          eq(moodleCourseGrants.moodleCourseId, moodleCourseId),
          eq(moodleCourseGrants.actorId, actorId),
        ),
      )
      .returning();
    return removed.length > 0;
  }

  /** A target's grants, by course then actor; with `actorId`, that teacher's only. */
  async grants(target: MoodleTarget, actorId?: number): Promise<MoodleCourseGrant[]> {
    const { moodleCourseGrants } = this.#db.tables;
    return await this.#db
      .select()
      .from(moodleCourseGrants)
      .where(
        and(
          eq(moodleCourseGrants.targetId, target.id),
          actorId === undefined ? undefined : eq(moodleCourseGrants.actorId, actorId),
        ),
      )
      .orderBy(asc(moodleCourseGrants.moodleCourseId), asc(moodleCourseGrants.actorId));
  }

  /** Every grant one teacher holds, on every target. */
  async grantsTo(actorId: number): Promise<MoodleCourseGrant[]> {
    const { moodleCourseGrants } = this.#db.tables;
    return await this.#db
      .select()
      .from(moodleCourseGrants)
      .where(eq(moodleCourseGrants.actorId, actorId));
  }

  driverOf(target: MoodleTarget): MoodleDriver {
    const held = this.#drivers.get(target.id);
    if (held) return held;
    const driver = driverFor(target);
    this.#drivers.set(target.id, driver);
    return driver;
  }
}

/**
 * A driver for the target as it is described, not the one held for its site: an edited
 * connection is probed with it before it replaces the held one.
 */
export function driverFor(target: MoodleTarget): MoodleDriver {
  const settings = target.settings;
  return target.driver === "cli"
    ? new CliDriver({
        moodleDir: String(settings.moodleDir),
        timeoutMs: target.timeoutMs,
        wwwroot: target.url,
        ...(settings.php ? { php: String(settings.php) } : {}),
        ...(settings.runAsUser ? { runAsUser: String(settings.runAsUser) } : {}),
      })
    : new WsDriver({
        url: target.url,
        token: wsTokenOf(target),
        timeoutMs: target.timeoutMs,
      });
}

/** A Moodle site's address as a target keeps it (no trailing slash), or a refusal. */
function siteUrlFrom(text: string): string {
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) {
    throw new TargetError("INVALID", `"${text}" is not the http(s) address of a Moodle site.`);
  }
  return text.replace(/\/+$/, "");
}

/** Refuses the settings of the other driver: given for this one, they are a mistake. */
function refuseForeignSettings(
  driver: MoodleDriverName,
  given: Partial<Record<(typeof DRIVER_SETTINGS)[MoodleDriverName][number], unknown>>,
): void {
  const foreign = Object.entries(DRIVER_SETTINGS)
    .filter(([other]) => other !== driver)
    .flatMap(([, settings]) => settings.filter((setting) => given[setting] !== undefined));
  if (foreign.length > 0) {
    throw new TargetError(
      "INVALID",
      `${foreign.join(", ")} ${foreign.length === 1 ? "is" : "are"} not used by the ${driver} driver; leave ${foreign.length === 1 ? "it" : "them"} out.`,
    );
  }
}

/** A ws target's token, or a refusal saying how it gets one. */
function wsTokenOf(target: MoodleTarget): string {
  const token = target.settings.token;
  if (typeof token !== "string" || !token) {
    throw new MoodleError(
      "AUTHENTICATION",
      `The ws target ${target.name} has no token of the local_coursefed plugin's service yet: register the site (\`coursefed moodle register ${target.name}\` or "Registration code" on the console's Moodle page), paste the code on the plugin's settings page and press "Give the node access"; or give it a token: \`coursefed moodle edit ${target.name} --ws-token TOKEN\`.`,
    );
  }
  return token;
}

function driverSettings(target: NewMoodleTarget): Record<string, string> {
  if (target.driver === "cli") {
    if (!target.moodleDir) {
      throw new TargetError(
        "INVALID",
        "A cli target needs the Moodle code directory (--moodle-dir), the one holding config.php.",
      );
    }
    return {
      moodleDir: target.moodleDir,
      ...(target.php ? { php: target.php } : {}),
      ...(target.runAsUser ? { runAsUser: target.runAsUser } : {}),
    };
  }
  // Without a token the site gives one when it is registered ("Give the node access" on the
  // plugin's settings page): until then the driver refuses to run.
  return target.token ? { token: target.token } : {};
}
