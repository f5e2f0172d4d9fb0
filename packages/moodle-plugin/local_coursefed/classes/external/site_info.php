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

namespace local_coursefed\external;

use context_system;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_coursefed\local\site_probe;

/**
 * local_coursefed_site_info: the site's version, installed plugins and upload limit.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class site_info extends external_api {
    /**
     * Parameters: none.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([]);
    }

    /**
     * Describes the site.
     *
     * @return array
     */
    public static function execute(): array {
        $context = context_system::instance();
        self::validate_context($context);
        require_capability('local/coursefed:probe', $context);
        return (new site_probe())->describe();
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'version' => new external_value(PARAM_RAW, 'Site version, e.g. 2024100706.00'),
            'release' => new external_value(PARAM_RAW, 'Release, e.g. 4.5.6 (Build: 20250811)'),
            'branch' => new external_value(PARAM_ALPHANUM, 'Branch, e.g. 405'),
            'plugins' => new external_multiple_structure(new external_single_structure([
                'component' => new external_value(PARAM_COMPONENT, 'Frankenstyle name, e.g. mod_quiz'),
                'version' => new external_value(PARAM_RAW, 'Installed version'),
            ]), 'Every installed plugin'),
            'maxuploadbytes' => new external_value(PARAM_INT,
                'Largest file webservice/upload.php accepts, in bytes, so the largest backup this site restores'),
            'siteidentifierhash' => new external_value(PARAM_ALPHANUM,
                'md5 of the site identifier, as in its backups: which site this is whatever its address'),
        ]);
    }
}
