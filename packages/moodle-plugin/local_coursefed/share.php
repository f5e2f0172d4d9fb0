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
 * Share a course on the coursefed network from its page: its state at a glance, the form prefilled from the
 * course, "Share" / "Share the changes", a share's progress (the node's job; the page refreshes itself, the
 * backup is never made inside this request) and "Withdraw" after a confirmation.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\form\share_form;
use local_coursefed\local\course_share;
use local_coursefed\local\network_notice;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;
use local_coursefed\output\share_state;

$id = required_param('id', PARAM_INT);
$action = optional_param('action', '', PARAM_ALPHA);

$course = get_course($id);
require_login($course);
$context = context_course::instance($course->id);
require_capability('local/coursefed:share', $context);
require_capability('moodle/backup:backupcourse', $context);

$url = new moodle_url('/local/coursefed/share.php', ['id' => $course->id]);
$PAGE->set_url($url);
$PAGE->set_context($context);
$PAGE->set_pagelayout('incourse');
$PAGE->set_title(get_string('sharenetwork', 'local_coursefed') . moodle_page::TITLE_SEPARATOR .
    format_string($course->shortname, true, ['context' => $context]));
$PAGE->set_heading(format_string($course->fullname, true, ['context' => $context]));

/**
 * Ends the page with a message instead of the form: no node, or the node could not answer.
 *
 * @param string $message already worded for people, HTML (a node_error's message is escaped already)
 */
function local_coursefed_share_page_stops(string $message): void {
    global $OUTPUT;
    echo $OUTPUT->header();
    echo $OUTPUT->heading(get_string('sharenetwork', 'local_coursefed'));
    echo $OUTPUT->notification($message, 'error', false);
    echo $OUTPUT->footer();
    die();
}

if (!node_client::is_configured()) {
    local_coursefed_share_page_stops(get_string('nodenotconfigured', 'local_coursefed'));
}
$client = new node_client();
$path = '/site/courses/' . $course->id;

if ($action === 'withdraw') {
    if (optional_param('confirm', 0, PARAM_BOOL)) {
        require_sesskey();
        try {
            $client->request('DELETE', $path . '/share', null, $USER);
            network_notice::forget((int) $course->id);
            redirect($url, get_string('sharewithdrawn', 'local_coursefed'), null, \core\output\notification::NOTIFY_SUCCESS);
        } catch (node_error $error) {
            redirect($url, $error->getMessage(), null, \core\output\notification::NOTIFY_ERROR);
        }
    }
    echo $OUTPUT->header();
    echo $OUTPUT->heading(get_string('sharewithdraw', 'local_coursefed'));
    echo $OUTPUT->confirm(
        get_string('sharewithdrawconfirm', 'local_coursefed', format_string($course->fullname, true, ['context' => $context])),
        new single_button(new moodle_url($url, ['action' => 'withdraw', 'confirm' => 1, 'sesskey' => sesskey()]),
            get_string('sharewithdraw', 'local_coursefed'), 'post', single_button::BUTTON_DANGER),
        $url);
    echo $OUTPUT->footer();
    die();
}

try {
    // Read as the site itself: looking at the state makes no teacher account on the node.
    $state = $client->request('GET', $path);
} catch (node_error $error) {
    local_coursefed_share_page_stops($error->getMessage());
}
$view = new share_state($state);
$shared = !empty($state['shared']);

$form = null;
$refusal = null;
if (!$view->under_way()) {
    $form = new share_form($url, ['shared' => $shared]);
    if ($form->is_cancelled()) {
        redirect(new moodle_url('/course/view.php', ['id' => $course->id]));
    }
    if ($data = $form->get_data()) {
        try {
            $client->request('POST', $path . '/share', course_share::request_body($data), $USER);
            network_notice::forget((int) $course->id);
            redirect($url);
        } catch (node_error $error) {
            $refusal = $error->getMessage();
        }
    }
    $form->set_data(['id' => $course->id] + course_share::defaults($course, $context, $shared ? $state['course'] : null));
} else {
    // A meta refresh: no script, and it stops by itself once the share is done.
    $PAGE->set_periodic_refresh_delay(3);
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('sharenetwork', 'local_coursefed'));
echo $OUTPUT->render_from_template('local_coursefed/share_state', $view->export_for_template($OUTPUT));
if ($refusal !== null) {
    echo $OUTPUT->notification($refusal, 'error', false);
}
if ($form) {
    echo $OUTPUT->heading(get_string($shared ? 'sharechangesheading' : 'shareheading', 'local_coursefed'), 3);
    $form->display();
    if ($shared) {
        echo $OUTPUT->single_button(new moodle_url($url, ['action' => 'withdraw']),
            get_string('sharewithdraw', 'local_coursefed'), 'get', ['type' => single_button::BUTTON_DANGER]);
    }
}
echo $OUTPUT->footer();
