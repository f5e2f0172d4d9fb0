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
use context_coursecat;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use invalid_parameter_exception;
use local_coursefed\local\archive_download;
use local_coursefed\local\course_restorer;
use moodle_url;

/**
 * local_coursefed_restore_course: downloads a backup from the node's archive link, then restores it.
 *
 * Since version 2026120604 the site pulls the archive (url, sha256, size) instead of taking an upload to the draft
 * area (draftitemid), which PHP's upload limits bounded. A node older than that still sends draftitemid and is
 * refused by Moodle's parameter check: upgrade the node first, then the plugin (the node refuses an older plugin
 * with a message saying to update it).
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class restore_course extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            // PARAM_RAW: checked by archive_download (http or https, a host); PARAM_URL would refuse a node on a
            // bare host name or a port Moodle's URL cleaning does not expect, with a less clear message.
            'url' => new external_value(PARAM_RAW, 'Archive link of the node, where the .mbz is downloaded from'),
            'sha256' => new external_value(PARAM_ALPHANUM, 'SHA-256 of the .mbz, 64 hexadecimal digits'),
            'size' => new external_value(PARAM_INT, 'Size of the .mbz in bytes'),
            'target' => new external_value(PARAM_ALPHA,
                'newcourse (into categoryid), merge (add to courseid) or replace (delete the contents of courseid first)'),
            'categoryid' => new external_value(PARAM_INT, 'Category of the new course (target newcourse)', VALUE_DEFAULT, 0),
            'courseid' => new external_value(PARAM_INT, 'Existing course (targets merge and replace)', VALUE_DEFAULT, 0),
            // Since version 2026112400. PARAM_RAW,
            // cleaned as PARAM_TEXT below: declared PARAM_TEXT, a title holding "a<b" would be refused
            // whole (validate_parameters refuses a value its cleaning changes) instead of cleaned.
            'fullname' => new external_value(PARAM_RAW,
                'Full name of the new course, at most 254 characters (target newcourse); empty: the backup\'s own',
                VALUE_DEFAULT, ''),
            'shortname' => new external_value(PARAM_RAW,
                'Short name of the new course, at most 100 characters (target newcourse); empty: from fullname if given, '
                . 'else the backup\'s own', VALUE_DEFAULT, ''),
        ]);
    }

    /**
     * Downloads the backup, checks its size and sha256, and restores it without user data; the downloaded file is
     * deleted either way.
     *
     * @param string $url
     * @param string $sha256
     * @param int $size
     * @param string $target
     * @param int $categoryid
     * @param int $courseid
     * @param string $fullname
     * @param string $shortname
     * @return array
     */
    public static function execute(string $url, string $sha256, int $size, string $target, int $categoryid = 0,
            int $courseid = 0, string $fullname = '', string $shortname = ''): array {
        global $USER;
        [
            'url' => $url,
            'sha256' => $sha256,
            'size' => $size,
            'target' => $target,
            'categoryid' => $categoryid,
            'courseid' => $courseid,
            'fullname' => $fullname,
            'shortname' => $shortname,
        ] = self::validate_parameters(self::execute_parameters(),
            compact('url', 'sha256', 'size', 'target', 'categoryid', 'courseid', 'fullname', 'shortname'));
        $fullname = self::course_name($fullname, 'fullname', course_restorer::FULLNAME_MAX_LENGTH);
        $shortname = self::course_name($shortname, 'shortname', course_restorer::SHORTNAME_MAX_LENGTH);

        if ($target === course_restorer::TARGET_NEW_COURSE) {
            $context = context_coursecat::instance($categoryid);
            self::validate_context($context);
            require_capability('moodle/course:create', $context);
            $destination = $categoryid;
        } else if ($fullname !== '' || $shortname !== '') {
            throw new invalid_parameter_exception('fullname and shortname name a new course (target newcourse) only');
        } else if ($target === course_restorer::TARGET_MERGE || $target === course_restorer::TARGET_REPLACE) {
            $context = context_course::instance($courseid);
            self::validate_context($context);
            $destination = $courseid;
        } else {
            throw new invalid_parameter_exception("target must be newcourse, merge or replace, not '{$target}'");
        }
        require_capability('local/coursefed:restore', $context);
        require_capability('moodle/restore:restorecourse', $context);

        // Checked before any byte is downloaded: the capabilities above, then the link's parameters.
        $download = new archive_download($url, $sha256, $size);
        $archive = $download->fetch();
        try {
            // The unpacked backup is all the restore reads: the archive goes as soon as it is unpacked.
            $restorer = new course_restorer($USER->id, null, fn() => $download->delete());
            $result = $restorer->restore($archive, $target, $destination, $fullname, $shortname);
        } finally {
            $download->delete();
        }

        return [
            'courseid' => $result['courseid'],
            'courseurl' => (new moodle_url('/course/view.php', ['id' => $result['courseid']]))->out(false),
            'modules' => self::as_list($result['modules']),
            'restoredmodules' => self::as_list($result['restoredmodules']),
            'warnings' => $result['warnings'],
            'log' => $result['log'],
        ];
    }

    /**
     * A course name as the restorer keeps it, at most $max characters.
     *
     * @param string $value the parameter as sent
     * @param string $name the parameter's name, for the error
     * @param int $max
     * @return string '' when not given
     * @throws invalid_parameter_exception when longer than $max characters
     */
    private static function course_name(string $value, string $name, int $max): string {
        $value = course_restorer::clean_course_name($value);
        $length = \core_text::strlen($value);
        if ($length > $max) {
            throw new invalid_parameter_exception("{$name} has {$length} characters; Moodle keeps at most {$max}");
        }
        return $value;
    }

    /**
     * Turns name => count into the list the return structure describes.
     *
     * @param array $counts
     * @return array
     */
    private static function as_list(array $counts): array {
        $list = [];
        foreach ($counts as $name => $count) {
            $list[] = ['name' => $name, 'count' => $count];
        }
        return $list;
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        $modules = fn(string $what) => new external_multiple_structure(new external_single_structure([
            'name' => new external_value(PARAM_PLUGIN, 'Module name, e.g. quiz'),
            'count' => new external_value(PARAM_INT, 'How many'),
        ]), $what);
        return new external_single_structure([
            'courseid' => new external_value(PARAM_INT, 'The restored course'),
            'courseurl' => new external_value(PARAM_URL, 'The course page'),
            'modules' => $modules('Modules the course holds after the restore'),
            'restoredmodules' => $modules(
                'Modules this restore created; compare them with the backup: Moodle drops those of missing plugins'),
            'warnings' => new external_multiple_structure(
                new external_value(PARAM_RAW, 'A precheck warning'), 'Warnings of the restore precheck'),
            'log' => new external_value(PARAM_RAW, 'Settings used and warnings, for the caller\'s record'),
        ]);
    }
}
