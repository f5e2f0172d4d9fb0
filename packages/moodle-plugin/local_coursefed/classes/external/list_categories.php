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
 * local_coursefed_list_categories: the categories the caller may restore a new course into.
 *
 * Those where the caller holds moodle/course:create, moodle/restore:restorecourse and
 * local/coursefed:restore (the node's user, given its role at the site level, holds them
 * everywhere): the node's pickers then offer only what a restore would be allowed.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class list_categories extends external_api {
    /**
     * Parameters: none.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([]);
    }

    /**
     * Lists the categories.
     *
     * @return array
     */
    public static function execute(): array {
        global $USER;
        $context = context_system::instance();
        self::validate_context($context);
        $listing = new course_listing($USER->id);
        // Someone who may restore nowhere is told which capability they lack, not shown an empty site.
        if (!$listing->may_restore_somewhere()) {
            throw new required_capability_exception($context, 'local/coursefed:restore', 'nopermissions', '');
        }
        return ['categories' => $listing->categories()];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'categories' => new external_multiple_structure(new external_single_structure([
                'id' => new external_value(PARAM_INT, 'Category id'),
                'name' => new external_value(PARAM_RAW, 'Name, as plain text'),
                'path' => new external_value(PARAM_RAW, 'Names from the top, e.g. "Sciences / Chimie"'),
                'parent' => new external_value(PARAM_INT, 'Parent category id, 0 at the top'),
                'coursecount' => new external_value(PARAM_INT, 'How many courses it holds'),
                'visible' => new external_value(PARAM_BOOL, 'False when hidden'),
            ]), 'In Moodle\'s order'),
        ]);
    }
}
