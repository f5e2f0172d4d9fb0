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
 * Version details.
 *
 * @package    local_coursefed
 * @copyright  2026 coursefed contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$plugin->component = 'local_coursefed';
$plugin->version = 2026120610;
// Moodle 4.5 LTS: the oldest release the plugin is tested on. Its pages' hooks
// (core\hook\output\before_standard_top_of_body_html_generation, core\hook\navigation\primary_extend)
// need 4.4, which is out of security support.
// No $plugin->supported range: Moodle refuses to install a plugin outside it, and nothing here
// is known to break on later releases (tested on 4.5.6 and 5.1.3).
$plugin->requires = 2024100700;
$plugin->maturity = MATURITY_BETA;
$plugin->release = '0.2.1';
