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
 * One course of the network: what its backup holds, whether this site can restore it, its revisions,
 * lineage and licence, and the way to import it.
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

$object = required_param('object', PARAM_URL);

$url = new moodle_url('/local/coursefed/network_course.php', ['object' => $object]);
$context = import_destinations::start_network_page($url);
$browse = new moodle_url('/local/coursefed/browse.php');
$PAGE->navbar->add(get_string('networkbrowse', 'local_coursefed'), $browse);

$client = new node_client();
try {
    $course = $client->request('GET', '/catalog/course?object=' . rawurlencode($object));
    $compatibility = $client->request('GET', '/catalog/compatibility?object=' . rawurlencode($object));
} catch (node_error $error) {
    $PAGE->set_title(get_string('networkbrowse', 'local_coursefed'));
    echo $OUTPUT->header();
    echo $OUTPUT->notification($error->getMessage(), 'error');
    echo $OUTPUT->continue_button($browse);
    echo $OUTPUT->footer();
    die();
}

$title = s($course['title']);
$PAGE->set_title($title);
$PAGE->set_heading($title);
$PAGE->navbar->add($title);
$latest = $course['revisions'][0] ?? null;
$manifest = $latest['manifest'] ?? [];

echo $OUTPUT->header();
echo html_writer::tag('p', network_view::byline($course), ['class' => 'coursefed-byline lead']);
if ($course['withdrawn']) {
    echo $OUTPUT->notification(get_string('networkcoursewithdrawn', 'local_coursefed'), 'warning', false);
}
if (!empty($course['summary'])) {
    echo html_writer::div(format_text($course['summary'], FORMAT_HTML, ['context' => $context]), 'coursefed-summary mb-3');
}
echo html_writer::tag('p', network_view::facts($course));

// Compatibility with this very site: the node judges it on the signed manifest and the site's last probe.
echo html_writer::tag('h3', get_string('networkcompatibility', 'local_coursefed'));
$verdict = $compatibility['targets'][0] ?? null;
if ($verdict === null || !$verdict['probed']) {
    echo $OUTPUT->notification(get_string('networkcompatibilityunknown', 'local_coursefed'), 'info', false);
} else if ($verdict['restorable']) {
    echo html_writer::div(get_string('networkcompatibilityok', 'local_coursefed'), 'coursefed-compat alert alert-success');
} else {
    $problems = array_map(fn($problem) => s($problem['message'] ?? $problem['kind']), $verdict['problems'] ?? []);
    echo html_writer::div(get_string('networkcompatibilityproblems', 'local_coursefed') . html_writer::alist($problems),
        'coursefed-compat alert alert-warning');
}

echo html_writer::tag('h3', get_string('networkbackupcontents', 'local_coursefed'));
echo network_view::contents($manifest);

echo html_writer::tag('h3', get_string('networklicence', 'local_coursefed'));
echo html_writer::tag('p', s($manifest['license'] ?? get_string('networklicenceunknown', 'local_coursefed')),
    ['class' => 'coursefed-licence']);

// The node reads the chain from what it holds: its catalog, and the signed credits of the
// nearest descendant it holds; an ancestor it cannot describe is said to be unknown.
$lineage = $course['lineage'] ?? [];
if (!empty($lineage)) {
    echo html_writer::tag('h3', get_string('networklineage', 'local_coursefed'));
    echo html_writer::tag('p', get_string('networklineageintro', 'local_coursefed'));
    $items = [];
    foreach ($lineage as $ancestor) {
        if (($ancestor['known'] ?? 'unknown') === 'unknown') {
            $items[] = get_string('networklineageunknown', 'local_coursefed', s($ancestor['object']));
            continue;
        }
        $names = $ancestor['authors'] ?? [];
        if (!empty($ancestor['institution']) && !in_array($ancestor['institution'], $names, true)) {
            $names[] = $ancestor['institution'];
        }
        $title = s($ancestor['title'] ?? $ancestor['object']);
        $link = $ancestor['known'] === 'catalog'
            ? html_writer::link(new moodle_url('/local/coursefed/network_course.php', ['object' => $ancestor['object']]), $title)
            : $title;
        $item = get_string('networklineageancestor', 'local_coursefed', [
            'title' => $link,
            'revision' => (int) $ancestor['revision'],
            'by' => $names ? get_string('networklineageby', 'local_coursefed', s(implode(', ', $names))) : '',
            'licence' => s($ancestor['license'] ?? get_string('networklicenceunknown', 'local_coursefed')),
        ]);
        if ($ancestor['known'] === 'credited') {
            $item .= ' ' . html_writer::tag('small', get_string('networklineagecredited', 'local_coursefed'));
        }
        $items[] = $item;
    }
    echo html_writer::alist($items, ['class' => 'coursefed-lineage'], 'ol');
}

echo html_writer::tag('h3', get_string('networkrevisions', 'local_coursefed'));
$table = new html_table();
$table->head = [get_string('networkrevision', 'local_coursefed'), get_string('networkpublished', 'local_coursefed'),
    get_string('size')];
foreach ($course['revisions'] as $revision) {
    $table->data[] = [(int) $revision['revision'], userdate(strtotime($revision['publishedAt'])),
        display_size((int) $revision['size'])];
}
echo html_writer::table($table);

if (!$course['withdrawn']) {
    echo $OUTPUT->render(new single_button(new moodle_url('/local/coursefed/import.php', ['object' => $object]),
        get_string('networkimport', 'local_coursefed'), 'get', single_button::BUTTON_PRIMARY));
}
echo $OUTPUT->footer();
