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

use context_course;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;
use local_coursefed\local\course_backup;

/**
 * local_coursefed_backup_course: backs up a course without user data.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class backup_course extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'courseid' => new external_value(PARAM_INT, 'The course to back up'),
        ]);
    }

    /**
     * Backs up the course.
     *
     * @param int $courseid
     * @return array
     */
    public static function execute(int $courseid): array {
        global $USER;
        ['courseid' => $courseid] = self::validate_parameters(self::execute_parameters(), ['courseid' => $courseid]);
        $context = context_course::instance($courseid);
        self::validate_context($context);
        require_capability('local/coursefed:backup', $context);
        require_capability('moodle/backup:backupcourse', $context);

        return (new course_backup($USER->id))->backup($courseid);
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'filename' => new external_value(PARAM_FILE, 'Name of the .mbz'),
            'fileurl' => new external_value(PARAM_URL,
                'Download address on webservice/pluginfile.php; add ?token= with the same token. Kept for a day'),
            'filesize' => new external_value(PARAM_INT, 'Size in bytes'),
            'contenthash' => new external_value(PARAM_ALPHANUM, 'SHA-1 of the file'),
            'log' => new external_value(PARAM_RAW, 'Settings used, for the caller\'s record'),
        ]);
    }
}
