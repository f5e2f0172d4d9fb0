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
 * Browse the network: search the catalog of the coursefed node this site is registered with.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\local\import_destinations;
use local_coursefed\local\network_view;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;

$q = optional_param('q', '', PARAM_TEXT);
$tag = optional_param('tag', '', PARAM_TEXT);
$institution = optional_param('institution', '', PARAM_TEXT);
$teacher = optional_param('teacher', '', PARAM_TEXT);
$restorable = optional_param('restorable', 0, PARAM_BOOL);
$searched = optional_param('search', 0, PARAM_BOOL);

$url = new moodle_url('/local/coursefed/browse.php');
$context = import_destinations::start_network_page($url);
$PAGE->set_title(get_string('networkbrowse', 'local_coursefed'));
$PAGE->set_heading(get_string('networkbrowse', 'local_coursefed'));

echo $OUTPUT->header();
echo html_writer::tag('p', get_string('networkbrowseintro', 'local_coursefed'));

// A GET form: a search is an address that can be shared and reloaded.
echo html_writer::start_tag('form', ['method' => 'get', 'action' => $url->out(false), 'class' => 'coursefed-search mb-3',
    'role' => 'search']);
echo html_writer::empty_tag('input', ['type' => 'hidden', 'name' => 'search', 'value' => 1]);
$fields = [
    'q' => [get_string('networksearchwords', 'local_coursefed'), $q],
    'tag' => [get_string('networksearchtag', 'local_coursefed'), $tag],
    'institution' => [get_string('networksearchinstitution', 'local_coursefed'), $institution],
    'teacher' => [get_string('networksearchteacher', 'local_coursefed'), $teacher],
];
echo html_writer::start_div('row');
foreach ($fields as $name => [$label, $value]) {
    echo html_writer::start_div('col-md-3 mb-2');
    echo html_writer::label($label, 'coursefed-' . $name, true, ['class' => 'form-label']);
    echo html_writer::empty_tag('input', ['type' => 'text', 'name' => $name, 'id' => 'coursefed-' . $name,
        'value' => $value, 'class' => 'form-control', 'maxlength' => 200]);
    echo html_writer::end_div();
}
echo html_writer::end_div();
echo html_writer::start_div('form-check mb-2');
echo html_writer::checkbox('restorable', 1, (bool) $restorable, get_string('networksearchrestorable', 'local_coursefed'),
    ['id' => 'coursefed-restorable', 'class' => 'form-check-input'], ['class' => 'form-check-label']);
echo html_writer::end_div();
echo html_writer::tag('button', get_string('search'), ['type' => 'submit', 'class' => 'btn btn-primary']);
echo html_writer::end_tag('form');

if (!node_client::is_configured()) {
    echo $OUTPUT->notification(get_string('nodenotconfigured', 'local_coursefed'), 'warning');
    echo $OUTPUT->footer();
    die();
}

$query = array_filter(['q' => trim($q), 'tag' => trim($tag), 'institution' => trim($institution),
    'teacher' => trim($teacher)], fn($value) => $value !== '');
if ($restorable) {
    $query['restorable'] = 'site';
}
$query['limit'] = 50;
try {
    $answer = (new node_client())->request('GET', '/catalog?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986));
} catch (node_error $error) {
    echo $OUTPUT->notification($error->getMessage(), 'error');
    echo $OUTPUT->footer();
    die();
}

$total = (int) ($answer['total'] ?? 0);
echo html_writer::tag('h3', get_string('networksearchresults', 'local_coursefed', $total), ['class' => 'coursefed-result-count',
    'role' => $searched ? 'status' : null]);
if ($total === 0) {
    // The node says why nothing matched (criteria, an empty catalog), in its own words.
    $reason = $answer['emptyReason']['message'] ?? get_string('networksearchnothing', 'local_coursefed');
    echo $OUTPUT->notification(s($reason), 'info', false);
}
echo html_writer::start_tag('ul', ['class' => 'coursefed-results list-unstyled']);
foreach ($answer['items'] ?? [] as $item) {
    echo html_writer::start_tag('li', ['class' => 'coursefed-result card mb-3']);
    echo html_writer::start_div('card-body');
    $link = new moodle_url('/local/coursefed/network_course.php', ['object' => $item['object']]);
    echo html_writer::tag('h4', html_writer::link($link, s($item['title'])), ['class' => 'card-title h5']);
    echo html_writer::tag('p', network_view::byline($item), ['class' => 'coursefed-byline text-muted mb-1']);
    if (!empty($item['summary'])) {
        echo html_writer::div(format_text($item['summary'], FORMAT_HTML, ['context' => $context]), 'coursefed-summary');
    }
    echo html_writer::tag('p', network_view::facts($item), ['class' => 'small mb-0']);
    echo html_writer::end_div();
    echo html_writer::end_tag('li');
}
echo html_writer::end_tag('ul');
echo $OUTPUT->footer();
