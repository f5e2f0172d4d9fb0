<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php backup.php --moodle=DIR --course=ID --destination=/abs/dir
// Backs a course up WITHOUT user data (no accounts, enrolments, role assignments,
// completion, logs, grade history, comments, xAPI state), writes the .mbz into the
// destination directory and prints its path; fails, rather than exits 0, when it could not.

require(__DIR__ . '/cli-bootstrap.php');

/** Root backup settings that carry user data, all forced off. */
const COURSEFED_USER_DATA_SETTINGS = [
    'users', 'anonymize', 'role_assignments', 'comments', 'userscompletion', 'logs', 'grade_histories', 'xapistate',
];

coursefed_run(['course:', 'destination:'], function (array $options): array {
    global $CFG, $DB, $USER;
    require_once($CFG->dirroot . '/backup/util/includes/backup_includes.php');

    $courseid = (int) ($options['course'] ?? 0);
    if ($courseid == SITEID || !$DB->record_exists('course', ['id' => $courseid])) {
        throw new coursefed_failure('not_found', "There is no course with id {$courseid}.");
    }
    $destination = rtrim($options['destination'] ?? '', '/');
    if ($destination === '' || !is_dir($destination) || !is_writable($destination)) {
        throw new coursefed_failure('not_writable',
            "The destination directory '{$destination}' does not exist or is not writable by the user running PHP.");
    }
    $controller = new backup_controller(backup::TYPE_1COURSE, $courseid, backup::FORMAT_MOODLE,
        backup::INTERACTIVE_YES, backup::MODE_GENERAL, $USER->id);
    $stored = null;
    try {
        $plan = $controller->get_plan();
        foreach (COURSEFED_USER_DATA_SETTINGS as $name) {
            coursefed_set_setting($plan, $name, 0);
        }
        $filename = backup_plan_dbops::get_default_backup_filename(
            $controller->get_format(), $controller->get_type(), $courseid, false, false);
        $plan->get_setting('filename')->set_value($filename);
        $controller->finish_ui();
        $controller->execute_plan();
        $stored = $controller->get_results()['backup_destination'] ?? null;
        if (!$stored instanceof stored_file) {
            throw new coursefed_failure('no_file', 'Moodle finished the backup without producing a file.');
        }
        $path = $destination . '/' . $filename;
        if (!$stored->copy_content_to($path) || !is_file($path) || filesize($path) !== (int) $stored->get_filesize()) {
            @unlink($path);
            throw new coursefed_failure('not_writable', "Moodle could not write the backup to '{$path}'.");
        }
        return ['path' => $path, 'size' => filesize($path)];
    } finally {
        // The copy in the course's backup area is not needed once written out (or failed).
        if ($stored instanceof stored_file) {
            $stored->delete();
        }
        $controller->destroy();
    }
});
