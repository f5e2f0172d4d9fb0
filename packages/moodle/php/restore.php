<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php restore.php --moodle=DIR --file=/abs/backup.mbz --category=ID [--fullname=NAME] [--shortname=NAME]
//        php restore.php --moodle=DIR --file=/abs/backup.mbz --course=ID --mode=merge|replace
//        (--archive-fd=N in place of --file: the backup is read from that open file descriptor)
// Restores a backup WITHOUT its user data (the restore setting "users" is forced to 0, so
// a backup never brings accounts, enrolments or attempts), reports the precheck's real
// errors and warnings, deletes the course it created when anything fails, and on success
// prints the course id and its activity modules counted by module name. A new course gets
// --fullname and --shortname (the short name defaults to the full name) in place of the
// backup's names, made unique as Moodle's restore does ("copy N", "_N").

require(__DIR__ . '/cli-bootstrap.php');

coursefed_run(['file:', 'archive-fd:', 'category:', 'course:', 'mode:', 'fullname:', 'shortname:'], function (array $options): array {
    global $CFG, $DB, $USER;
    require_once($CFG->dirroot . '/backup/util/includes/restore_includes.php');

    // PHP run as the site's user may not enter the node's data directory: the node then
    // opens the archive itself and hands it over as a file descriptor.
    $archivefd = isset($options['archive-fd']) ? (int) $options['archive-fd'] : null;
    $file = $options['file'] ?? '';
    if ($archivefd === null && ($file === '' || !is_readable($file))) {
        // The node keeps archives in its data directory; PHP may run as the site's user.
        $user = posix_getpwuid(posix_geteuid())['name'] ?? posix_geteuid();
        if ($file !== '' && file_exists($file)) {
            throw new coursefed_failure('misconfigured',
                "The backup file '{$file}' is not readable by the user running PHP ({$user}): let that user read the node's archives (in its data directory), or run PHP as a user who can.");
        }
        throw new coursefed_failure('not_found',
            "The backup file '{$file}' is not there for the user running PHP ({$user}): it does not exist, or a directory above it is closed to that user.");
    }
    $newcourse = isset($options['category']);
    $givenfullname = coursefed_course_name($options, 'fullname', 254);
    $givenshortname = coursefed_course_name($options, 'shortname', 100);
    if (!$newcourse && ($givenfullname !== null || $givenshortname !== null)) {
        throw new coursefed_failure('usage', '--fullname and --shortname name a new course (--category) only.');
    }
    if ($newcourse) {
        $category = $DB->get_record('course_categories', ['id' => (int) $options['category']]);
        if (!$category) {
            throw new coursefed_failure('not_found', "There is no course category with id {$options['category']}.");
        }
        $target = backup::TARGET_NEW_COURSE;
    } else {
        $courseid = (int) ($options['course'] ?? 0);
        if (!$DB->record_exists('course', ['id' => $courseid]) || $courseid == SITEID) {
            throw new coursefed_failure('not_found', "There is no course with id {$courseid}.");
        }
        $mode = $options['mode'] ?? '';
        $targets = ['merge' => backup::TARGET_EXISTING_ADDING, 'replace' => backup::TARGET_EXISTING_DELETING];
        if (!isset($targets[$mode])) {
            throw new coursefed_failure('usage', "Unknown restore mode '{$mode}' (merge or replace).");
        }
        $target = $targets[$mode];
    }

    $tempname = restore_controller::get_tempdir_name(SITEID, $USER->id);
    $temppath = make_backup_temp_directory($tempname);
    $createdcourseid = null;
    $controller = null;
    $changing = false;
    // Beside the extraction directory, so discard.php finds it after a kill.
    $received = $archivefd === null ? null : "{$CFG->backuptempdir}/{$tempname}.mbz";
    try {
        if ($received !== null) {
            $file = coursefed_receive_archive($archivefd, $received);
        }
        $packer = get_file_packer('application/vnd.moodle.backup');
        $extracted = $packer->extract_to_pathname($file, $temppath, null, null, true);
        if ($received !== null) {
            // Extracted, the copy is dead weight for the rest of a long restore.
            @unlink($received);
        }
        if (!$extracted || !is_file($temppath . '/moodle_backup.xml')) {
            throw new coursefed_failure('bad_archive',
                'Moodle could not extract the backup, or it holds no moodle_backup.xml: the file is damaged or not a Moodle backup.');
        }
        if ($newcourse) {
            [$fullname, $shortname] = restore_dbops::calculate_course_names(0,
                get_string('restoringcourse', 'backup'), get_string('restoringcourseshortname', 'backup'));
            $createdcourseid = restore_dbops::create_new_course($fullname, $shortname, $category->id);
            $courseid = $createdcourseid;
            // Said at once on stderr: if this process is killed (timeout), the caller knows
            // which course and temp directory discard.php must remove.
            fwrite(STDERR, 'coursefed-restore-started: ' .
                json_encode(['courseId' => (int) $courseid, 'tempdir' => $tempname]) . "\n");
        }
        $controller = new restore_controller($tempname, $courseid, backup::INTERACTIVE_NO,
            backup::MODE_GENERAL, $USER->id, $target);
        if ($controller->get_status() == backup::STATUS_REQUIRE_CONV) {
            $controller->convert();
        }
        $plan = $controller->get_plan();
        coursefed_set_setting($plan, 'users', 0);
        if ($target == backup::TARGET_EXISTING_DELETING) {
            // Replacing the contents must not unenrol the people of the receiving course.
            coursefed_set_setting($plan, 'keep_roles_and_enrolments', 1);
            coursefed_set_setting($plan, 'keep_groups_and_groupings', 1);
        }
        $controller->execute_precheck();
        $precheck = $controller->get_precheck_results();
        $warnings = array_values($precheck['warnings'] ?? []);
        if (!empty($precheck['errors'])) {
            throw new coursefed_failure('precheck', 'Moodle refused the backup: ' . implode(' ', $precheck['errors']),
                ['errors' => array_values($precheck['errors']), 'warnings' => $warnings]);
        }
        // From here on an existing course changes, and a failure cannot undo it.
        $changing = true;
        if ($target == backup::TARGET_EXISTING_DELETING) {
            restore_dbops::delete_course_content($courseid, [
                'keep_roles_and_enrolments' => 1,
                'keep_groups_and_groupings' => 1,
            ]);
        }
        $controller->execute_plan();
        $type = $controller->get_type();
        $info = $controller->get_info();
        $controller->destroy();
        $controller = null;

        if ($newcourse && ($type !== backup::TYPE_1COURSE || $givenfullname !== null || $givenshortname !== null)) {
            $course = get_course($courseid);
            $update = (object) ['id' => $courseid];
            if ($type === backup::TYPE_1COURSE) {
                // The restore named it after the backup, and set its visibility: kept.
                $backupfullname = $course->fullname;
                $backupshortname = $course->shortname;
            } else {
                // An activity or section backup restored as a new course would keep the
                // hidden placeholder "Course restoration in progress": named after its
                // origin unless names were given, and shown.
                $backupfullname = $info->original_course_fullname ?? get_string('restoretonewcourse', 'backup');
                $backupshortname = $info->original_course_shortname ?? get_string('newcourse');
                $update->visible = 1;
            }
            // Unique among the other courses of the site, as the restore itself makes them.
            [$update->fullname, $update->shortname] = restore_dbops::calculate_course_names($courseid,
                $givenfullname ?? $backupfullname, $givenshortname ?? $givenfullname ?? $backupshortname);
            $DB->update_record('course', $update);
            rebuild_course_cache($courseid, true);
            // Course listings are cached; the restore purged them before this rename.
            cache_helper::purge_by_event('changesincourse');
        }
        $modules = $DB->get_records_sql_menu(
            'SELECT m.name, COUNT(cm.id)
               FROM {course_modules} cm
               JOIN {modules} m ON m.id = cm.module
              WHERE cm.course = ? AND cm.deletioninprogress = 0
           GROUP BY m.name', [$courseid]);
        return [
            'courseId' => (int) $courseid,
            'wwwroot' => (string) $CFG->wwwroot,
            'modules' => (object) array_map('intval', $modules),
            'warnings' => $warnings,
        ];
    } catch (Throwable $e) {
        if ($controller !== null) {
            try {
                // The precheck created them; a failed plan leaves them for the next restore.
                restore_controller_dbops::drop_restore_temp_tables($controller->get_restoreid());
            } catch (Throwable $notcreated) {
                // The failure came before the precheck.
            }
            $controller->destroy();
        }
        if ($createdcourseid !== null) {
            // Never leave a hidden "Course restoration in progress" course behind.
            coursefed_delete_restored_course(get_course($createdcourseid));
        } else if ($changing) {
            $what = $target == backup::TARGET_EXISTING_DELETING
                ? 'has lost its previous contents and may hold part of the backup'
                : 'may now hold part of the backup (check its activities)';
            throw new coursefed_failure('partial', "Restoring into course {$courseid} failed part way, so the course {$what}: "
                . coursefed_describe($e));
        }
        throw $e;
    } finally {
        fulldelete($temppath);
        if ($received !== null && file_exists($received)) {
            @unlink($received);
        }
    }
});

/**
 * Copies the archive the node opened and handed over on file descriptor $fd into $path
 * (Moodle's backup temp directory, which PHP's user may write); returns $path.
 */
function coursefed_receive_archive(int $fd, string $path): string {
    $in = @fopen("php://fd/{$fd}", 'rb');
    if ($in === false) {
        throw new coursefed_failure('misconfigured',
            "The node hands the backup over on file descriptor {$fd}, and PHP could not read it: something between them (a wrapper around PHP?) closed it.");
    }
    $out = @fopen($path, 'xb');
    if ($out === false) {
        fclose($in);
        $user = posix_getpwuid(posix_geteuid())['name'] ?? posix_geteuid();
        throw new coursefed_failure('not_writable',
            "Moodle's backup temp directory is not writable by the user running PHP ({$user}): could not create '{$path}'.");
    }
    $expected = fstat($in)['size'] ?? null;
    $copied = stream_copy_to_stream($in, $out);
    fclose($in);
    $closed = fclose($out);
    if ($copied === false || !$closed || ($expected !== null && $copied !== $expected)) {
        @unlink($path);
        throw new coursefed_failure('not_writable',
            "Could not copy the backup into Moodle's backup temp directory ('{$path}'; copied {$copied} of {$expected} bytes): is the disk full?");
    }
    return $path;
}

/**
 * A course name option as Moodle's course form would keep it (PARAM_TEXT, whitespace
 * folded, trimmed), or null when not given; longer than $max characters is an error.
 */
function coursefed_course_name(array $options, string $name, int $max): ?string {
    if (!isset($options[$name]) || !is_string($options[$name])) {
        return null;
    }
    $value = trim(preg_replace('/[\s\x00-\x1f\x7f]+/u', ' ', clean_param($options[$name], PARAM_TEXT)));
    if ($value === '') {
        throw new coursefed_failure('usage', "--{$name} is empty.");
    }
    if (core_text::strlen($value) > $max) {
        throw new coursefed_failure('usage', "--{$name} has " . core_text::strlen($value) .
            " characters; Moodle keeps at most {$max}.");
    }
    return $value;
}
