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

use core\hook\navigation\primary_extend;
use moodle_url;
use navigation_node;

/**
 * "Browse the network" in the site's primary navigation, for users who may import somewhere.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class browse_navigation {
    /** The entry's key in the primary navigation. */
    public const KEY = 'local_coursefed_browse';

    /**
     * Callback of core\hook\navigation\primary_extend (Moodle 4.3 and later).
     *
     * @param primary_extend $hook
     */
    public static function extend_primary(primary_extend $hook): void {
        if (during_initial_install() || !node_client::is_configured() || !import_destinations::allowed_anywhere()) {
            return;
        }
        $hook->get_primaryview()->add(get_string('networkbrowse', 'local_coursefed'),
            new moodle_url('/local/coursefed/browse.php'), navigation_node::TYPE_CUSTOM, null, self::KEY);
    }
}
