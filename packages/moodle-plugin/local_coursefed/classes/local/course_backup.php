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

use backup;
use backup_controller;
use backup_plan_dbops;
use context_user;
use moodle_exception;
use moodle_url;
use stored_file;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/backup/util/includes/backup_includes.php');

/**
 * Backs up a course without user data into the plugin's own file area, where the caller downloads it.
 *
 * Moodle files a course backup in the course's backup area, readable only with
 * moodle/backup:downloadfile; this class moves it to the calling user's "local_coursefed/backup"
 * area, served to that user alone by webservice/pluginfile.php, and the scheduled task
 * delete_old_backups removes it a day later.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class course_backup {
    /** File area of the plugin's backups, in the user context of who asked for them. */
    public const FILEAREA = 'backup';

    /** @var int the user the backup runs as */
    private int $userid;

    /**
     * Constructor.
     *
     * @param int $userid the user the backup runs as; Moodle checks this user's capabilities again
     */
    public function __construct(int $userid) {
        $this->userid = $userid;
    }

    /**
     * Backs up the course.
     *
     * @param int $courseid
     * @return array filename, fileurl (for webservice/pluginfile.php, add the token), filesize,
     *     contenthash (sha1 of the file), log
     * @throws moodle_exception backupfailed with the reason
     */
    public function backup(int $courseid): array {
        $controller = null;
        $backupid = null;
        try {
            $controller = new backup_controller(backup::TYPE_1COURSE, $courseid, backup::FORMAT_MOODLE,
                backup::INTERACTIVE_YES, backup::MODE_GENERAL, $this->userid);
            $backupid = $controller->get_backupid();
            $plan = $controller->get_plan();
            user_data_settings::switch_off($plan, user_data_settings::BACKUP);
            $filename = backup_plan_dbops::get_default_backup_filename(backup::FORMAT_MOODLE, backup::TYPE_1COURSE,
                $courseid, false, false);
            $plan->get_setting('filename')->set_value($filename);
            $settings = user_data_settings::describe($plan, user_data_settings::BACKUP);
            $controller->finish_ui();
            $controller->execute_plan();
            $results = $controller->get_results();
            $written = $results['backup_destination'] ?? null;
            if (!$written instanceof stored_file) {
                throw new moodle_exception('backupnotwritten', 'local_coursefed');
            }
            $file = $this->move_to_own_area($written);
            $controller->destroy();
            $controller = null;
        } catch (\Throwable $e) {
            if ($controller !== null) {
                $controller->destroy();
            }
            if ($e instanceof moodle_exception && $e->errorcode === 'userdatalocked') {
                throw $e;
            }
            throw new moodle_exception('backupfailed', 'local_coursefed', '', $e->getMessage());
        } finally {
            if ($backupid !== null) {
                // Moodle removes the backup's working directory, not the log it wrote beside it.
                $tempdir = make_backup_temp_directory('', false);
                fulldelete("{$tempdir}/{$backupid}");
                fulldelete("{$tempdir}/{$backupid}.log");
            }
        }
        $url = moodle_url::make_webservice_pluginfile_url($file->get_contextid(), 'local_coursefed', self::FILEAREA,
            $file->get_itemid(), $file->get_filepath(), $file->get_filename());
        return [
            'filename' => $file->get_filename(),
            'fileurl' => $url->out(false),
            'filesize' => (int) $file->get_filesize(),
            'contenthash' => $file->get_contenthash(),
            'log' => "backup settings: {$settings}",
        ];
    }

    /**
     * Moves the backup from the course's backup area to the user's area of this plugin.
     *
     * The copy shares the original's content in the file pool, so nothing is written twice.
     *
     * @param stored_file $written
     * @return stored_file the moved file
     */
    private function move_to_own_area(stored_file $written): stored_file {
        $fs = get_file_storage();
        $context = context_user::instance($this->userid);
        // One item per backup, so two backups of the same course at the same minute do not collide.
        $itemid = (int) $written->get_id();
        $file = $fs->create_file_from_storedfile([
            'contextid' => $context->id,
            'component' => 'local_coursefed',
            'filearea' => self::FILEAREA,
            'itemid' => $itemid,
            'filepath' => '/',
            'userid' => $this->userid,
        ], $written);
        $written->delete();
        // An empty file, or one whose content never reached the file pool, is a failed backup.
        $handle = $file->get_filesize() > 0 ? $file->get_content_file_handle() : false;
        if (!$handle) {
            $file->delete();
            throw new moodle_exception('backupnotwritten', 'local_coursefed');
        }
        fclose($handle);
        return $file;
    }
}
