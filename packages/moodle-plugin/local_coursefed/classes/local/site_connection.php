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


namespace local_coursefed\local;

use html_writer;
use local_coursefed\admin\setting_registration_code;
use moodle_url;

defined('MOODLE_INTERNAL') || die();

/**
 * What the settings page says about the site's connection to its node, from what the node answered when the code
 * was saved (so that drawing the admin tree never waits on the node).
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class site_connection {
    /**
     * The connection's description, with the way to give the node access for a ws target.
     *
     * @return string HTML
     */
    public static function describe(): string {
        $site = setting_registration_code::registered_site();
        if ($site === null) {
            return html_writer::tag('p', get_string('connectionnone', 'local_coursefed'));
        }
        $address = network_view::web_address((string) ($site['institution']['url'] ?? ''));
        $institution = $address === '' ? s($site['institution']['name'])
            : html_writer::link($address, s($site['institution']['name']));
        $html = html_writer::tag('p', get_string('connectionto', 'local_coursefed', (object) [
            'institution' => $institution,
            'handle' => s($site['institution']['handle']),
            'node' => s($site['node']['url'] ?? ''),
            'target' => s($site['target']['name']),
        ]), ['class' => 'local-coursefed-connection']);
        if (($site['target']['driver'] ?? '') !== 'ws') {
            return $html . html_writer::tag('p', get_string('connectioncli', 'local_coursefed'));
        }
        $given = (bool) get_config('local_coursefed', 'moodleaccess');
        $html .= html_writer::tag('p', get_string($given ? 'nodeaccessyes' : 'nodeaccessno', 'local_coursefed'));
        // A link, not a form: the settings page is one form already. The page it opens asks before acting.
        return $html . html_writer::link(new moodle_url('/local/coursefed/give_access.php'),
            get_string($given ? 'nodeaccessgiveagain' : 'nodeaccessgive', 'local_coursefed'), ['class' => 'btn btn-secondary mb-3']);
    }
}
