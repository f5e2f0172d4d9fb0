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

/**
 * Web service functions and the pre-built "coursefed" service.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_coursefed_restore_course' => [
        'classname' => \local_coursefed\external\restore_course::class,
        'methodname' => 'execute',
        'description' => 'Downloads a backup from the coursefed node\'s archive link, checks its size and sha256, and '
            . 'restores it without user data into a new or an existing course.',
        'type' => 'write',
        'capabilities' => 'local/coursefed:restore, moodle/restore:restorecourse, moodle/course:create',
    ],
    'local_coursefed_backup_course' => [
        'classname' => \local_coursefed\external\backup_course::class,
        'methodname' => 'execute',
        'description' => 'Backs up a course without user data and returns where to download the file.',
        'type' => 'write',
        'capabilities' => 'local/coursefed:backup, moodle/backup:backupcourse',
    ],
    'local_coursefed_site_info' => [
        'classname' => \local_coursefed\external\site_info::class,
        'methodname' => 'execute',
        'description' => 'Reports the site version, its installed plugins and the largest backup it accepts.',
        'type' => 'read',
        'capabilities' => 'local/coursefed:probe',
    ],
    'local_coursefed_list_categories' => [
        'classname' => \local_coursefed\external\list_categories::class,
        'methodname' => 'execute',
        'description' => 'Lists the categories the caller may restore a new course into, with their paths and course counts.',
        'type' => 'read',
        'capabilities' => 'local/coursefed:restore, moodle/restore:restorecourse, moodle/course:create',
    ],
    'local_coursefed_list_courses' => [
        'classname' => \local_coursefed\external\list_courses::class,
        'methodname' => 'execute',
        'description' => 'Lists a page of the courses the caller may restore into, searched by words of their names.',
        'type' => 'read',
        'capabilities' => 'local/coursefed:restore, moodle/restore:restorecourse',
    ],
];

$services = [
    'coursefed' => [
        'shortname' => 'coursefed',
        'functions' => [
            'local_coursefed_restore_course',
            'local_coursefed_backup_course',
            'local_coursefed_site_info',
            'local_coursefed_list_categories',
            'local_coursefed_list_courses',
        ],
        'restrictedusers' => 0,
        'enabled' => 1,
        // The node downloads backups with /webservice/pluginfile.php, which refuses a service without this flag.
        // Nothing is uploaded: the site pulls the backups it restores from the node (restore_course).
        'uploadfiles' => 0,
        'downloadfiles' => 1,
    ],
];
