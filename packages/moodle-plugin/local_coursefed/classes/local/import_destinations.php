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

use context_course;
use context_coursecat;
use context_system;
use core_course_category;
use moodle_exception;
use moodle_url;
use required_capability_exception;

/**
 * Where Moodle lets a user import a course from the network: Moodle's capabilities decide, never the node.
 *
 * A new course goes into a category where the user may create courses and restore (moodle/course:create,
 * moodle/restore:restorecourse) and import (local/coursefed:import); an existing course is one where they
 * may restore and import. The import form offers these by name, and the same lists decide what a posted
 * form may ask, so that a forged id is refused.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class import_destinations {
    /** Capabilities needed in a category to import into it as a new course. */
    private const CATEGORY_CAPABILITIES = ['moodle/course:create', 'moodle/restore:restorecourse', 'local/coursefed:import'];
    /** Capabilities needed in a course to import into it (merge or replace). */
    private const COURSE_CAPABILITIES = ['moodle/restore:restorecourse', 'local/coursefed:import'];

    /**
     * The categories the current user may import a new course into, by id, each named by its path.
     *
     * @return array<int, string> id => "Top / Sciences / Chemistry"
     */
    public static function categories(): array {
        $categories = [];
        // The list already holds only the categories where the user has moodle/course:create.
        foreach (core_course_category::make_categories_list('moodle/course:create') as $id => $path) {
            if (has_all_capabilities(self::CATEGORY_CAPABILITIES, context_coursecat::instance($id))) {
                $categories[(int) $id] = $path;
            }
        }
        return $categories;
    }

    /**
     * The courses the current user may import into (merge or replace), by id, each named by its full name.
     *
     * @return array<int, string> id => full name (with the short name)
     */
    public static function courses(): array {
        global $USER;
        $courses = [];
        $found = get_user_capability_course('moodle/restore:restorecourse', $USER->id, true, 'fullname,shortname',
            'fullname ASC') ?: [];
        foreach ($found as $course) {
            if ((int) $course->id === (int) SITEID) {
                continue;
            }
            $context = context_course::instance($course->id);
            if (has_all_capabilities(self::COURSE_CAPABILITIES, $context)) {
                $courses[(int) $course->id] = format_string($course->fullname, true, ['context' => $context])
                    . ' (' . format_string($course->shortname, true, ['context' => $context]) . ')';
            }
        }
        return $courses;
    }

    /**
     * Whether the current user may import a new course into this category.
     *
     * @param int $categoryid
     * @return bool
     */
    public static function allows_category(int $categoryid): bool {
        $category = core_course_category::get($categoryid, IGNORE_MISSING);
        return $category !== null
            && has_all_capabilities(self::CATEGORY_CAPABILITIES, context_coursecat::instance($categoryid));
    }

    /**
     * Whether the current user may import into this existing course (merge or replace).
     *
     * @param int $courseid
     * @return bool
     */
    public static function allows_course(int $courseid): bool {
        // SITEID is the id as the database gave it, a string: compared as it is, the front page was a destination.
        if ($courseid === (int) SITEID) {
            return false;
        }
        $context = context_course::instance($courseid, IGNORE_MISSING);
        return $context !== false && has_all_capabilities(self::COURSE_CAPABILITIES, $context);
    }

    /**
     * Refuses, with Moodle's page, a user who may not import into this course: Moodle's own refusal naming the
     * capability missing, else (every capability held) the plugin's, for the site's front page, which is no course.
     *
     * @param int $courseid
     * @throws required_capability_exception|moodle_exception
     */
    public static function require_course(int $courseid): void {
        if (self::allows_course($courseid)) {
            return;
        }
        $context = context_course::instance($courseid);
        foreach (self::COURSE_CAPABILITIES as $capability) {
            require_capability($capability, $context);
        }
        throw new moodle_exception('networknocoursepermission', 'local_coursefed', '', $courseid);
    }

    /**
     * Whether the current user holds local/coursefed:import anywhere (the site or a category): who sees the
     * navigation entry and may browse. Cheap (Moodle caches it), unlike the destination lists.
     *
     * @return bool
     */
    public static function allowed_anywhere(): bool {
        return core_course_category::has_capability_on_any(['local/coursefed:import']);
    }

    /**
     * Starts a page of the network's (browse, a course's details, import and its progress): signed in, in the
     * system context (what the user may do is decided per category and course), refused to whoever holds
     * local/coursefed:import nowhere.
     *
     * @param moodle_url $url the page's own address
     * @return context_system
     */
    public static function start_network_page(moodle_url $url): context_system {
        global $PAGE;
        require_login(null, false);
        $context = context_system::instance();
        $PAGE->set_context($context);
        $PAGE->set_url($url);
        $PAGE->set_pagelayout('standard');
        if (!self::allowed_anywhere()) {
            throw new required_capability_exception($context, 'local/coursefed:import', 'nopermissions', '');
        }
        return $context;
    }
}
