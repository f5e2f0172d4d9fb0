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
 * Import a course of the network into a category or a course Moodle lets the user restore into, picked by name.
 *
 * Moodle's capabilities decide the destinations (see import_destinations); a posted id is checked against
 * them again, so a forged form is refused. Replacing a course's contents asks for a confirmation naming it.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\local\course_restorer;
use local_coursefed\local\import_destinations;
use local_coursefed\local\import_request;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;
use local_coursefed\output\import_page;

$object = required_param('object', PARAM_URL);
$kind = optional_param('destination', '', PARAM_ALPHA);
$categoryid = optional_param('categoryid', 0, PARAM_INT);
$fullname = optional_param('fullname', '', PARAM_TEXT);
$shortname = trim(optional_param('shortname', '', PARAM_TEXT));
$courseid = optional_param('courseid', 0, PARAM_INT);
$mode = optional_param('mode', 'merge', PARAM_ALPHA);
$confirmed = optional_param('confirm', 0, PARAM_BOOL);

$url = new moodle_url('/local/coursefed/import.php', ['object' => $object]);
import_destinations::start_network_page($url);
$details = new moodle_url('/local/coursefed/network_course.php', ['object' => $object]);
$PAGE->navbar->add(get_string('networkbrowse', 'local_coursefed'), new moodle_url('/local/coursefed/browse.php'));

// What Moodle lets the user restore into is known without the node: with nothing, the node is not asked.
$categories = import_destinations::categories();
$courses = import_destinations::courses();
if ($kind === '' && $categories === [] && $courses === []) {
    $PAGE->set_title(get_string('networkimport', 'local_coursefed'));
    echo $OUTPUT->header();
    echo $OUTPUT->notification(get_string('networknodestinations', 'local_coursefed'), 'warning');
    echo $OUTPUT->continue_button($details);
    echo $OUTPUT->footer();
    die();
}

// A posted destination is checked against Moodle's capabilities before anything else, whatever the form sent.
$request = null;
// What the user typed wrong is said above the form, which keeps what they typed.
$failure = null;
if ($kind !== '') {
    require_sesskey();
    $request = new import_request($object, null);
    if ($kind === 'category') {
        $problem = import_request::shortname_problem($shortname);
        if ($problem !== null) {
            $failure = get_string('networkshortnametoolong', 'local_coursefed', $problem);
            $request = null;
        } else {
            $request->into_category($categoryid, $fullname, $shortname);
        }
    } else if ($kind === 'course') {
        $request->into_course($courseid, $mode);
    } else {
        throw new invalid_parameter_exception('destination: category or course');
    }
}

$client = new node_client();
try {
    $course = $client->request('GET', '/catalog/course?object=' . rawurlencode($object));
} catch (node_error $error) {
    $PAGE->set_title(get_string('networkimport', 'local_coursefed'));
    echo $OUTPUT->header();
    echo $OUTPUT->notification($error->getMessage(), 'error');
    echo $OUTPUT->footer();
    die();
}
$title = s($course['title']);
$PAGE->navbar->add($title, $details);
$PAGE->navbar->add(get_string('networkimport', 'local_coursefed'));
$PAGE->set_title(get_string('networkimporttitle', 'local_coursefed', $title));
$PAGE->set_heading(get_string('networkimporttitle', 'local_coursefed', $title));

if ($request !== null) {
    if ($kind === 'course' && $mode === 'replace' && !$confirmed) {
        import_page::confirm_replace($courses[$courseid] ?? format_string(get_course($courseid)->fullname), $title,
            new moodle_url($url, ['destination' => 'course', 'courseid' => $courseid, 'mode' => 'replace', 'confirm' => 1,
                'sesskey' => sesskey()]),
            $url);
        die();
    }
    try {
        $job = $request->send($client);
        redirect(new moodle_url('/local/coursefed/import_progress.php', ['job' => $job['id']]));
    } catch (node_error $error) {
        $failure = $error->getMessage();
    }
}

echo $OUTPUT->header();
if ($failure !== null) {
    echo $OUTPUT->notification($failure, 'error');
}
echo html_writer::start_tag('form', ['method' => 'post', 'action' => $url->out(false), 'class' => 'coursefed-import']);
echo html_writer::empty_tag('input', ['type' => 'hidden', 'name' => 'sesskey', 'value' => sesskey()]);
if ($categories !== []) {
    echo html_writer::start_tag('fieldset', ['class' => 'mb-3']);
    echo html_writer::tag('legend', get_string('networkasnewcourse', 'local_coursefed'), ['class' => 'h5']);
    echo import_page::choice('destination', 'category', get_string('networkintocategory', 'local_coursefed'), true);
    echo html_writer::label(get_string('category'), 'coursefed-categoryid', true, ['class' => 'form-label']);
    echo html_writer::select($categories, 'categoryid', array_key_first($categories), false,
        ['id' => 'coursefed-categoryid', 'class' => 'form-select custom-select mb-2']);
    echo html_writer::label(get_string('networkfullname', 'local_coursefed'), 'coursefed-fullname', true,
        ['class' => 'form-label d-block']);
    echo html_writer::empty_tag('input', ['type' => 'text', 'name' => 'fullname', 'id' => 'coursefed-fullname',
        'value' => trim($fullname) !== '' ? $fullname : $course['title'],
        'maxlength' => course_restorer::FULLNAME_MAX_LENGTH, 'class' => 'form-control mb-2']);
    echo html_writer::label(get_string('networkshortname', 'local_coursefed'), 'coursefed-shortname', true,
        ['class' => 'form-label d-block']);
    // No maxlength: a longer name pasted in would be cut without a word; the server says what is wrong instead.
    echo html_writer::empty_tag('input', ['type' => 'text', 'name' => 'shortname', 'id' => 'coursefed-shortname',
        'value' => $shortname, 'class' => 'form-control', 'aria-describedby' => 'coursefed-shortname-hint']);
    echo html_writer::tag('small', get_string('networkshortnamehint', 'local_coursefed'),
        ['id' => 'coursefed-shortname-hint', 'class' => 'form-text text-muted']);
    echo html_writer::end_tag('fieldset');
}
if ($courses !== []) {
    echo html_writer::start_tag('fieldset', ['class' => 'mb-3']);
    echo html_writer::tag('legend', get_string('networkintoexisting', 'local_coursefed'), ['class' => 'h5']);
    echo import_page::choice('destination', 'course', get_string('networkintocourse', 'local_coursefed'),
        $categories === []);
    echo html_writer::label(get_string('course'), 'coursefed-courseid', true, ['class' => 'form-label']);
    echo html_writer::select($courses, 'courseid', array_key_first($courses), false,
        ['id' => 'coursefed-courseid', 'class' => 'form-select custom-select mb-2']);
    foreach (['merge', 'replace'] as $choice) {
        echo import_page::choice('mode', $choice, get_string('networkmode' . $choice, 'local_coursefed'), $choice === 'merge');
    }
    echo html_writer::end_tag('fieldset');
}
echo html_writer::tag('button', get_string('networkimport', 'local_coursefed'), ['type' => 'submit', 'class' => 'btn btn-primary']);
echo ' ' . html_writer::link($details, get_string('cancel'), ['class' => 'btn btn-secondary']);
echo html_writer::end_tag('form');
echo $OUTPUT->footer();
