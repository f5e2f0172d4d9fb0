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
use backup_general_helper;
use base_setting;
use moodle_exception;
use restore_controller;
use restore_controller_dbops;
use restore_dbops;
use stored_file;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/backup/util/includes/restore_includes.php');
require_once($CFG->dirroot . '/course/lib.php');

/**
 * Restores a backup file without user data and checks what it produced.
 *
 * Moodle's own restore tools leave a hidden "Course restoration in progress" course behind when
 * a restore fails, keep the precheck's reason to themselves, and drop the activities of missing
 * plugins without a word. This class deletes the course it created when anything fails, reports
 * the precheck's errors and warnings, and counts the modules the restore created so the caller
 * can compare them with what the backup held.
 *
 * It is the one restorer of coursefed: the plugin's web service runs it, and so does the node's cli
 * driver, which sends it to PHP on the Moodle host whether the site has the plugin or not.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class course_restorer {
    /** Restore as a new course in a category. */
    public const TARGET_NEW_COURSE = 'newcourse';
    /** Add the backup's contents to an existing course. */
    public const TARGET_MERGE = 'merge';
    /** Delete an existing course's contents, then restore into it (enrolments and groups are kept). */
    public const TARGET_REPLACE = 'replace';

    /** The longest full name Moodle keeps (the course table's column). */
    public const FULLNAME_MAX_LENGTH = 254;
    /** The longest short name Moodle's restore keeps. */
    public const SHORTNAME_MAX_LENGTH = 100;

    /** @var int the user the restore runs as */
    private int $userid;
    /** @var callable|null function(int $courseid, string $tempdir), once a new course exists */
    private $oncoursecreated;
    /** @var callable|null function(), once the archive is unpacked and read no more */
    private $onextracted;

    /**
     * Constructor.
     *
     * @param int $userid the user the restore runs as; Moodle checks this user's capabilities again
     * @param callable|null $oncoursecreated function(int $courseid, string $tempdir), called once the new course
     *     exists: a caller that may be killed before the restore ends (the cli driver, at its timeout) says there
     *     which course and backup temp directory must be removed then
     * @param callable|null $onextracted function(), called once the archive is unpacked: a copy the caller made
     *     for this restore is dead weight for the rest of a long restore
     */
    public function __construct(int $userid, ?callable $oncoursecreated = null, ?callable $onextracted = null) {
        $this->userid = $userid;
        $this->oncoursecreated = $oncoursecreated;
        $this->onextracted = $onextracted;
    }

    /**
     * Restores the archive.
     *
     * @param stored_file|string $archive the .mbz (zip or tar.gz), as a stored file or a path
     * @param string $target one of the TARGET_* constants
     * @param int $id the category id for a new course, else the course id
     * @param string $fullname a new course's full name in place of the backup's; '' keeps it
     * @param string $shortname a new course's short name; '' takes the full name given, else the backup's
     * @return array courseid, modules (all the course holds, name => count), restoredmodules (created
     *     by this restore, name => count), warnings (precheck warnings), log
     * @throws restore_failure with the reason; a course created here is deleted first
     * @throws moodle_exception userdatalocked or settinglocked: a setting of the site's stands in the way
     */
    public function restore(stored_file|string $archive, string $target, int $id, string $fullname = '',
            string $shortname = ''): array {
        $backupid = restore_controller::get_tempdir_name(0, $this->userid);
        $path = make_backup_temp_directory($backupid);
        $createdcourseid = null;
        $courseid = null;
        $controller = null;
        $restoreid = null;
        $changing = false;
        try {
            $this->extract($archive, $path);
            if ($this->onextracted !== null) {
                ($this->onextracted)();
            }
            // Reads moodle_backup.xml only: a file that is no backup fails here, before any course exists.
            $info = backup_general_helper::get_backup_information($backupid);

            if ($target === self::TARGET_NEW_COURSE) {
                [$placeholderfullname, $placeholdershortname] = restore_dbops::calculate_course_names(0,
                    get_string('restoringcourse', 'backup'), get_string('restoringcourseshortname', 'backup'));
                $createdcourseid = restore_dbops::create_new_course($placeholderfullname, $placeholdershortname, $id);
                $courseid = $createdcourseid;
                $moodletarget = backup::TARGET_NEW_COURSE;
                if ($this->oncoursecreated !== null) {
                    ($this->oncoursecreated)($courseid, $backupid);
                }
            } else {
                $courseid = $id;
                $moodletarget = $target === self::TARGET_REPLACE ? backup::TARGET_EXISTING_DELETING
                    : backup::TARGET_EXISTING_ADDING;
            }
            $before = $this->module_ids($courseid);

            $controller = new restore_controller($backupid, $courseid, backup::INTERACTIVE_NO, backup::MODE_GENERAL,
                $this->userid, $moodletarget);
            $restoreid = $controller->get_restoreid();
            if ($controller->get_status() == backup::STATUS_REQUIRE_CONV) {
                $controller->convert();
            }
            $plan = $controller->get_plan();
            user_data_settings::switch_off($plan, user_data_settings::RESTORE);
            if ($target === self::TARGET_REPLACE) {
                // Replacing the contents must not unenrol the course's people: the backup brings none.
                $this->switch_on($plan, ['keep_roles_and_enrolments', 'keep_groups_and_groupings']);
            }
            $settings = user_data_settings::describe($plan, user_data_settings::RESTORE);

            $controller->execute_precheck();
            $precheck = $controller->get_precheck_results();
            $warnings = array_values(array_map('strval', $precheck['warnings'] ?? []));
            if (!empty($precheck['errors'])) {
                $errors = array_values(array_map('strval', $precheck['errors']));
                throw new restore_failure(restore_failure::PRECHECK,
                    restore_failure::plugin_string('precheckfailed', implode('; ', $errors)), null, $errors, $warnings);
            }
            // From here on an existing course changes (replace deletes its contents first), and a failure cannot undo it.
            $changing = $createdcourseid === null;
            $controller->execute_plan();
            $controller->destroy();
            $controller = null;

            if ($createdcourseid !== null && ($info->type !== backup::TYPE_1COURSE || $fullname !== ''
                    || $shortname !== '')) {
                $this->name_course($createdcourseid, $info, $fullname, $shortname);
            }
            $modules = $this->module_counts($courseid, []);
            $restored = $this->module_counts($courseid, $before);
            $log = "restore settings: {$settings}";
            foreach ($warnings as $warning) {
                $log .= "\nprecheck warning: {$warning}";
            }
            return [
                'courseid' => $courseid,
                'modules' => $modules,
                'restoredmodules' => $restored,
                'warnings' => $warnings,
                'log' => $log,
            ];
        } catch (\Throwable $e) {
            if ($controller !== null) {
                try {
                    // The precheck created them; a failed plan leaves them for the next restore.
                    restore_controller_dbops::drop_restore_temp_tables($restoreid);
                } catch (\Throwable $notcreated) {
                    // The failure came before the precheck.
                }
                $controller->destroy();
            }
            if ($createdcourseid !== null) {
                self::delete_unfinished_course(get_course($createdcourseid));
            }
            if ($e instanceof restore_failure
                    || $e instanceof moodle_exception && in_array($e->errorcode, ['userdatalocked', 'settinglocked'])) {
                // The precheck's reasons, or the admin's setting, not the backup, is at fault: said as it is.
                throw $e;
            }
            throw new restore_failure($changing ? restore_failure::PARTIAL : restore_failure::FAILED, self::reason($e), $e);
        } finally {
            fulldelete($path);
            if ($restoreid !== null) {
                // The controller's log lies beside the unpacked backup, named after the restore.
                fulldelete(make_backup_temp_directory('', false) . "/{$restoreid}.log");
            }
        }
    }

    /**
     * Deletes a course a restore created and did not finish, as Moodle's own restore UI does: marked as the
     * restore's, so the recycle bin does not keep a copy of the debris.
     *
     * @param \stdClass $course
     * @return bool whether it was deleted
     */
    public static function delete_unfinished_course(\stdClass $course): bool {
        $course->deletesource = 'restore';
        return delete_course($course, false);
    }

    /**
     * A course name as Moodle's course form keeps it (PARAM_TEXT): control characters and runs of white space
     * folded into one space, trimmed. The callers check its length, each with its own kind of error.
     *
     * @param string $value
     * @return string '' when nothing is left
     */
    public static function clean_course_name(string $value): string {
        return trim(preg_replace('/[\s\x00-\x1f\x7f]+/u', ' ', clean_param($value, PARAM_TEXT)));
    }

    /**
     * Unpacks the archive into the restore's temporary directory.
     *
     * @param stored_file|string $archive
     * @param string $path
     * @return void
     * @throws restore_failure NOT_A_BACKUP when it cannot be unpacked or holds no moodle_backup.xml
     */
    private function extract(stored_file|string $archive, string $path): void {
        $packer = get_file_packer('application/vnd.moodle.backup');
        $extracted = $packer->extract_to_pathname($archive, $path, null, null, true);
        if (!$extracted || !file_exists($path . '/moodle_backup.xml')) {
            $name = is_string($archive) ? basename($archive) : $archive->get_filename();
            throw new restore_failure(restore_failure::NOT_A_BACKUP, restore_failure::plugin_string('notabackup', $name));
        }
    }

    /**
     * Switches on plan settings that must be on.
     *
     * @param \base_plan $plan
     * @param string[] $names
     * @return void
     * @throws moodle_exception settinglocked when one is off and locked (by the admin or for lack of a capability)
     */
    private function switch_on(\base_plan $plan, array $names): void {
        foreach ($names as $name) {
            if (!$plan->setting_exists($name)) {
                continue;
            }
            $setting = $plan->get_setting($name);
            if ($setting->get_value()) {
                continue;
            }
            if ($setting->get_status() != base_setting::NOT_LOCKED) {
                throw new moodle_exception('settinglocked', 'local_coursefed', '', $name);
            }
            $setting->set_value(true);
        }
    }

    /**
     * Names a new course after the restore: with the names given, else (a course made from an activity
     * or section backup, still the hidden placeholder) after the original course and shown, as the web
     * UI does. A course backup's own visibility is kept. Both names are made unique among the site's
     * other courses as the restore makes them ("copy N", "_N").
     *
     * @param int $courseid
     * @param \stdClass $info backup information from moodle_backup.xml
     * @param string $fullname '' for the backup's
     * @param string $shortname '' for the full name given, else the backup's
     * @return void
     */
    private function name_course(int $courseid, \stdClass $info, string $fullname, string $shortname): void {
        global $DB;
        $update = (object) ['id' => $courseid];
        if ($info->type === backup::TYPE_1COURSE) {
            $course = $DB->get_record('course', ['id' => $courseid], 'fullname, shortname', MUST_EXIST);
            $backupfullname = $course->fullname;
            $backupshortname = $course->shortname;
        } else {
            $backupfullname = $info->original_course_fullname ?? get_string('restoretonewcourse', 'backup');
            $backupshortname = $info->original_course_shortname ?? get_string('newcourse');
            $update->visible = 1;
        }
        $shortname = $shortname !== '' ? $shortname : ($fullname !== '' ? $fullname : $backupshortname);
        [$update->fullname, $update->shortname] = restore_dbops::calculate_course_names($courseid,
            $fullname !== '' ? $fullname : $backupfullname, $shortname);
        $DB->update_record('course', $update);
        rebuild_course_cache($courseid, true);
        // Course listings are cached; the restore purged them before this rename.
        \cache_helper::purge_by_event('changesincourse');
    }

    /**
     * Ids of the course's modules.
     *
     * @param int $courseid
     * @return int[]
     */
    private function module_ids(int $courseid): array {
        global $DB;
        return array_map('intval', $DB->get_fieldset_select('course_modules', 'id', 'course = ?', [$courseid]));
    }

    /**
     * How many modules of each type the course holds, leaving out some ids and modules being deleted.
     *
     * @param int $courseid
     * @param int[] $excluded module ids not to count
     * @return array module name => count
     */
    private function module_counts(int $courseid, array $excluded): array {
        global $DB;
        $sql = "SELECT cm.id, m.name
                  FROM {course_modules} cm
                  JOIN {modules} m ON m.id = cm.module
                 WHERE cm.course = :courseid AND cm.deletioninprogress = 0";
        $counts = [];
        $excludedset = array_flip($excluded);
        foreach ($DB->get_records_sql_menu($sql, ['courseid' => $courseid]) as $cmid => $name) {
            if (!isset($excludedset[(int) $cmid])) {
                $counts[$name] = ($counts[$name] ?? 0) + 1;
            }
        }
        ksort($counts);
        return $counts;
    }

    /**
     * What went wrong, in words an admin can act on: the exception's message and Moodle's debug detail.
     *
     * @param \Throwable $e
     * @return string
     */
    private static function reason(\Throwable $e): string {
        $reason = $e->getMessage();
        if ($e instanceof moodle_exception && !empty($e->debuginfo) && strpos($reason, $e->debuginfo) === false) {
            $reason .= ' (' . \core_text::substr(trim($e->debuginfo), 0, 1000) . ')';
        }
        return $reason;
    }
}
