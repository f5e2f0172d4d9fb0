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
 * Gives a coursefed node access to this site and prints its token.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('CLI_SCRIPT', true);

require(__DIR__ . '/../../../config.php');
require_once($CFG->libdir . '/clilib.php');

[$options, $unrecognised] = cli_get_params(['username' => \local_coursefed\local\node_access::DEFAULT_USERNAME, 'help' => false],
    ['h' => 'help']);
if ($unrecognised) {
    cli_error(get_string('cliunknowoption', 'admin', implode("\n  ", $unrecognised)));
}
if ($options['help']) {
    echo "Gives a coursefed node access to this site: enables web services and REST, creates the user
(if missing) with the site-level role 'coursefednode', and prints a token of the 'coursefed' service.

Options:
  --username=NAME   the node's user (default: coursefed)
  -h, --help        this help

Example:
  sudo -u www-data php local/coursefed/cli/grant_node_access.php --username=coursefed
";
    exit(0);
}

\core\session\manager::set_user(get_admin());
echo (new \local_coursefed\local\node_access())->grant(clean_param($options['username'], PARAM_USERNAME)), "\n";
