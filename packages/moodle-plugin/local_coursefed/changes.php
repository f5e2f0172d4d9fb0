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
 * What an available update of a course imported from the network changes, worked out by the node from the
 * backup the course holds and the new one, with the update's Apply and Dismiss links.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\local\import_destinations;
use local_coursefed\local\network_notice;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;
use local_coursefed\local\revision_changes;

$courseid = required_param('id', PARAM_INT);

$course = get_course($courseid);
require_login($course, false);
$context = context_course::instance($courseid);
$PAGE->set_url(new moodle_url('/local/coursefed/changes.php', ['id' => $courseid]));
$PAGE->set_pagelayout('incourse');
$courseurl = new moodle_url('/course/view.php', ['id' => $courseid]);
import_destinations::require_course($courseid);
$coursename = format_string($course->fullname, true, ['context' => $context]);

$client = new node_client();
try {
    $origin = network_notice::origin_of($courseid, $client);
} catch (node_error $error) {
    redirect($courseurl, $error->getMessage(), null, \core\output\notification::NOTIFY_ERROR);
}
if ($origin === null || !$origin['updateAvailable']) {
    redirect($courseurl, get_string('networkupdategone', 'local_coursefed'), null, \core\output\notification::NOTIFY_WARNING);
}
$title = get_string('networkchangestitle', 'local_coursefed', [
    'from' => (int) $origin['revision'],
    'to' => (int) $origin['latestRevision'],
]);
$PAGE->set_title($title);
$PAGE->set_heading($coursename);

try {
    $body = revision_changes::render(revision_changes::between($client, $origin['object'], (int) $origin['revision'],
        (int) $origin['latestRevision']));
} catch (node_error $error) {
    $body = $OUTPUT->notification(get_string('networkchangesunavailable', 'local_coursefed', $error->getMessage()),
        \core\output\notification::NOTIFY_WARNING);
}

echo $OUTPUT->header();
echo $OUTPUT->heading($title);
echo html_writer::tag('p', s($origin['title']));
echo $body;
echo network_notice::update_actions($courseid, $origin);
echo $OUTPUT->footer();
