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
 * "Give the node access": asks first, then does what cli/grant_node_access.php does (web services and REST on, the
 * node's user with its role, a token of the 'coursefed' service) and sends the token to the registered node, which
 * probes the site with it before keeping it.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_coursefed\local\node_access;
use local_coursefed\local\node_client;
use local_coursefed\local\node_error;

require_login();
$context = context_system::instance();
require_capability('moodle/site:config', $context);
$confirm = optional_param('confirm', 0, PARAM_BOOL);

$settingsurl = new moodle_url('/admin/settings.php', ['section' => 'local_coursefed']);
$PAGE->set_context($context);
$PAGE->set_url(new moodle_url('/local/coursefed/give_access.php'));
$PAGE->set_pagelayout('admin');
$PAGE->set_title(get_string('nodeaccessgive', 'local_coursefed'));
$PAGE->set_heading(get_string('pluginname', 'local_coursefed'));

if (!node_client::is_configured()) {
    redirect($settingsurl, get_string('nodenotconfigured', 'local_coursefed'), null, \core\output\notification::NOTIFY_ERROR);
}

if ($confirm) {
    require_sesskey();
    try {
        $token = (new node_access())->grant(node_access::DEFAULT_USERNAME);
        $answer = (new node_client())->request('PUT', '/site/moodle-access', ['token' => $token]);
    } catch (node_error $e) {
        redirect($settingsurl, $e->getMessage(), null, \core\output\notification::NOTIFY_ERROR);
    }
    set_config('moodleaccess', 1, 'local_coursefed');
    redirect($settingsurl, get_string('nodeaccessgiven', 'local_coursefed', s($answer['release'] ?? '')), null,
        \core\output\notification::NOTIFY_SUCCESS);
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('nodeaccessgive', 'local_coursefed'));
echo $OUTPUT->confirm(
    get_string('nodeaccessconfirm', 'local_coursefed', (object) [
        'username' => node_access::DEFAULT_USERNAME,
        'role' => node_access::ROLE,
    ]),
    new moodle_url($PAGE->url, ['confirm' => 1, 'sesskey' => sesskey()]),
    $settingsurl
);
echo $OUTPUT->footer();
