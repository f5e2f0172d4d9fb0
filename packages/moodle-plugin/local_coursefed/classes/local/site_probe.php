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

use core_plugin_manager;

/**
 * What a coursefed node needs to know about the site before it restores anything here.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class site_probe {
    /**
     * Describes the site.
     *
     * @return array version, release, branch, plugins (list of component and version),
     *     maxuploadbytes (the largest file webservice/upload.php accepts, 0 when unlimited),
     *     siteidentifierhash (md5 of the site's identifier, as in its backups)
     */
    public function describe(): array {
        global $CFG;
        $plugins = [];
        foreach (core_plugin_manager::instance()->get_plugins() as $type => $list) {
            foreach ($list as $name => $plugin) {
                // Plugins present on disk but not installed yet (versiondb null) cannot restore anything.
                if ($plugin->versiondb === null) {
                    continue;
                }
                $plugins[] = ['component' => $type . '_' . $name, 'version' => (string) $plugin->versiondb];
            }
        }
        usort($plugins, fn(array $a, array $b): int => strcmp($a['component'], $b['component']));
        return [
            'version' => (string) $CFG->version,
            'release' => (string) $CFG->release,
            'branch' => (string) $CFG->branch,
            'plugins' => $plugins,
            'maxuploadbytes' => (int) get_max_upload_file_size($CFG->maxbytes),
            // Which site this is whatever address reached it (it is kept when the site moves):
            // the hash Moodle already writes into every backup, not the identifier itself.
            'siteidentifierhash' => md5(get_site_identifier()),
        ];
    }
}
