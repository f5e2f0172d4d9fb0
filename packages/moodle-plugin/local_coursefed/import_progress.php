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
 * An import's progress, as the node's job tells it: the page reloads itself until the job is done.
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
use local_coursefed\local\restorer_access;

$jobid = required_param('job', PARAM_ALPHANUMEXT);

import_destinations::start_network_page(new moodle_url('/local/coursefed/import_progress.php', ['job' => $jobid]));
$PAGE->set_title(get_string('networkimportprogress', 'local_coursefed'));
$PAGE->set_heading(get_string('networkimportprogress', 'local_coursefed'));
$PAGE->navbar->add(get_string('networkbrowse', 'local_coursefed'), new moodle_url('/local/coursefed/browse.php'));

try {
    $job = (new node_client())->request('GET', '/site/imports/' . rawurlencode($jobid));
} catch (node_error $error) {
    echo $OUTPUT->header();
    echo $OUTPUT->notification($error->getMessage(), 'error');
    echo $OUTPUT->footer();
    die();
}

$waiting = in_array($job['state'], ['queued', 'running'], true);
if ($waiting) {
    // A meta refresh: no script, and it stops by itself once the job is done.
    $PAGE->set_periodic_refresh_delay(3);
}
echo $OUTPUT->header();
$status = html_writer::tag('p', get_string('networkimportstate_' . $job['state'], 'local_coursefed'),
    ['class' => 'coursefed-import-state lead', 'data-state' => $job['state'], 'role' => 'status']);
echo $status;
if ($waiting && !empty($job['errorMessage'])) {
    // A job tried again after a transient failure says why.
    echo $OUTPUT->notification(s($job['errorMessage']), 'info', false);
}
if ($job['state'] === 'succeeded' && !empty($job['moodleCourseId'])) {
    // The course's page may have asked the node while the job ran: it now has a new origin or revision.
    network_notice::forget((int) $job['moodleCourseId']);
    $courseurl = new moodle_url('/course/view.php', ['id' => (int) $job['moodleCourseId']]);
    // Only the user who asked, in the session they asked in: the job's id is in this page's address, which travels.
    if (($job['destination']['kind'] ?? '') === 'new-course' && restorer_access::requested_in_session((string) $job['id'])) {
        restorer_access::grant((int) $job['moodleCourseId'], (int) $USER->id);
    }
    echo $OUTPUT->notification(get_string('networkimportdone', 'local_coursefed'), 'success', false);
    echo html_writer::link($courseurl, get_string('networkgotocourse', 'local_coursefed'), ['class' => 'btn btn-primary']);
} else if ($job['state'] === 'failed' || $job['state'] === 'refused') {
    echo $OUTPUT->notification(s($job['errorMessage'] ?? ''), 'error', false);
    echo html_writer::link(new moodle_url('/local/coursefed/network_course.php', ['object' => $job['object']]),
        get_string('back'), ['class' => 'btn btn-secondary']);
}
echo $OUTPUT->footer();
