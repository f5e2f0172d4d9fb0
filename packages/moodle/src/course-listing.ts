import {
  type CoursePage,
  type CourseSearch,
  MAX_COURSES_PER_PAGE,
  type MoodleCategory,
  type MoodleCourseSummary,
} from "./driver.ts";
import { MoodleError } from "./errors.ts";

/**
 * What local_coursefed's course_listing answers (packages/moodle-plugin/local_coursefed/
 * classes/local/course_listing.php), which both drivers run: the cli driver through
 * packages/moodle/php/list_*.php, the ws driver through local_coursefed_list_*.
 */
interface CategoryAnswer {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  readonly parent: number;
  readonly coursecount: number;
  readonly visible: boolean;
}

interface CourseAnswer {
  readonly id: number;
  readonly fullname: string;
  readonly shortname: string;
  readonly categoryid: number;
  readonly categorypath: string;
  readonly visible: boolean;
}

/** The offset and limit a search asks for, within what one listing returns. */
export function courseSearchWindow(search: CourseSearch): { offset: number; limit: number } {
  const offset = Math.max(0, Math.floor(search.offset ?? 0));
  const limit = Math.min(MAX_COURSES_PER_PAGE, Math.max(1, Math.floor(search.limit ?? 50)));
  return { offset, limit };
}

/** The categories of a listing's answer; `source` names what answered, for the error. */
export function categoriesOf(answer: unknown, source: string): MoodleCategory[] {
  const categories = (answer as { categories?: unknown } | undefined)?.categories;
  if (!Array.isArray(categories)) throw unexpected(source, "categories", answer);
  return (categories as CategoryAnswer[]).map((category) => ({
    id: Number(category.id),
    name: String(category.name),
    path: String(category.path),
    parentId: Number(category.parent),
    courseCount: Number(category.coursecount),
    visible: Boolean(category.visible),
  }));
}

/** The page of courses of a listing's answer. */
export function coursePageOf(answer: unknown, source: string): CoursePage {
  const { total, courses } = (answer ?? {}) as { total?: unknown; courses?: unknown };
  if (typeof total !== "number" || !Array.isArray(courses)) {
    throw unexpected(source, "total and courses", answer);
  }
  return {
    total,
    courses: (courses as CourseAnswer[]).map(
      (course): MoodleCourseSummary => ({
        id: Number(course.id),
        fullName: String(course.fullname),
        shortName: String(course.shortname),
        categoryId: Number(course.categoryid),
        categoryPath: String(course.categorypath),
        visible: Boolean(course.visible),
      }),
    ),
  };
}

function unexpected(source: string, fields: string, answer: unknown): MoodleError {
  return new MoodleError(
    "MISCONFIGURED",
    `${source} answered without ${fields}: install the local_coursefed of this coursefed release (packages/moodle-plugin) on the site.`,
    { log: JSON.stringify(answer ?? null).slice(0, 4000) },
  );
}
