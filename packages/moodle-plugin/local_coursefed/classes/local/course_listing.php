<?php
// This file is part of coursefed's companion plugin for Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

namespace local_coursefed\local;

use context_system;
use core\access\get_user_capability_course_helper;

defined('MOODLE_INTERNAL') || die();

/**
 * The categories and courses a user may restore into, for pickers that name them.
 *
 * A category is listed when the user may create a course there and restore into it; a course
 * when the user may restore into it. Both are decided in SQL from the user's role assignments
 * (Moodle's get_user_capability_course_helper), never by a capability check per row, so that a
 * site of thousands of categories and a hundred thousand courses answers at once: one query for
 * the categories, a count and a page of courses for a search. A site admin is not restricted.
 *
 * It is shared by the plugin's web services and the node's cli driver (packages/moodle/php),
 * which sends this file to PHP with its scripts and runs as the site's main admin.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class course_listing {
    /** The most courses one page holds. */
    public const MAX_PER_PAGE = 200;

    /** The most words a search looks for; any after them are left out. */
    public const MAX_WORDS = 10;

    /** What restoring a backup as a new course in a category needs there. */
    public const CATEGORY_CAPABILITIES = ['moodle/course:create', 'moodle/restore:restorecourse', 'local/coursefed:restore'];

    /** What restoring a backup into an existing course needs there. */
    public const COURSE_CAPABILITIES = ['moodle/restore:restorecourse', 'local/coursefed:restore'];

    /** @var int the user whose capabilities decide */
    private $userid;

    /**
     * Lists for one user.
     *
     * @param int $userid the user whose capabilities decide what is listed
     */
    public function __construct(int $userid) {
        $this->userid = $userid;
    }

    /**
     * Whether the user may restore anywhere at all: into some category or some course.
     *
     * @return bool
     */
    public function may_restore_somewhere(): bool {
        return $this->restriction(self::COURSE_CAPABILITIES) !== null;
    }

    /**
     * The categories the user may restore a new course into, in Moodle's order.
     *
     * @return array[] each with id, name, path ("Sciences / Chimie"), parent (0 at the top),
     *     coursecount and visible
     */
    public function categories(): array {
        global $DB;
        $restriction = $this->restriction(self::CATEGORY_CAPABILITIES);
        if ($restriction === null) {
            return [];
        }
        // Every category, for the names of the paths, even of those not listed.
        $all = $DB->get_records('course_categories', null, 'sortorder, id',
            'id, name, parent, path, coursecount, visible');
        [$where, $params] = $restriction;
        $allowed = $where === '' ? null : array_flip($DB->get_fieldset_sql(
            "SELECT c.id
               FROM {course_categories} c
               JOIN {context} x ON x.instanceid = c.id AND x.contextlevel = ?
              WHERE {$where}", array_merge([CONTEXT_COURSECAT], $params)));
        $names = $this->names($all);
        $categories = [];
        foreach ($all as $category) {
            if ($allowed !== null && !isset($allowed[$category->id])) {
                continue;
            }
            $categories[] = [
                'id' => (int) $category->id,
                'name' => $names[$category->id],
                'path' => $this->path_of($category->path, $names),
                'parent' => (int) $category->parent,
                'coursecount' => (int) $category->coursecount,
                'visible' => (bool) $category->visible,
            ];
        }
        return $categories;
    }

    /**
     * A page of the courses the user may restore into whose full or short name holds every
     * word of $search (case-insensitive), by full name.
     *
     * @param string $search words, all to be found; empty: every course
     * @param int $offset how many to skip
     * @param int $limit how many at most, up to MAX_PER_PAGE
     * @return array total (of the whole search) and courses, each with id, fullname,
     *     shortname, categoryid, categorypath and visible
     */
    public function courses(string $search, int $offset, int $limit): array {
        global $DB;
        $restriction = $this->restriction(self::COURSE_CAPABILITIES);
        if ($restriction === null) {
            return ['total' => 0, 'courses' => []];
        }
        [$allowed, $allowedparams] = $restriction;
        $conditions = ['c.id <> ?'];
        $params = [SITEID];
        // Two conditions a word: a search of hundreds of words would make a query too long to run.
        $words = array_slice(preg_split('/\s+/u', trim($search), -1, PREG_SPLIT_NO_EMPTY), 0, self::MAX_WORDS);
        foreach ($words as $word) {
            $conditions[] = '(' . $DB->sql_like('c.fullname', '?', false, false) . ' OR '
                . $DB->sql_like('c.shortname', '?', false, false) . ')';
            $pattern = '%' . $DB->sql_like_escape($word) . '%';
            $params[] = $pattern;
            $params[] = $pattern;
        }
        $join = '';
        if ($allowed !== '') {
            $join = 'JOIN {context} x ON x.instanceid = c.id AND x.contextlevel = ?';
            array_unshift($params, CONTEXT_COURSE);
            $conditions[] = "({$allowed})";
            $params = array_merge($params, $allowedparams);
        }
        $from = "FROM {course} c {$join} WHERE " . implode(' AND ', $conditions);
        $total = $DB->count_records_sql("SELECT COUNT(1) {$from}", $params);
        $limit = max(1, min($limit, self::MAX_PER_PAGE));
        $rows = $total === 0 ? [] : $DB->get_records_sql(
            "SELECT c.id, c.fullname, c.shortname, c.category, c.visible {$from} ORDER BY c.fullname, c.id",
            $params, max(0, $offset), $limit);
        $categories = $this->categories_of(array_map(fn($row) => (int) $row->category, $rows));
        $courses = [];
        foreach ($rows as $row) {
            $category = $categories[$row->category] ?? null;
            $courses[] = [
                'id' => (int) $row->id,
                'fullname' => $this->text($row->fullname),
                'shortname' => $this->text($row->shortname),
                'categoryid' => (int) $row->category,
                'categorypath' => $category === null ? '' : $category,
                'visible' => (bool) $row->visible,
            ];
        }
        return ['total' => $total, 'courses' => $courses];
    }

    /**
     * The SQL condition on the context table (alias x) of where the user holds every one of
     * $capabilities: '' when everywhere (a site admin), null when nowhere.
     *
     * @param string[] $capabilities
     * @return array|null [sql, params]
     */
    private function restriction(array $capabilities): ?array {
        if (is_siteadmin($this->userid)) {
            return ['', []];
        }
        $conditions = [];
        $params = [];
        foreach ($capabilities as $capability) {
            // A capability the site does not define (the plugin not installed) is held nowhere.
            if (!get_capability_info($capability)) {
                return null;
            }
            [$sql, $sqlparams] = get_user_capability_course_helper::get_sql($this->userid, $capability);
            if (!$sql) {
                return null;
            }
            $conditions[] = "({$sql})";
            $params = array_merge($params, $sqlparams);
        }
        return [implode(' AND ', $conditions), $params];
    }

    /**
     * The path of each category of these ids, from the top ("Sciences / Chimie"), by id.
     *
     * @param int[] $ids
     * @return string[]
     */
    private function categories_of(array $ids): array {
        global $DB;
        if (!$ids) {
            return [];
        }
        $categories = $DB->get_records_list('course_categories', 'id', array_unique($ids), '', 'id, name, path');
        $ancestors = [];
        foreach ($categories as $category) {
            foreach (explode('/', trim($category->path, '/')) as $id) {
                $ancestors[(int) $id] = true;
            }
        }
        $names = $this->names($DB->get_records_list('course_categories', 'id', array_keys($ancestors), '', 'id, name'));
        $paths = [];
        foreach ($categories as $category) {
            $paths[$category->id] = $this->path_of($category->path, $names);
        }
        return $paths;
    }

    /**
     * Category names as Moodle shows them, by id.
     *
     * @param \stdClass[] $categories
     * @return string[]
     */
    private function names(array $categories): array {
        $names = [];
        foreach ($categories as $category) {
            $names[$category->id] = $this->text($category->name);
        }
        return $names;
    }

    /**
     * "Sciences / Chimie" for a category path ("/3/7") of Moodle's.
     *
     * @param string $path
     * @param string[] $names by id
     * @return string
     */
    private function path_of(string $path, array $names): string {
        $parts = [];
        foreach (explode('/', trim($path, '/')) as $id) {
            $parts[] = $names[$id] ?? "#{$id}";
        }
        return implode(' / ', $parts);
    }

    /**
     * A name as plain text, multi-language filters applied, as Moodle's lists show it.
     *
     * @param string $name
     * @return string
     */
    private function text(string $name): string {
        return format_string($name, true, ['context' => context_system::instance(), 'escape' => false]);
    }
}
