import {
  type CoursePage,
  type CourseSearch,
  type MoodleCategory,
  type MoodleDriver,
  MoodleError,
} from "@coursefed/moodle";
import { CodedError } from "../coded-error.ts";
import type { MoodleTarget, MoodleTargetRepository } from "./target-repository.ts";
import { noSuchTargetMessage } from "./target-repository.ts";

export class TargetListingError extends CodedError<"NO_SUCH_TARGET" | "NOT_PERMITTED"> {
  override readonly name = "TargetListingError";
}

/**
 * Who asks for a listing: an admin, or a Moodle site about its own target, sees what the
 * site lists; a teacher, less (see below).
 */
export interface ListingViewer {
  readonly seesWholeSite: boolean;
}

/** A target's categories as a viewer may pick them. */
export interface TargetCategories {
  readonly target: MoodleTarget;
  readonly categories: readonly MoodleCategory[];
  /** True when the viewer sees only the categories an admin opened to teachers. */
  readonly onlyOpenToTeachers: boolean;
}

/**
 * How long a target's categories are kept: a page offering them would otherwise start
 * PHP (cli) or call the site (ws) on every view, and categories rarely change.
 */
export const CATEGORY_LIST_FRESHNESS_MS = 60_000;

/**
 * The longest a listing may take: pages wait for it, and a site that hangs must not hold
 * them for the driver's timeout (thirty minutes by default, made for restores).
 */
export const LISTING_TIMEOUT_MS = 15_000;

/**
 * Runs a listing within LISTING_TIMEOUT_MS (and the caller's signal): past it, a
 * transient MoodleError TIMEOUT, which pages show as why the site could not be listed.
 */
async function withinListingTime<T>(
  target: MoodleTarget,
  signal: AbortSignal | undefined,
  list: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(LISTING_TIMEOUT_MS);
  try {
    return await list(signal ? AbortSignal.any([signal, deadline]) : deadline);
  } catch (error) {
    if (!deadline.aborted || signal?.aborted) throw error;
    throw new MoodleError(
      "TIMEOUT",
      `${target.name} did not answer within ${LISTING_TIMEOUT_MS / 1000} s.`,
      { transient: true },
    );
  }
}

const listedCategories = new WeakMap<
  MoodleDriver,
  { readonly at: number; readonly categories: readonly MoodleCategory[] }
>();

/**
 * The categories of a target that a restore may go into, as the site lists them (its
 * driver's Moodle user's view: every one for the cli driver): all of them for an admin,
 * those an admin opened to teachers for a teacher, since a teacher's restore anywhere else
 * would be refused.
 * @throws TargetListingError NO_SUCH_TARGET; MoodleError when the site cannot be listed.
 */
export async function targetCategories(
  targets: MoodleTargetRepository,
  targetName: string,
  viewer: ListingViewer,
  signal?: AbortSignal,
): Promise<TargetCategories> {
  const target = await targetNamed(targets, targetName);
  const driver = targets.driverOf(target);
  let listed = listedCategories.get(driver);
  if (!listed || Date.now() - listed.at > CATEGORY_LIST_FRESHNESS_MS) {
    const categories = await withinListingTime(target, signal, (within) =>
      driver.listCategories(within),
    );
    listed = { at: Date.now(), categories };
    listedCategories.set(driver, listed);
  }
  if (viewer.seesWholeSite)
    return { target, categories: listed.categories, onlyOpenToTeachers: false };
  const open = new Set(target.teacherCategoryIds);
  return {
    target,
    categories: listed.categories.filter((category) => open.has(category.id)),
    onlyOpenToTeachers: true,
  };
}

/**
 * A page of a target's courses whose names hold every word searched, for an admin: a
 * teacher restores only into the few courses their restores made or an admin granted
 * them, which are not for searching the whole site.
 * @throws TargetListingError NO_SUCH_TARGET, NOT_PERMITTED; MoodleError when the site cannot be listed.
 */
export async function targetCourses(
  targets: MoodleTargetRepository,
  targetName: string,
  viewer: ListingViewer,
  search: CourseSearch,
): Promise<{ target: MoodleTarget; page: CoursePage }> {
  if (!viewer.seesWholeSite) {
    throw new TargetListingError(
      "NOT_PERMITTED",
      `Only an admin may search the courses of ${targetName}: a teacher restores into an existing course only when their own restore made it or an admin granted it (coursefed moodle grants ${targetName}).`,
    );
  }
  const target = await targetNamed(targets, targetName);
  const driver = targets.driverOf(target);
  const page = await withinListingTime(target, search.signal, (within) =>
    driver.listCourses({ ...search, signal: within }),
  );
  return { target, page };
}

async function targetNamed(
  targets: MoodleTargetRepository,
  targetName: string,
): Promise<MoodleTarget> {
  const target = await targets.byName(targetName);
  if (!target) throw new TargetListingError("NO_SUCH_TARGET", noSuchTargetMessage(targetName));
  return target;
}
