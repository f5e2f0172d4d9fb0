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
 * Library callbacks.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Serves a backup made by local_coursefed_backup_course to the user who asked for it, and to no one else.
 *
 * @param stdClass|null $course unused: the files live in a user context
 * @param stdClass|null $cm unused
 * @param context $context
 * @param string $filearea
 * @param array $args itemid, then the file path and name
 * @param bool $forcedownload
 * @param array $options
 * @return bool false when the file is not served
 */
function local_coursefed_pluginfile($course, $cm, $context, $filearea, $args, $forcedownload, array $options = []) {
    global $USER;
    if ($filearea !== \local_coursefed\local\course_backup::FILEAREA || $context->contextlevel != CONTEXT_USER) {
        return false;
    }
    require_login(null, false);
    if ((int) $context->instanceid !== (int) $USER->id) {
        return false;
    }
    $itemid = (int) array_shift($args);
    $filename = array_pop($args);
    $filepath = $args ? '/' . implode('/', $args) . '/' : '/';
    $file = get_file_storage()->get_file($context->id, 'local_coursefed', $filearea, $itemid, $filepath, $filename);
    if (!$file || $file->is_directory()) {
        return false;
    }
    send_stored_file($file, 0, 0, true, $options);
}

/**
 * Adds the course's coursefed entries to its menu ("More" in the course's secondary navigation).
 *
 * @param navigation_node $navigation the course's settings node
 * @param stdClass $course
 * @param context $context the course's context
 */
function local_coursefed_extend_navigation_course(navigation_node $navigation, stdClass $course, context $context) {
    // Sharing backs the course up: Moodle's own capability to do so is needed besides the plugin's.
    if (has_all_capabilities(['local/coursefed:share', 'moodle/backup:backupcourse'], $context)) {
        $navigation->add(get_string('sharenetwork', 'local_coursefed'),
            new moodle_url('/local/coursefed/share.php', ['id' => $course->id]),
            navigation_node::TYPE_SETTING, null, 'local_coursefed_share', new pix_icon('i/share', ''));
    }
    // Importing from the network into this course (or elsewhere) starts from the network's catalog.
    if (has_capability('local/coursefed:import', $context) && \local_coursefed\local\node_client::is_configured()) {
        $navigation->add(get_string('networkbrowse', 'local_coursefed'),
            new moodle_url('/local/coursefed/browse.php'),
            navigation_node::TYPE_SETTING, null, 'local_coursefed_browse', new pix_icon('i/search', ''));
    }
}
