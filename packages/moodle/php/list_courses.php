<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php list_courses.php --moodle=/path/to/moodle [--search=WORDS] [--offset=N] [--limit=N]
// Prints a page of the site's courses (by full name) whose full or short name holds every
// word of --search, with the total of the search; each course with its short name and its
// category's path. The listing is the companion plugin's course_listing, the one both
// drivers run; run as the site's main admin, it lists every course.

require(__DIR__ . '/cli-bootstrap.php');

$options = coursefed_start(['search:', 'offset:', 'limit:']);
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/course_listing.php');

coursefed_answer(function () use ($options): array {
    global $USER;
    foreach (['offset', 'limit'] as $name) {
        if (isset($options[$name]) && !preg_match('/^\d+$/', (string) $options[$name])) {
            throw new coursefed_failure('usage', "--{$name} must be a whole number, not '{$options[$name]}'.");
        }
    }
    return (new \local_coursefed\local\course_listing($USER->id))->courses(
        (string) ($options['search'] ?? ''),
        (int) ($options['offset'] ?? 0),
        (int) ($options['limit'] ?? 50),
    );
});
