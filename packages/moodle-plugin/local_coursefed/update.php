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
 * Applies (merge, or replace after a confirmation naming the course) or dismisses the update of a course
 * imported from the network, from the notice on the course's page.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\local\import_destinations;
use local_coursefed\local\import_request;
use local_coursefed\local\network_notice;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;
use local_coursefed\output\import_page;

$courseid = required_param('id', PARAM_INT);
$action = required_param('action', PARAM_ALPHA);
$revision = required_param('revision', PARAM_INT);
$mode = optional_param('mode', 'merge', PARAM_ALPHA);
$confirmed = optional_param('confirm', 0, PARAM_BOOL);

$course = get_course($courseid);
require_login($course, false);
$context = context_course::instance($courseid);
$url = new moodle_url('/local/coursefed/update.php', ['id' => $courseid, 'action' => $action, 'revision' => $revision,
    'mode' => $mode]);
$PAGE->set_url($url);
$PAGE->set_pagelayout('incourse');
$courseurl = new moodle_url('/course/view.php', ['id' => $courseid]);
import_destinations::require_course($courseid);
require_sesskey();
$coursename = format_string($course->fullname, true, ['context' => $context]);
$PAGE->set_title(get_string('networkupdatetitle', 'local_coursefed', $coursename));
$PAGE->set_heading($coursename);

$client = new node_client();
try {
    $origin = network_notice::origin_of($courseid, $client);
} catch (node_error $error) {
    redirect($courseurl, $error->getMessage(), null, \core\output\notification::NOTIFY_ERROR);
}
// The revision the notice offered, and no other: a newer one arrived since gets its own notice.
if ($origin === null || (int) $origin['latestRevision'] !== $revision || !$origin['updateAvailable']) {
    redirect($courseurl, get_string('networkupdategone', 'local_coursefed'), null, \core\output\notification::NOTIFY_WARNING);
}

if ($action === 'dismiss') {
    network_notice::dismiss($courseid, $origin['object'], $revision);
    network_notice::forget($courseid);
    redirect($courseurl, get_string('networkupdatedismissed', 'local_coursefed'), null, \core\output\notification::NOTIFY_SUCCESS);
}
if ($action !== 'apply') {
    throw new invalid_parameter_exception('action: apply or dismiss');
}

$request = new import_request($origin['object'], $revision);
$request->into_course($courseid, $mode);
if ($mode === 'replace' && !$confirmed) {
    import_page::confirm_replace($coursename, s($origin['title']),
        new moodle_url($url, ['confirm' => 1, 'sesskey' => sesskey()]), $courseurl);
    die();
}
try {
    $job = $request->send($client);
} catch (node_error $error) {
    redirect($courseurl, $error->getMessage(), null, \core\output\notification::NOTIFY_ERROR);
}
redirect(new moodle_url('/local/coursefed/import_progress.php', ['job' => $job['id']]));
