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

namespace local_coursefed\task;

use local_coursefed\local\course_backup;

/**
 * Deletes the backups local_coursefed_backup_course made more than a day ago.
 *
 * The node downloads a backup right after asking for it; what is left over only takes space.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class delete_old_backups extends \core\task\scheduled_task {
    /** How long a backup stays downloadable, in seconds. */
    private const KEEP_SECONDS = DAYSECS;

    /**
     * Name shown in the scheduled tasks list.
     *
     * @return string
     */
    public function get_name(): string {
        return get_string('taskdeleteoldbackups', 'local_coursefed');
    }

    /**
     * Deletes the old files.
     *
     * @return void
     */
    public function execute(): void {
        global $DB;
        $fs = get_file_storage();
        $records = $DB->get_records_select('files',
            "component = :component AND filearea = :filearea AND filename <> '.' AND timecreated < :before",
            ['component' => 'local_coursefed', 'filearea' => course_backup::FILEAREA, 'before' => time() - self::KEEP_SECONDS],
            '', 'id');
        foreach ($records as $record) {
            $fs->get_file_by_id($record->id)->delete();
        }
        mtrace('local_coursefed: deleted ' . count($records) . ' backup file(s) older than a day');
    }
}
