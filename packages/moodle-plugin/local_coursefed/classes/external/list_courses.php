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

namespace local_coursefed\external;

use context_system;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_coursefed\local\course_listing;
use required_capability_exception;

/**
 * local_coursefed_list_courses: a page of the courses the caller may restore into, searched by name.
 *
 * Those where the caller holds moodle/restore:restorecourse and local/coursefed:restore, whose
 * full or short name holds every word searched.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class list_courses extends external_api {
    /**
     * Parameters: the words searched and the page.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'search' => new external_value(PARAM_TEXT, 'Words each found in the full or short name; empty: every course',
                VALUE_DEFAULT, ''),
            'offset' => new external_value(PARAM_INT, 'How many courses to skip', VALUE_DEFAULT, 0),
            'limit' => new external_value(PARAM_INT, 'How many courses at most, up to ' . course_listing::MAX_PER_PAGE,
                VALUE_DEFAULT, 50),
        ]);
    }

    /**
     * Lists a page of courses.
     *
     * @param string $search
     * @param int $offset
     * @param int $limit
     * @return array
     */
    public static function execute(string $search = '', int $offset = 0, int $limit = 50): array {
        global $USER;
        ['search' => $search, 'offset' => $offset, 'limit' => $limit] = self::validate_parameters(
            self::execute_parameters(), ['search' => $search, 'offset' => $offset, 'limit' => $limit]);
        $context = context_system::instance();
        self::validate_context($context);
        $listing = new course_listing($USER->id);
        if (!$listing->may_restore_somewhere()) {
            throw new required_capability_exception($context, 'local/coursefed:restore', 'nopermissions', '');
        }
        return $listing->courses($search, $offset, $limit);
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'total' => new external_value(PARAM_INT, 'How many courses the search finds in all'),
            'courses' => new external_multiple_structure(new external_single_structure([
                'id' => new external_value(PARAM_INT, 'Course id'),
                'fullname' => new external_value(PARAM_RAW, 'Full name, as plain text'),
                'shortname' => new external_value(PARAM_RAW, 'Short name, as plain text'),
                'categoryid' => new external_value(PARAM_INT, 'Its category'),
                'categorypath' => new external_value(PARAM_RAW, 'Its category\'s names from the top'),
                'visible' => new external_value(PARAM_BOOL, 'False when hidden'),
            ]), 'This page, by full name'),
        ]);
    }
}
