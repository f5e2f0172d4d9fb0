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
 * The plugin's settings page (Site administration > Plugins > Local plugins > coursefed): the node's registration
 * code, what the site is connected to, and, for a ws target, "Give the node access".
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_coursefed', get_string('pluginname', 'local_coursefed'));
    $ADMIN->add('localplugins', $settings);

    if ($ADMIN->fulltree) {
        $settings->add(new \local_coursefed\admin\setting_registration_code('local_coursefed/registrationcode',
            get_string('registrationcode', 'local_coursefed'), get_string('registrationcode_desc', 'local_coursefed'), ''));
        $settings->add(new admin_setting_description('local_coursefed/connection',
            get_string('connection', 'local_coursefed'), \local_coursefed\local\site_connection::describe()));
    }
}
