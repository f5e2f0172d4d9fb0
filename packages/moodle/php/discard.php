<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php discard.php --moodle=DIR --course=ID --since=EPOCH [--tempdir=NAME]
// Removes what a restore.php killed before it finished (at its timeout) left behind: the
// new course it had created and its backup temp directory. Restore overwrites the course's
// names and creation time with the backup's, so a course counts as the restore's only while
// it still has the placeholder name, or when a restore into it started at or after --since
// and never finished: a wrong id cannot remove anyone's finished course.

require(__DIR__ . '/cli-bootstrap.php');

$options = coursefed_start(['course:', 'since:', 'tempdir:']);
// The restorer restore.php ran deletes what it leaves unfinished, as it does on failure.
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/course_restorer.php');

coursefed_answer(function () use ($options): array {
    global $CFG, $DB;
    $courseid = (int) ($options['course'] ?? 0);
    $since = (int) ($options['since'] ?? PHP_INT_MAX);
    $course = $DB->get_record('course', ['id' => $courseid]);
    $deleted = false;
    if ($course && $courseid != SITEID) {
        $placeholder = $course->fullname === get_string('restoringcourse', 'backup');
        $unfinished = $DB->record_exists_select('backup_controllers',
            "operation = 'restore' AND itemid = ? AND timecreated >= ? AND status <> ?",
            [$courseid, $since, backup::STATUS_FINISHED_OK]);
        if (!$placeholder && !$unfinished) {
            throw new coursefed_failure('refused',
                "Course {$courseid} is not a restore started since " . date('c', $since) . ' left unfinished; it was kept.');
        }
        $deleted = \local_coursefed\local\course_restorer::delete_unfinished_course($course);
    }
    $tempname = $options['tempdir'] ?? '';
    if (preg_match('/^[0-9a-f]{32}$/', $tempname)) {
        fulldelete($CFG->backuptempdir . '/' . $tempname);
    }
    return ['deleted' => (bool) $deleted];
});
