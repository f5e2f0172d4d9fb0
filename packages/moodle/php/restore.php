<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php restore.php --moodle=DIR --file=/abs/backup.mbz --category=ID [--fullname=NAME] [--shortname=NAME]
//        php restore.php --moodle=DIR --file=/abs/backup.mbz --course=ID --mode=merge|replace
//        (--archive-fd=N in place of --file: the backup is read from that open file descriptor)
// Restores a backup WITHOUT its user data (every restore setting that carries some, "users"
// first, is switched off, so a backup never brings accounts, enrolments or attempts),
// reports the precheck's real errors and warnings, deletes the course it created when
// anything fails, and on success prints the course id and its activity modules counted by
// module name. A new course gets --fullname and --shortname (the short name defaults to
// the full name) in place of the backup's names, made unique as Moodle's restore does
// ("copy N", "_N"). The restore is the companion plugin's course_restorer.

require(__DIR__ . '/cli-bootstrap.php');

$options = coursefed_start(['file:', 'archive-fd:', 'category:', 'course:', 'mode:', 'fullname:', 'shortname:']);
// The restore itself is the companion plugin's restorer, the one both drivers run. The
// driver sends these files to PHP with this script, so the site needs no plugin installed;
// on a site that has one, ours is the one declared, whatever its version.
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/restore_failure.php');
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/user_data_settings.php');
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/course_restorer.php');

coursefed_answer(function () use ($options): array {
    global $CFG, $DB, $USER;

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
    $fullname = coursefed_course_name($options, 'fullname', \local_coursefed\local\course_restorer::FULLNAME_MAX_LENGTH);
    $shortname = coursefed_course_name($options, 'shortname', \local_coursefed\local\course_restorer::SHORTNAME_MAX_LENGTH);
    if (!$newcourse && ($fullname !== '' || $shortname !== '')) {
        throw new coursefed_failure('usage', '--fullname and --shortname name a new course (--category) only.');
    }
    if ($newcourse) {
        $id = (int) $options['category'];
        if (!$DB->record_exists('course_categories', ['id' => $id])) {
            throw new coursefed_failure('not_found', "There is no course category with id {$options['category']}.");
        }
        $target = \local_coursefed\local\course_restorer::TARGET_NEW_COURSE;
    } else {
        $id = (int) ($options['course'] ?? 0);
        if (!$DB->record_exists('course', ['id' => $id]) || $id == SITEID) {
            throw new coursefed_failure('not_found', "There is no course with id {$id}.");
        }
        $mode = $options['mode'] ?? '';
        $targets = [
            'merge' => \local_coursefed\local\course_restorer::TARGET_MERGE,
            'replace' => \local_coursefed\local\course_restorer::TARGET_REPLACE,
        ];
        if (!isset($targets[$mode])) {
            throw new coursefed_failure('usage', "Unknown restore mode '{$mode}' (merge or replace).");
        }
        $target = $targets[$mode];
    }

    // A copy of an archive handed over on a descriptor, in Moodle's backup temp directory.
    $received = null;
    $restorer = new \local_coursefed\local\course_restorer($USER->id,
        function (int $courseid, string $tempdir): void {
            // Said at once on stderr: if this process is killed (timeout), the caller knows
            // which course and temp directory discard.php must remove.
            fwrite(STDERR, 'coursefed-restore-started: ' . json_encode(['courseId' => $courseid, 'tempdir' => $tempdir]) . "\n");
        },
        function () use (&$received): void {
            if ($received !== null) {
                @unlink($received);
            }
        });
    try {
        if ($archivefd !== null) {
            $received = coursefed_receive_archive($archivefd, "{$CFG->backuptempdir}/" .
                restore_controller::get_tempdir_name(0, $USER->id) . '.mbz');
            $file = $received;
        }
        $result = $restorer->restore($file, $target, $id, $fullname, $shortname);
    } catch (\local_coursefed\local\restore_failure $failure) {
        throw coursefed_restore_failure($failure, $id, $target);
    } catch (moodle_exception $e) {
        if (in_array($e->errorcode, ['userdatalocked', 'settinglocked'], true)) {
            $value = $e->errorcode === 'userdatalocked' ? 'on' : 'off';
            throw new coursefed_failure('locked_setting',
                "The site locks the restore setting '{$e->a}' {$value}, and coursefed needs it " .
                ($value === 'on' ? 'off' : 'on') . '. Unlock it in Site administration > Courses > Backups.');
        }
        throw $e;
    } finally {
        if ($received !== null && file_exists($received)) {
            @unlink($received);
        }
    }
    return [
        'courseId' => (int) $result['courseid'],
        'wwwroot' => (string) $CFG->wwwroot,
        'modules' => (object) $result['modules'],
        'warnings' => $result['warnings'],
    ];
});

/**
 * What the script answers for a failure the restorer reported: our failure in the words
 * the driver knows, or, for anything unforeseen, what Moodle threw.
 */
function coursefed_restore_failure(\local_coursefed\local\restore_failure $failure, int $id, string $target): Throwable {
    switch ($failure->kind) {
        case \local_coursefed\local\restore_failure::NOT_A_BACKUP:
            return new coursefed_failure('bad_archive',
                'Moodle could not extract the backup, or it holds no moodle_backup.xml: the file is damaged or not a Moodle backup.');
        case \local_coursefed\local\restore_failure::PRECHECK:
            return new coursefed_failure('precheck', 'Moodle refused the backup: ' . implode(' ', $failure->precheckerrors),
                ['errors' => $failure->precheckerrors, 'warnings' => $failure->warnings]);
        case \local_coursefed\local\restore_failure::PARTIAL:
            $what = $target === \local_coursefed\local\course_restorer::TARGET_REPLACE
                ? 'has lost its previous contents and may hold part of the backup'
                : 'may now hold part of the backup (check its activities)';
            return new coursefed_failure('partial', "Restoring into course {$id} failed part way, so the course {$what}: "
                . coursefed_describe($failure->cause));
        default:
            return $failure->cause ?? $failure;
    }
}

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
 * A course name option as the restorer keeps it, or '' when not given; empty or longer
 * than $max characters is an error.
 */
function coursefed_course_name(array $options, string $name, int $max): string {
    if (!isset($options[$name]) || !is_string($options[$name])) {
        return '';
    }
    $value = \local_coursefed\local\course_restorer::clean_course_name($options[$name]);
    if ($value === '') {
        throw new coursefed_failure('usage', "--{$name} is empty.");
    }
    if (core_text::strlen($value) > $max) {
        throw new coursefed_failure('usage', "--{$name} has " . core_text::strlen($value) .
            " characters; Moodle keeps at most {$max}.");
    }
    return $value;
}
