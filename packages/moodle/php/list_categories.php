<?php
// This file is part of coursefed (AGPL-3.0-or-later); our own code, run against Moodle's APIs.
//
// Usage: php list_categories.php --moodle=/path/to/moodle
// Prints every course category of the site, in Moodle's order, with its path from the top
// ("Sciences / Chimie"), its parent, how many courses it holds and whether it is visible.
// The listing is the companion plugin's course_listing, the one both drivers run; run as
// the site's main admin, it lists every category.

require(__DIR__ . '/cli-bootstrap.php');

$options = coursefed_start([]);
require(__DIR__ . '/../../moodle-plugin/local_coursefed/classes/local/course_listing.php');

coursefed_answer(function (): array {
    global $USER;
    return ['categories' => (new \local_coursefed\local\course_listing($USER->id))->categories()];
});
